"""Where the program keeps its own files: the data folder (demo study, fallback annotations,
preferences, logs) and the cache folder (the worklist index, which can always be rebuilt).

The folders of each OS come from platformdirs: on Linux ``~/.local/share/mammo-viewer`` and
``~/.cache/mammo-viewer`` (XDG variables honoured), on macOS ``~/Library/Application
Support/mammo-viewer`` and ``~/Library/Caches/mammo-viewer``, on Windows
``%APPDATA%\\mammo-viewer`` and ``%LOCALAPPDATA%\\mammo-viewer\\Cache``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR_NAME = "mammo-viewer"
DATA_DIR_VARIABLE = "MAMMO_VIEWER_DATA_DIR"
CACHE_DIR_VARIABLE = "MAMMO_VIEWER_CACHE_DIR"


def user_data_dir() -> Path:
    """The per-user data folder; ``MAMMO_VIEWER_DATA_DIR`` overrides it (tests, portable use).

    The folder is created on first use.
    """
    override = os.environ.get(DATA_DIR_VARIABLE)
    if override:
        base = Path(override)
    else:
        base = Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False, roaming=True))
    base.mkdir(parents=True, exist_ok=True)
    return base


def user_cache_dir() -> Path:
    """The per-user cache folder: what may be deleted at any time and is rebuilt on demand.

    ``MAMMO_VIEWER_CACHE_DIR`` overrides it; with only ``MAMMO_VIEWER_DATA_DIR`` set, the
    cache is its ``cache`` subfolder, so that one variable keeps a portable install (or a
    test) entirely in one place. The folder is created on first use.
    """
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        base = Path(override)
    elif os.environ.get(DATA_DIR_VARIABLE):
        base = user_data_dir() / "cache"
    else:
        base = Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False))
    base.mkdir(parents=True, exist_ok=True)
    return base
