"""Background results never land on an image they were not computed for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.dicom_files import write_tomo
from tests.fixtures.qt_driving import open_window
from tests.fixtures.synthetic_study import write_study
from viewer.qt.main_window import MainWindow

FRAMES = 3


class TestCandidates:
    def test_late_candidates_of_another_study_are_dropped(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        tmp_path: Path,
    ) -> None:
        """Ctrl+F, then another study: the late candidates are not shown and Y adds nothing."""
        window: MainWindow = open_window(qtbot, demo_folder)
        review = window.workflow.candidates
        window.hanging.active = window.hanging.views["LCC"]
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert review.busy
        other = tmp_path / "other"
        write_study(other, reader="someone else")
        assert window.open_paths([other])  # before the candidates come back
        assert review.wait()
        qtbot.waitUntil(lambda: not review.busy, timeout=60000)
        assert review.candidates == [] and review.view is None
        assert "dropped" in window.last_message
        qtbot.keyClick(window, Qt.Key.Key_Y)
        assert window.model.count()[0] == 0
        assert not window.session.dirty

    def test_candidates_of_a_paged_frame_are_dropped(self, qtbot: QtBot, tmp_path: Path) -> None:
        """Candidates found on frame 1 are not shown once the view shows frame 2."""
        window: MainWindow = open_window(qtbot, write_tomo(tmp_path / "tomo", FRAMES))
        view = window.hanging.views["LCC"]
        window.hanging.active = view
        review = window.workflow.candidates
        window.workflow.find_candidates()
        window.set_frame(view, 1)  # shown once frame 2's pixels are decoded, maybe after the search
        assert review.wait()
        qtbot.waitUntil(lambda: not review.busy and view.frame == 1, timeout=60000)
        # whichever came first, frame 1's candidates are not shown on frame 2
        assert review.candidates == []
        assert "dropped" in window.last_message or "cleared" in window.last_message


class TestDecodedFrames:
    def test_full_frame_not_applied_to_a_paged_view(self, qtbot: QtBot, tmp_path: Path) -> None:
        """A view paged to frame 2 while frame 1 was decoding keeps showing frame 2."""
        folder = write_tomo(tmp_path / "tomo", FRAMES)
        window = MainWindow(reader="tester")
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        assert window.open_paths([folder])
        view = window.hanging.views["LCC"]
        assert view.image is not None and not view.pixels_ready
        window.set_frame(view, 1)
        qtbot.waitUntil(lambda: window.loader.pending == 0 and view.frame == 1, timeout=60000)
        qtbot.wait(50)
        assert view.frame == 1 and view.pixels_ready
        shown = view.pyramid.level(0)
        assert np.array_equal(shown, view.image.pixels(1))
        assert not np.array_equal(shown, view.image.pixels(0))
        assert "frame 2/3" in view.overlay_bottom.text()
