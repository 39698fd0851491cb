"""Where the program keeps its own files (demo study, fallback annotations, caches)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "mammo-viewer"


def user_data_dir() -> Path:
    """The per-user data folder; ``MAMMO_VIEWER_DATA_DIR`` overrides it (tests, portable use).

    Follows XDG on Linux, ``~/Library/Application Support`` on macOS and ``%APPDATA%`` on
    Windows. The folder is created on first use.
    """
    override = os.environ.get("MAMMO_VIEWER_DATA_DIR")
    if override:
        base = Path(override)
    elif sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / APP_DIR_NAME
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".local" / "share") / APP_DIR_NAME
    base.mkdir(parents=True, exist_ok=True)
    return base
