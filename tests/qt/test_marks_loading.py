"""The window shows a study at once and its marks when the background reading delivers them."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, shown_window, view_name
from viewer.core.annotations import Calcification
from viewer.core.commands import AddCalcification
from viewer.core.phantom import Phantom
from viewer.qt.annotation_controller import AnnotationController
from viewer.qt.main_window import MainWindow
from viewer.qt.report_action import write_window_report
from viewer.session.study_session import StudySession, read_studies
from viewer.store import sidecar
from viewer.store.session import AnnotationStore

READER = "tester"


def _with_marks(folder: Path, n: int) -> set[str]:
    """Save ``n`` marks of ``READER`` on the first image of the study in ``folder``; their ids."""
    session = StudySession(READER)
    try:
        opened = session.open(read_studies([folder]))
        key = (opened.study.images[0].sop_instance_uid, 0)
        ids = set()
        for i in range(n):
            calc = Calcification.create((100.0 + 10 * i, 120.0), None, session.model.image(key).spacing)
            session.push(AddCalcification(key, calc))
            ids.add(calc.id)
        session.save()
    finally:
        assert session.shutdown()
    return ids


class _HeldReads:
    """Holds the reading of the annotation files of ``folder`` until :meth:`release`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        self.event = threading.Event()
        original = AnnotationStore.read

        def read(store: AnnotationStore) -> None:
            if store.path.parent == folder:
                self.event.wait(20)
            original(store)

        monkeypatch.setattr(AnnotationStore, "read", read)

    def release(self) -> None:
        self.event.set()


def _drawn(window: MainWindow) -> set[str]:
    return set().union(*(set(layer.drawn_ids) for layer in window.cells.layers.values()))


def _shown_ids(window: MainWindow) -> set[str]:
    return {c.id for _, c in window.model.iter_calcifications()}


def _window(qtbot: QtBot) -> MainWindow:
    """A shown window, no study open, that reads every annotation file in the background."""
    window = shown_window(qtbot, READER)
    window.opening.background_bytes = 0  # however small
    return window


