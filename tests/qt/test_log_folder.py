"""Help > Open log folder: the program log's folder goes to the desktop's URL handler."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from viewer.program_log import log_folder
from viewer.qt.main_window import MainWindow


class FileUrls(QObject):
    """Takes file: URLs the way a desktop's file browser would (Qt's URL handler mechanism)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


def test_help_menu_opens_the_log_folder(qtbot: QtBot) -> None:
    """The Help menu's action hands the folder holding the log file to the desktop, and says where."""
    window = MainWindow(reader="tester")
    qtbot.addWidget(window)
    handler = FileUrls()
    QDesktopServices.setUrlHandler("file", handler, "open")  # type: ignore[arg-type]  # the stub says bytes; PySide6 takes str
    try:
        help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
        assert isinstance(help_menu, QMenu)
        action = next(a for a in help_menu.actions() if a.text() == "Open &log folder")
        action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in handler.opened] == [log_folder()]
    assert log_folder().is_dir()
    assert str(log_folder()) in window.last_message
