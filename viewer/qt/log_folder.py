"""Help > Open log folder: show the folder of the program log in the desktop's file browser.

The log (:mod:`viewer.program_log`) is what a user sends with "this image looks wrong"; this
action saves them from hunting for the user data folder of their OS.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from viewer.program_log import log_folder


def open_log_folder(notify: Callable[[str], None]) -> bool:
    """Open the log folder in the file browser; say where it is when that is not possible."""
    folder = log_folder()
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        notify(f"the log folder is {folder}")
        return True
    notify(f"no file browser could be opened; the log folder is {folder}")
    return False
