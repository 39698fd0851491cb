"""On-image aids: the 1 cm scale bar with its spacing, orientation letters, the patient line that hides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import image_of, open_window
from viewer.core.display_transform import DisplayTransform
from viewer.qt.main_window import MainWindow
from viewer.qt.view_markers import opposite, screen_directions


class TestDirections:
    @pytest.mark.parametrize(
        ("orientation", "shown", "want"),
        [
            (("A", "R"), DisplayTransform(), {"right": "A", "left": "P", "bottom": "R", "top": "L"}),
            (("P", "L"), DisplayTransform(), {"right": "P", "left": "A", "bottom": "L", "top": "R"}),
            (("P", "F"), DisplayTransform(0, True), {"right": "A", "left": "P", "bottom": "F", "top": "H"}),
            (("A", "FR"), DisplayTransform(), {"right": "A", "left": "P", "bottom": "FR", "top": "HL"}),
            (("R", "P"), DisplayTransform(1), {"right": "A", "left": "P", "bottom": "R", "top": "L"}),
            (("A", "F"), DisplayTransform(3), {"right": "F", "left": "H", "bottom": "P", "top": "A"}),
        ],
    )
    def test_screen_edges(
        self, orientation: tuple[str, str], shown: DisplayTransform, want: dict[str, str]
    ) -> None:
        """The screen's edges name the patient directions, mirrors and turns moving them."""
        assert screen_directions(orientation, shown) == want

    def test_opposite(self) -> None:
        """Opposites letter by letter."""
        assert opposite("AHL") == "PFR"


class TestOnImage:
    def test_bar_letters_and_patient_line(self, qtbot: QtBot, demo_folder: Path) -> None:
        """LCC: a 1 cm bar labelled with the ERMF, A at the right (nipple) edge; the patient line hides."""
        window: MainWindow = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        markers = window.view_markers[view]
        markers.refresh()
        assert markers.bar is not None and markers.bar.isVisible()
        assert markers.bar.text.toPlainText() == "1 cm (ERMF 1.08)"
        spacing = image_of(view).spacing
        assert spacing.col_mm is not None
        assert markers.bar.size == pytest.approx(10.0 / spacing.col_mm)
        assert markers.letters["right"].text() == "A" and markers.letters["left"].text() == "P"
        assert window.view_markers[window.hanging.views["RCC"]].letters["left"].text() == "A"
        assert "DEMO^MAMMO" in markers.patient.text() and markers.patient.isVisible()
        window.patient_line_action.trigger()
        assert not markers.patient.isVisible()

    def test_top_letter_clear_of_the_corner_text(self, qtbot: QtBot, demo_folder: Path) -> None:
        """In a narrow cell the top letter moves below the view/spacing block instead of covering it."""
        window: MainWindow = open_window(qtbot, demo_folder)
        view = window.hanging.views["RCC"]
        markers = window.view_markers[view]
        view.resize(360, 420)  # a cell so narrow that the corner block reaches the middle
        markers.refresh()
        letter, block = markers.letters["top"], view.overlays.top
        assert block.isVisible() and letter.isVisible()
        assert block.geometry().right() > letter.geometry().left()  # they share columns...
        assert not letter.geometry().intersects(block.geometry())  # ...but not pixels
        assert letter.y() > block.geometry().bottom()
