"""The Open from server dialog against a real Orthanc: listing, picking, an unreachable server."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.orthanc_server import OrthancServer
from viewer.qt.server_dialog import OpenFromServerDialog


@pytest.fixture
def study_uid(demo_files: list[Path]) -> str:
    return str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)


class TestOpenFromServerDialog:
    def test_lists_and_picks_a_study(self, qtbot: QtBot, orthanc: OrthancServer, study_uid: str) -> None:
        """The dialog lists the server's mammography studies and returns the one picked."""
        dialog = OpenFromServerDialog([orthanc.dicomweb])
        qtbot.addWidget(dialog)
        dialog.search()
        qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=30000)
        uids = [s.study_instance_uid for s in dialog._studies]
        assert study_uid in uids
        dialog.table.selectRow(uids.index(study_uid))
        dialog.accept()
        assert dialog.chosen is not None
        assert dialog.chosen[0] == orthanc.dicomweb and dialog.chosen[1].study_instance_uid == study_uid

    def test_unreachable_server_is_said_in_the_dialog(self, qtbot: QtBot) -> None:
        """A server that does not answer: the status line says so, no traceback."""
        from tests.fixtures.orthanc_server import free_port

        dialog = OpenFromServerDialog([f"http://127.0.0.1:{free_port()}/dicom-web"])
        qtbot.addWidget(dialog)
        dialog.search()
        qtbot.waitUntil(lambda: "cannot be reached" in dialog.status.text(), timeout=30000)
        assert dialog.table.rowCount() == 0
