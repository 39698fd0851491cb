"""Command line: ``mammo-viewer [PATH ...]`` opens the viewer; subcommands work headless.

``mammo-viewer`` with no path writes the built-in demo study and opens it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from viewer import __version__
from viewer.program_log import configure_logging

# Headless subcommands: name -> module in viewer.headless with add_parser() and run().
SUBCOMMANDS: dict[str, str] = {
    "validate": "viewer.headless.validate",
    "export": "viewer.headless.export",
    "import": "viewer.headless.import_labels",
    "worklist": "viewer.headless.worklist",
    "agreement": "viewer.headless.agreement",
    "info": "viewer.headless.info",
    "render": "viewer.headless.render",
    "measure": "viewer.headless.measure",
    "detect": "viewer.headless.detect",
    # the report lays out its PDF with Qt's text engine (no display needed): the one Qt subcommand
    "report": "viewer.qt.report_command",
}


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mammo-viewer",
        description="Read mammograms, mark and measure calcifications. Subcommands: "
        + (", ".join(sorted(SUBCOMMANDS)) or "none")
        + " (mammo-viewer SUBCOMMAND --help).",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="DICOM files or folders of a study (default: the built-in demo study)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="open, wait until the images are shown, save a picture of the window, exit",
    )
    parser.add_argument("--reader", help="reader name for this session (default: from preferences)")
    parser.add_argument("--version", action="version", version=f"mammo-viewer {__version__}")
    return parser


LOCAL_COPY_COMMANDS = ("info", "render", "measure", "detect")
"""Subcommands whose file or folder arguments may be DICOMweb URLs (opened from the cache)."""


def _localized(name: str, argv: Sequence[str]) -> list[str] | None:
    """``argv`` with DICOMweb URLs replaced by their local copies; None (said why) on failure."""
    if name not in LOCAL_COPY_COMMANDS:
        return list(argv)
    if name == "measure" and "--save" in argv and any(a.startswith(("http://", "https://")) for a in argv):
        print("mammo-viewer measure: --save on a study from a server: open it in the viewer", file=sys.stderr)
        return None
    from viewer.session.server_studies import localize_all
    from viewer.sources.dicomweb import ServerError

    def show(url: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rretrieving {url}: {done}/{total}", end="\n" if done == total else "", file=sys.stderr)

    try:
        return localize_all(argv, show)
    except ServerError as exc:
        print(f"mammo-viewer {name}: {exc}", file=sys.stderr)
        return None


def _run_subcommand(name: str, argv: Sequence[str]) -> int:
    localized = _localized(name, argv)
    if localized is None:
        return 1
    argv = localized
    module = importlib.import_module(SUBCOMMANDS[name])
    parser = argparse.ArgumentParser(prog=f"mammo-viewer {name}")
    module.add_parser(parser)
    args = parser.parse_args(list(argv))
    result: int = module.run(args)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mammo-viewer`` and ``python -m viewer``."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    configure_logging()
    if args_list and args_list[0] in SUBCOMMANDS:
        return _run_subcommand(args_list[0], args_list[1:])
    args = _gui_parser().parse_args(args_list)
    from viewer.qt.app import run_gui  # Qt only when a window is wanted

    return run_gui(args.paths, screenshot=args.screenshot, reader=args.reader)


if __name__ == "__main__":
    raise SystemExit(main())
