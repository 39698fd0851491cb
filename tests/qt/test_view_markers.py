"""On-image aids: the 1 cm scale bar with its spacing, orientation letters, the patient line that hides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import image_of, open_window
from viewer.core.display_transform import DisplayTransform
from viewer.qt.main_window import MainWindow
from viewer.qt.view_markers import SCALE_STEPS_MM, bar_length, opposite, screen_directions


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


class TestBarLength:
    @pytest.mark.parametrize(
        ("px_per_mm", "width", "want"),
        [(2.0, 300.0, 10.0), (15.0, 300.0, 5.0), (40.0, 300.0, 2.0), (80.0, 300.0, 1.0), (5e3, 300.0, 0.1)],
    )
    def test_steps_down_to_fit(self, px_per_mm: float, width: float, want: float) -> None:
        """1 cm while it takes at most a third of the view, then 5, 2, 1 ... mm; the smallest when
        nothing fits."""
        assert bar_length(SCALE_STEPS_MM, px_per_mm, width) == want


class TestOnImage:
    def test_bar_shortens_when_zoomed_in(self, qtbot: QtBot, demo_folder: Path) -> None:
        """Zoomed in until 1 cm is wider than the view, the bar is a shorter round length, still
        labelled with its spacing, and fits in the view with its text."""
        window: MainWindow = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        markers = window.view_markers[view]
        spacing = image_of(view).spacing
        assert spacing.col_mm is not None
        view.vb.setRange(xRange=(900, 900 + 4.0 / spacing.col_mm), yRange=(1200, 1204), padding=0)  # 4 mm
        markers.refresh()
        assert markers.bar is not None
        text = markers.bar.text.toPlainText()
        assert text in {"1 mm (ERMF 1.08)", "0.5 mm (ERMF 1.08)"}
        mm = float(text.split()[0])
        assert markers.bar.size == pytest.approx(mm / spacing.col_mm)
        on_screen = markers.bar.size / view.vb.viewPixelSize()[0]
        assert on_screen <= view.width() / 3
        label = markers.bar.text.mapRectToScene(markers.bar.text.boundingRect())
        assert label.left() >= 0 and label.right() <= view.width()
        bar = markers.bar.bar.mapRectToScene(markers.bar.bar.rect())
        assert abs(bar.center().x() - view.width() / 2) <= 2  # centred, whatever its length
        assert abs(label.center().x() - view.width() / 2) <= 2

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
