"""Study > Publish marks to the server, through the real window and a real Orthanc."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.fixtures.orthanc_server import OrthancServer
from tests.fixtures.qt_driving import open_window
from tests.pacs.test_server_window import add_mark, open_from_server, workstation
from viewer.qt.gui_gc import GuiCollector
from viewer.qt.main_window import MainWindow
from viewer.sources.dicomweb import DicomwebServer
from viewer.store.locations import DATA_DIR_VARIABLE

SR = "1.2.840.10008.5.1.4.1.1.88.34"
GSPS = "1.2.840.10008.5.1.4.1.1.11.1"


@pytest.fixture(scope="module", autouse=True)
def _collect_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    collector = GuiCollector(qapp)
    yield
    collector.stop()


def _publish_action(window: MainWindow) -> QAction:
    (action,) = [a for a in window.findChildren(QAction) if a.text() == "P&ublish marks to the server"]
    return action


class TestPublishFromTheWindow:
    def test_open_marks_published(
        self,
        qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        own_orthanc: OrthancServer,
        demo_files: list[Path],
    ) -> None:
        """Two marks, unsaved, published from the menu: an SR and a presentation state join the study."""
        uid = str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)
        window = workstation(qtbot, monkeypatch, tmp_path / "ws", "Dr Publish")
        open_from_server(qtbot, window, f"{own_orthanc.dicomweb}/studies/{uid}")
        add_mark(window, 30.0)
        add_mark(window, 60.0)
        _publish_action(window).trigger()
        assert window.last_message.startswith("Publishing the marks to")  # in the background
        assert window.workflow.publishing.wait()
        qtbot.waitUntil(lambda: window.last_message.startswith("Published"), timeout=10000)
        assert "2 calcification(s) of Dr Publish" in window.last_message
        assert "presentation state" in window.last_message
        kinds = [r.sop_class_uid for r in DicomwebServer(own_orthanc.dicomweb).instances(uid)]
        assert kinds.count(SR) == 1 and kinds.count(GSPS) == 1

    def test_local_study_is_told_how(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, demo_files: list[Path]
    ) -> None:
        """A study from a folder has no server to publish to: the status bar says what to use."""
        monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
        folder = shutil.copytree(demo_files[0].parent, tmp_path / "demo")
        window = open_window(qtbot, folder)
        _publish_action(window).trigger()
        assert "Publish needs a study opened from a server" in window.last_message