class TestMarksLoading:
    def test_the_study_opens_first_and_its_marks_follow(
        self, qtbot: QtBot, demo_folder: Path, demo_truth: list[Phantom], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """While the file is read the window says so and takes no mark; then every mark is shown."""
        ids = _with_marks(demo_folder, 5)
        window = _window(qtbot)
        held = _HeldReads(monkeypatch, demo_folder)
        assert window.open_paths([demo_folder])
        qtbot.waitUntil(window.images_ready, timeout=60000)
        assert window.session.reading is not None
        assert "Loading marks" in window.marks_panel.summary.text()
        window.set_tool("calcification")
        phantom = demo_truth[1]
        click_on(qtbot, window.hanging.views[view_name(phantom)], *phantom.truth[0].center)
        assert window.model.count()[0] == 0
        assert "still being read" in window.last_message
        held.release()
        qtbot.waitUntil(lambda: window.session.reading is None, timeout=20000)
        assert _shown_ids(window) == ids
        qtbot.waitUntil(lambda: _drawn(window) == ids)
        assert "5 calcifications" in window.marks_panel.summary.text()
        assert not window.session.dirty

    def test_no_report_of_marks_not_read_yet(
        self, qtbot: QtBot, demo_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A report asked for while the marks are read is refused (it would say "No calcifications
        marked"), and written with the marks once they are shown."""
        _with_marks(demo_folder, 3)
        window = _window(qtbot)
        held = _HeldReads(monkeypatch, demo_folder)
        assert window.open_paths([demo_folder])
        assert window.session.reading is not None
        out = tmp_path / "report.html"
        assert not write_window_report(window, out)
        assert not out.exists() and "still being read" in window.last_message
        held.release()
        qtbot.waitUntil(lambda: window.session.reading is None, timeout=20000)
        assert write_window_report(window, out)
        assert "No calcifications marked" not in out.read_text(encoding="utf-8")

    def test_a_study_switch_mid_reading_never_shows_the_old_marks(
        self, qtbot: QtBot, demo_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Study B opened while A's file is read (same images, other marks): only B's marks appear."""
        other = tmp_path / "other-copy"
        shutil.copytree(demo_folder, other)
        ids_a = _with_marks(demo_folder, 4)
        ids_b = _with_marks(other, 2)
        window = _window(qtbot)
        held = _HeldReads(monkeypatch, demo_folder)
        assert window.open_paths([demo_folder])
        assert window.session.reading is not None
        assert window.open_paths([other])
        held.release()
        qtbot.waitUntil(lambda: window.session.reading is None, timeout=20000)
        qtbot.wait(200)  # the old reading's delivery, had it been applied
        assert window.study is not None and window.study.folder == other
        assert _shown_ids(window) == ids_b
        qtbot.waitUntil(lambda: _drawn(window) == ids_b)
        assert not _drawn(window) & ids_a
        assert "2 calcifications" in window.marks_panel.summary.text()

    def test_a_corrupt_file_read_in_the_background_opens_read_only(
        self, qtbot: QtBot, demo_folder: Path, dialogs: object
    ) -> None:
        """A corrupt file still opens read-only with its message, and stays byte for byte."""
        _with_marks(demo_folder, 2)
        path = sidecar.sidecar_path(demo_folder, READER)
        path.write_bytes(path.read_bytes()[:-30])
        before = path.read_bytes()
        window = _window(qtbot)
        assert window.open_paths([demo_folder])
        qtbot.waitUntil(lambda: window.session.reading is None, timeout=20000)
        assert window.session.read_only_reason
        assert "read-only" in window.last_message
        assert "[read-only]" in window.windowTitle()
        assert not window.save()
        assert path.read_bytes() == before


class TestOneImageATurn:
    def test_suggestions_are_made_one_image_a_turn_for_the_model_set_last(
        self, qtbot: QtBot, demo_folder: Path
    ) -> None:
        """A new model gets its suggestions on later turns; a model set meanwhile drops them."""
        ids = _with_marks(demo_folder, 6)
        session = StudySession(READER)
        try:
            first = session.open(read_studies([demo_folder])).study
            model = session.model
            controller = AnnotationController(lambda _c: None, lambda _m: None, lambda: READER)
            controller.set_model(model, controller.rule)
            assert controller.regrouping() and controller.suggestions == {}
            qtbot.waitUntil(lambda: not controller.regrouping())
            key = (first.images[0].sop_instance_uid, 0)
            assert {m for c in controller.suggestions_for(key) for m in c.member_ids} == ids
            session.close()
            session.open(read_studies([demo_folder]))  # the same marks read again: a new model
            controller.set_model(session.model, controller.rule)
            pending = list(model.images)
            controller.set_model(model.__class__(READER), controller.rule)  # an empty one, set last
            qtbot.waitUntil(lambda: not controller.regrouping())
            assert all(controller.suggestions_for(k) == [] for k in pending)
        finally:
            assert session.shutdown()

    def test_marks_layers_are_made_lazily_and_on_demand(self, qtbot: QtBot, demo_folder: Path) -> None:
        """The active cell's layer first, the others a turn each; asking for one makes it at once."""
        _with_marks(demo_folder, 3)
        window = _window(qtbot)
        assert window.open_paths([demo_folder])
        keys = [layer.key for layer in window.cells.layers.values()]
        assert len(keys) == 4
        window.cells.attach_all(window.model, lazily=True)
        assert len(window.cells.layers) == 1 and window.cells.attaching
        other = next(k for k in keys if k != next(iter(window.cells.layers.values())).key)
        layer = window.cells.layer_for(other)
        assert layer is not None and layer.key == other and len(window.cells.layers) == 2
        qtbot.waitUntil(lambda: not window.cells.attaching)
        assert sorted(layer.key for layer in window.cells.layers.values()) == sorted(keys)
