"""The window opens a study from a real Orthanc, keeps its marks there, and resolves conflicts.

Each "workstation" is a window with its own user data and cache folder (the study is
retrieved into each one's cache; the reader's local copy of the marks lives there too).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.fixtures.orthanc_server import OrthancServer, free_port
from viewer.core.annotations import Calcification
from viewer.core.commands import AddCalcification
from viewer.qt.gui_gc import GuiCollector
from viewer.qt.main_window import MainWindow
from viewer.session.server_studies import server_annotated_studies
from viewer.sources.orthanc_rest import OrthancRest
from viewer.sources.server_status import read_statuses
from viewer.sources.worklist_status import Status
from viewer.store.locations import DATA_DIR_VARIABLE


@pytest.fixture(scope="module", autouse=True)
def _collect_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    collector = GuiCollector(qapp)
    yield
    collector.stop()


@pytest.fixture
def study_url(orthanc: OrthancServer, demo_files: list[Path]) -> str:
    uid = pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID
    return f"{orthanc.dicomweb}/studies/{uid}"


def workstation(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, folder: Path, reader: str) -> MainWindow:
    """A window as on another computer: its own data and cache folder (set while it runs)."""
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(folder))
    window = MainWindow(reader=reader)
    window.interactive = False  # no question blocks the test; each decision is in the status bar
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    return window


def open_from_server(qtbot: QtBot, window: MainWindow, url: str) -> None:
    assert window.server_opening.open_url(url)
    qtbot.waitUntil(lambda: not window.server_opening.busy, timeout=60000)
    assert window.study is not None, window.last_message
    qtbot.waitUntil(window.images_ready, timeout=60000)


def add_mark(window: MainWindow, x: float) -> Calcification:
    assert window.study is not None
    key = (window.study.images[0].sop_instance_uid, 0)
    calc = Calcification.create((x, 40.0), None, window.model.image(key).spacing, reader=window.mark_reader)
    window.push(AddCalcification(key, calc))
    return calc


def server_marks(url: str) -> dict[str, set[str]]:
    """Every reader's mark ids of the study, as kept on the server."""
    studies, problems = server_annotated_studies(url)
    assert not problems
    return {s.model.reader: {c.id for _, c in s.model.iter_calcifications()} for s in studies}


class TestOpenFromServer:
    def test_marks_saved_in_one_window_open_in_another(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, study_url: str
    ) -> None:
        """Round trip: open by URL, mark, save; a second workstation opening the study has the mark."""
        first = workstation(qtbot, monkeypatch, tmp_path / "ws1", "Dr Server")
        open_from_server(qtbot, first, study_url)
        store = first.session.server_store
        assert store is not None and store.on_server, first.last_message
        assert len(first.study.images) == 4 if first.study else False
        assert "on http" in first.windowTitle()
        calc = add_mark(first, 30.0)
        assert first.save(wait=True)
        qtbot.waitUntil(lambda: "Saved to" in first.last_message, timeout=10000)
        assert calc.id in server_marks(study_url)["Dr Server"]
        first.close()

        second = workstation(qtbot, monkeypatch, tmp_path / "ws2", "Dr Server")
        open_from_server(qtbot, second, study_url)
        assert calc.id in {c.id for _, c in second.model.iter_calcifications()}
        other = workstation(qtbot, monkeypatch, tmp_path / "ws3", "Dr Other")
        open_from_server(qtbot, other, study_url)
        assert not list(other.model.iter_calcifications())  # each reader owns their part
        other.workflow.others.menu.aboutToShow.emit()  # Study > Show another reader's marks
        names = [a.text() for a in other.workflow.others.menu.actions()]
        assert names == ["Dr Server"]
        other.workflow.others.menu.actions()[0].setChecked(True)
        assert calc.id in {
            c.id for _, c in other.workflow.others.shown["Dr Server"].model.iter_calcifications()
        }
        second.close()
        other.close()

    def test_the_same_reader_saving_from_two_places_gets_a_conflict_then_merges(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, study_url: str
    ) -> None:
        """Same reader, two workstations: the later save is refused, nothing is overwritten;
        "reload and merge" keeps both sides' marks, and the next save sends them."""
        reader = "Dr Twice"
        a = workstation(qtbot, monkeypatch, tmp_path / "a", reader)
        open_from_server(qtbot, a, study_url)
        b = workstation(qtbot, monkeypatch, tmp_path / "b", reader)
        open_from_server(qtbot, b, study_url)
        mark_a = add_mark(a, 20.0)
        assert a.save(wait=True)
        mark_b = add_mark(b, 60.0)
        b.save(wait=True)
        qtbot.waitUntil(lambda: "since you opened it" in b.last_message, timeout=10000)
        assert server_marks(study_url)[reader] == {mark_a.id}  # b overwrote nothing
        assert b.session.dirty  # b's marks are not where b asked them to be yet
        b.server_opening.merge()
        assert {c.id for _, c in b.model.iter_calcifications()} == {mark_a.id, mark_b.id}
        assert b.save(wait=True)
        qtbot.waitUntil(lambda: "Saved to" in b.last_message, timeout=10000)
        assert server_marks(study_url)[reader] == {mark_a.id, mark_b.id}
        a.close()
        b.close()

    def test_save_as_a_copy_keeps_both(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, study_url: str
    ) -> None:
        reader = "Dr Copy"
        a = workstation(qtbot, monkeypatch, tmp_path / "a", reader)
        open_from_server(qtbot, a, study_url)
        b = workstation(qtbot, monkeypatch, tmp_path / "b", reader)
        open_from_server(qtbot, b, study_url)
        mark_a = add_mark(a, 25.0)
        assert a.save(wait=True)
        mark_b = add_mark(b, 65.0)
        b.save(wait=True)
        qtbot.waitUntil(lambda: "since you opened it" in b.last_message, timeout=10000)
        b.server_opening.save_as_copy()
        qtbot.waitUntil(lambda: " as Dr Copy (copy " in b.last_message, timeout=10000)
        marks = server_marks(study_url)
        assert marks[reader] == {mark_a.id}
        copies = [name for name in marks if name.startswith(f"{reader} (copy ")]
        assert len(copies) == 1 and mark_b.id in marks[copies[0]]
        a.close()
        b.close()


