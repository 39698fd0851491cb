"""``python -m viewer`` is the ``mammo-viewer`` command."""

from viewer.cli import main

if __name__ == "__main__":  # decoding worker processes are spawned and re-import this module
    raise SystemExit(main())
