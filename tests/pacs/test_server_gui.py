"""File > Open from server against a real Orthanc: the dialog, the opened study, saving, a conflict."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from viewer.qt.main_window import MainWindow
from viewer.qt.server_dialog import OpenFromServerDialog
from viewer.qt.settings import Preferences
from viewer.sources.orthanc_rest import ANNOTATION_ATTACHMENT, OrthancRest
from viewer.sources.server_document import SharedAnnotations
from viewer.sources.server_store import ServerAnnotationStore

from orthanc_server import OrthancServer
from pacs_clients import add_mark, mark_ids, open_store


@pytest.fixture
def study_uid(demo_files: list[Path]) -> str:
    return str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)


def _window(qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(Preferences(), reader="tester")
    window.background_decoding = False
    qtbot.addWidget(window)
    return window


def _server_ids(server: OrthancServer, study_uid: str, key: str) -> set[str]:
    rest = OrthancRest(server.dicomweb)
    current = rest.get(rest.study_id(study_uid), "attachments", ANNOTATION_ATTACHMENT)
    assert current is not None
    return mark_ids(SharedAnnotations.parse(current.data, "t", study_uid).model(key, "t"))


class TestOpenFromServerDialog:
    def test_lists_and_picks_a_study(self, qtbot, orthanc: OrthancServer, study_uid: str) -> None:  # type: ignore[no-untyped-def]
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

    def test_unreachable_server_is_said_in_the_dialog(self, qtbot) -> None:  # type: ignore[no-untyped-def]
        """A server that does not answer: the status line says so, no traceback."""
        from orthanc_server import free_port

        dialog = OpenFromServerDialog([f"http://127.0.0.1:{free_port()}/dicom-web"])
        qtbot.addWidget(dialog)
        dialog.search()
        qtbot.waitUntil(lambda: "cannot be reached" in dialog.status.text(), timeout=30000)
        assert dialog.table.rowCount() == 0


class TestWindowOnServer:
    def test_open_mark_save(self, qtbot, own_orthanc: OrthancServer, study_uid: str) -> None:  # type: ignore[no-untyped-def]
        """A study opened from the server hangs its four views, and a save reaches the server."""
        window = _window(qtbot)
        window.server_opening.open_study(own_orthanc.dicomweb, study_uid)
        qtbot.waitUntil(lambda: window.study is not None, timeout=60000)
        assert window.study is not None and len(window.study.by_view()) == 4
        assert isinstance(window.store, ServerAnnotationStore) and window.store.on_server
        mark = add_mark(window.model, window.study, 0)
        window.saving.mark_dirty_without_command()
        assert window.saving.save(wait=True)
        assert _server_ids(own_orthanc, study_uid, "tester") == {mark.id}
        assert "Saved to" in window.last_message
        assert own_orthanc.dicomweb in window.prefs.recent_servers

    def test_conflict_reload_and_merge(
        self, qtbot, own_orthanc: OrthancServer, study_uid: str, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        """The same reader saved elsewhere meanwhile: the window asks, merges, and saves both."""
        window = _window(qtbot)
        assert window.server_opening.open_url(f"{own_orthanc.dicomweb}/studies/{study_uid}")
        assert window.study is not None
        elsewhere = open_store(tmp_path / "pc2", own_orthanc.dicomweb, study_uid, "tester")
        theirs = elsewhere.load()
        other = add_mark(theirs, window.study, 5)
        assert elsewhere.save(theirs).sent
        mine = add_mark(window.model, window.study, 1)
        asked: list[str] = []
        window.server_opening.ask_conflict = lambda text: asked.append(text) or "merge"  # type: ignore[method-assign]
        window.saving.mark_dirty_without_command()
        window.saving.save(wait=True)
        qtbot.waitUntil(
            lambda: _server_ids(own_orthanc, study_uid, "tester") == {mine.id, other.id}, timeout=30000
        )
        assert asked and "someone saved this study since you opened it" in asked[0]
        assert mark_ids(window.model) == {mine.id, other.id}