class TestWhenTheServerFails:
    def test_an_unreachable_server_keeps_the_open_study(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, demo_files: list[Path]
    ) -> None:
        window = workstation(qtbot, monkeypatch, tmp_path / "ws", "Dr Down")
        assert window.open_paths([demo_files[0].parent])
        before = window.study
        uid = pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID
        assert window.server_opening.open_url(f"http://127.0.0.1:{free_port()}/dicom-web/studies/{uid}")
        qtbot.waitUntil(lambda: not window.server_opening.busy, timeout=30000)
        assert "cannot be reached" in window.last_message
        assert window.study is before
        window.close()

    def test_a_retrieval_overtaken_by_another_open_does_not_land(
        self,
        qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        study_url: str,
        demo_files: list[Path],
    ) -> None:
        """The reader asks for a server's study, then opens a local one before it arrives:
        the local study stays, the retrieved one is only announced."""
        window = workstation(qtbot, monkeypatch, tmp_path / "ws", "Dr Quick")
        assert window.server_opening.open_url(study_url)
        assert window.open_paths([demo_files[0].parent])
        local = window.study
        window.server_opening.wait()
        qtbot.waitUntil(lambda: not window.server_opening.busy, timeout=30000)
        assert window.study is local and window.session.server_store is None
        assert "was retrieved" in window.last_message
        window.close()

    def test_a_save_while_the_server_is_down_is_sent_when_it_is_back(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, own_orthanc: OrthancServer
    ) -> None:
        studies = own_orthanc.get_json("/studies?expand")
        assert isinstance(studies, list)
        uid = studies[0]["MainDicomTags"]["StudyInstanceUID"]
        url = f"{own_orthanc.dicomweb}/studies/{uid}"
        window = workstation(qtbot, monkeypatch, tmp_path / "ws", "Dr Offline")
        open_from_server(qtbot, window, url)
        own_orthanc.stop()
        calc = add_mark(window, 33.0)
        assert window.save(wait=True)  # on this computer
        qtbot.waitUntil(lambda: "when the server is back" in window.last_message, timeout=10000)
        store = window.session.server_store
        assert store is not None and store.pending
        own_orthanc.start()
        window.server_opening.send_pending()
        qtbot.waitUntil(lambda: "Saved to" in window.last_message, timeout=20000)
        assert not store.pending
        assert calc.id in server_marks(url)["Dr Offline"]
        window.close()

    def test_study_status_set_from_the_window_goes_to_the_server(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, own_orthanc: OrthancServer
    ) -> None:
        """Ctrl+Alt+D on a server's study records the reader's "done" there for the team; a
        stopped server is said, naming it, and records nothing."""
        studies = own_orthanc.get_json("/studies?expand")
        assert isinstance(studies, list)
        uid = studies[0]["MainDicomTags"]["StudyInstanceUID"]
        window = workstation(qtbot, monkeypatch, tmp_path / "ws", "Dr Status")
        open_from_server(qtbot, window, f"{own_orthanc.dicomweb}/studies/{uid}")
        qtbot.keyClick(
            window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        )
        qtbot.waitUntil(lambda: window.workflow.server_status.pending == 0, timeout=20000)
        assert "marked done on" in window.last_message
        statuses = read_statuses(OrthancRest(own_orthanc.dicomweb), uid)
        assert {s.reader: s.status for s in statuses.values()} == {"Dr Status": Status.DONE}
        own_orthanc.stop()
        qtbot.keyClick(
            window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        )
        qtbot.waitUntil(lambda: window.workflow.server_status.pending == 0, timeout=20000)
        assert (
            "the status was not recorded on" in window.last_message
            and own_orthanc.dicomweb in window.last_message
        )
        own_orthanc.start()
        statuses = read_statuses(OrthancRest(own_orthanc.dicomweb), uid)
        assert [s.status for s in statuses.values()] == [Status.DONE]
        window.close()

    def test_export_from_the_window_of_a_server_study(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, study_url: str
    ) -> None:
        """CSV and SR exports of a study opened from the server hold its marks; the SR references
        the images retrieved into the cache (they are not beside this computer's copy of the marks)."""
        window = workstation(qtbot, monkeypatch, tmp_path / "ws", "Dr Export")
        open_from_server(qtbot, window, study_url)
        calc = add_mark(window, 44.0)
        assert window.save(wait=True)
        assert window.workflow.export_to("csv", tmp_path / "out.csv")
        assert calc.id in (tmp_path / "out.csv").read_text()
        assert window.workflow.export_to("sr", tmp_path / "sr")
        (sr_file,) = list((tmp_path / "sr").glob("*.dcm"))
        sr = pydicom.dcmread(sr_file)
        referenced = {e.value for e in sr.iterall() if e.keyword == "ReferencedSOPInstanceUID"}
        assert window.study is not None and window.study.images[0].sop_instance_uid in referenced
        window.close()
