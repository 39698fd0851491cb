"""The whole job through the real widgets: open, window, mark, measure, save, reopen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, grab_grey, image_of, open_window, pick, view_name
from viewer.core.display_lut import apply_display_lut
from viewer.core.phantom import Phantom


class TestVerticalSlice:
    def test_demo_study_hangs_four_views(self, qtbot: QtBot, demo_folder: Path) -> None:
        """The four demo views are hung in their cells and show windowed pixels."""
        window = open_window(qtbot, demo_folder)
        for name in ("RCC", "LCC", "RMLO", "LMLO"):
            view = window.hanging.views[name]
            assert view.image is not None and view.image.view_label == name
            shown = view.displayed_image()
            assert shown is not None and shown.dtype.name == "uint8"
            # the fitted view shows the whole image through the view's window: its grey levels
            # are those of the window applied to the image (an empty, flat or unwindowed picture
            # fails; the shown picture may be a reduced level, hence percentiles)
            assert view.lut is not None
            expected = apply_display_lut(view.image.pixels(), view.lut, view.lut_offset)
            quartiles = (5, 25, 50, 75, 95)
            got, want = np.percentile(shown, quartiles), np.percentile(expected, quartiles)
            assert np.abs(got - want).max() <= 3, (name, got, want)
            assert want[-1] - want[0] > 50, f"{name}: the demo image should span the greys"

    def test_breasts_hang_back_to_back(self, qtbot: QtBot, demo_folder: Path) -> None:
        """On screen the chest walls meet in the middle: R views have their tissue on the
        right of their cell, L views on the left."""
        window = open_window(qtbot, demo_folder)
        for name in ("RCC", "LCC", "RMLO", "LMLO"):
            view = window.hanging.views[name]
            view.fit()
            grey = grab_grey(view)
            half = grey.shape[1] // 2
            left, right = grey[:, :half].mean(), grey[:, half:].mean()
            if name.startswith("R"):
                assert right > left + 10, (name, left, right)
            else:
                assert left > right + 10, (name, left, right)

    def test_click_measure_save_reopen(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        demo_truth: list[Phantom],
    ) -> None:
        """Click a known calcification: long axis matches truth; saved JSON reopens the mark."""
        window = open_window(qtbot, demo_folder)
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        truth = pick(phantom)
        qtbot.keyClick(window, Qt.Key.Key_C)
        assert window.tool is not None and window.tool.name == "calcification"
        click_on(qtbot, view, *truth.center)
        marks = [c for _, c in window.model.iter_calcifications()]
        assert len(marks) == 1, window.last_message
        sizes = marks[0].sizes
        assert sizes is not None and sizes.long_axis_mm is not None
        spacing = image_of(view).spacing
        tolerance = max(spacing.col_mm or 0, 0.1 * truth.diameter_mm)  # max(1 px, 10 %)
        assert abs(sizes.long_axis_mm - truth.diameter_mm) <= tolerance
        assert sizes.spacing.source.value == "imager_pixel_spacing_ermf"
        qtbot.waitUntil(lambda: window.marks_panel.index_for(marks[0].id).isValid())
        row = window.marks_panel.index_for(marks[0].id)
        assert row.siblingAtColumn(1).data() == f"{sizes.long_axis_mm:.2f} mm"
        assert "ERMF" in row.siblingAtColumn(5).data()
        assert window.marks_panel.summary.text().startswith("Study: 1 calcification")
        assert window.isWindowModified()

        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: not window.session.dirty, timeout=5000)
        saved = sorted(demo_folder.glob("*.json"))
        assert len(saved) == 1, saved
        data = json.loads(saved[0].read_text())
        assert data["reader"] == "tester"
        window.close()

        again = open_window(qtbot, demo_folder)
        reopened = [c for _, c in again.model.iter_calcifications()]
        assert len(reopened) == 1
        assert reopened[0].id == marks[0].id
        assert reopened[0].sizes is not None
        assert reopened[0].sizes.long_axis_mm == pytest.approx(sizes.long_axis_mm)
        assert not again.session.dirty
        again.close()

    def test_click_on_plain_tissue_says_no_calcification(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        demo_truth: list[Phantom],
    ) -> None:
        """A click away from any speck adds nothing and says so."""
        window = open_window(qtbot, demo_folder)
        phantom = demo_truth[0]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        # a corner of the image, far from every calcification of the phantom
        assert all(abs(c.center[0] - 5) + abs(c.center[1] - 5) > 100 for c in phantom.truth)
        click_on(qtbot, view, 5.0, 5.0)
        assert window.model.count() == (0, 0)
        assert "no calcification found here" in window.last_message

    def test_undo_redo_marks(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        demo_truth: list[Phantom],
    ) -> None:
        """Ctrl+Z removes the mark just added, Ctrl+Shift+Z brings it back."""
        window = open_window(qtbot, demo_folder)
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        click_on(qtbot, view, *pick(phantom).center)
        assert window.model.count()[0] == 1
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert window.model.count()[0] == 0
        qtbot.keyClick(
            window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
        assert window.model.count()[0] == 1

    def test_right_drag_changes_window(self, qtbot: QtBot, demo_folder: Path) -> None:
        """Dragging with the right button changes width and level, keeping the VOI function."""
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        assert view.voi is not None
        before = (view.voi.center, view.voi.width, view.voi.function)
        start = QPoint(view.width() // 2, view.height() // 2)
        qtbot.mousePress(view.viewport(), Qt.MouseButton.RightButton, pos=start)
        for step in range(1, 6):
            qtbot.mouseMove(view.viewport(), start + QPoint(20 * step, 10 * step))
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.RightButton, pos=start + QPoint(100, 50))
        after = (view.voi.center, view.voi.width, view.voi.function)
        assert after[1] is not None and before[1] is not None and after[1] > before[1]
        assert after[0] != before[0]
        assert after[2] == before[2]
