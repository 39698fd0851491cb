"""``python -m viewer`` is the ``mammo-viewer`` command."""

from viewer.cli import main

raise SystemExit(main())
