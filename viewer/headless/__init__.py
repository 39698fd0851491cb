"""Headless subcommands (``mammo-viewer info|render|measure|...``): the GUI's code paths, scripted.

Each module here defines ``add_parser(subparsers)`` and ``run(args) -> int`` and is listed
in :data:`viewer.cli.SUBCOMMANDS`. None of them imports Qt.
"""
