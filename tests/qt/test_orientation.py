"""Orientation on screen: a file stored a quarter turn from reading hangs turned back, the reader turns
and flips a view (View > Orientation and its keys), and marks stay on the anatomy in stored pixels."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from tests.fixtures.dicom_files import write_turned_view
from tests.fixtures.qt_driving import click_on, grab_grey, open_window, pick, screen_point
from viewer.core.display_transform import DisplayTransform
from viewer.dicom.demo import demo_phantom
from viewer.qt.image_view import ImageView
from viewer.qt.main_window import MainWindow

LCC = 1
STORED = DisplayTransform(3)
"""How the modality stored the LCC: a quarter turn counter-clockwise from reading (R\\P)."""

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _letters(window: MainWindow, view: ImageView) -> dict[str, str]:
    markers = window.view_markers[view]
    markers.refresh()
    return {side: label.text() for side, label in markers.letters.items()}


def _action(window: MainWindow, text: str) -> QAction:
    """The window's action called ``text`` (as in its menu)."""
    return next(a for a in window.findChildren(QAction) if a.text() == text)


def _mark_centres(window: MainWindow) -> list[tuple[float, float]]:
    return [c.center for _, c in window.model.iter_calcifications()]


def _saved_centres(folder: Path) -> list[list[float]]:
    (saved,) = sorted(folder.glob("*.json"))
    data = json.loads(saved.read_text())
    return sorted(c["center"] for image in data["images"] for c in image["calcifications"])


def _click_truth(qtbot: QtBot, window: MainWindow, view: ImageView, centre: tuple[float, float]) -> None:
    qtbot.keyClick(window, Qt.Key.Key_C)
    click_on(qtbot, view, *centre)


class TestQuarterTurnedFile:
    def test_hangs_turned_back_with_its_letters_and_note(self, qtbot: QtBot, demo_folder: Path) -> None:
        """An LCC stored R\\P hangs turned 90° clockwise: chest wall at the seam, A at the nipple edge."""
        write_turned_view(demo_folder, LCC, STORED)
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        assert view.image is not None and view.image.patient_orientation == ("R", "P")
        assert view.hanging == STORED.inverse() == DisplayTransform(1)
        assert _letters(window, view) == {"left": "P", "right": "A", "top": "L", "bottom": "R"}
        assert "stored a quarter turn" in view.overlays.notes.text()
        grey = grab_grey(view)
        third = grey.shape[1] // 3
        middle = slice(grey.shape[0] // 4, 3 * grey.shape[0] // 4)
        # the left breast's chest wall (the densest tissue) faces the seam on the cell's left
        assert grey[middle, :third].mean() > grey[middle, -third:].mean() + 10

    def test_click_finds_the_outline_at_the_stored_position(self, qtbot: QtBot, demo_folder: Path) -> None:
        """A click on a speck of the turned view marks it where it is in the file's pixels, true size."""
        centres = write_turned_view(demo_folder, LCC, STORED)
        phantom = demo_phantom(LCC)
        truth = pick(phantom)
        centre = centres[phantom.truth.index(truth)]
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        _click_truth(qtbot, window, view, centre)
        (mark,) = [c for _, c in window.model.iter_calcifications()]
        assert math.dist(mark.center, centre) < 1.5, (mark.center, centre)
        assert mark.sizes is not None and mark.sizes.long_axis_mm is not None
        assert abs(mark.sizes.long_axis_mm - truth.diameter_mm) <= max(0.08, 0.1 * truth.diameter_mm)
        assert mark.outline is not None and len(mark.outline) >= 3
        xs, ys = np.array(mark.outline).T
        assert xs.min() <= centre[0] <= xs.max() and ys.min() <= centre[1] <= ys.max()


class TestReaderTurns:
    def test_keys_turn_flip_and_reset_the_active_view(self, qtbot: QtBot, demo_folder: Path) -> None:
        """Ctrl+R, Ctrl+Shift+R, Ctrl+Shift+H, Ctrl+Shift+V turn and flip the active view; Ctrl+0 resets."""
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        other = window.hanging.views["RCC"]
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton)
        assert window.hanging.active is view
        before = _letters(window, view)
        qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
        assert view.user_turn == DisplayTransform(1)
        assert view.display_transform == view.hanging.then(DisplayTransform(1))
        turned = _letters(window, view)
        assert turned["right"] == before["top"] and turned["bottom"] == before["right"]
        assert "turned 90° clockwise by the reader" in view.overlays.notes.text()
        qtbot.keyClick(window, Qt.Key.Key_R, CTRL_SHIFT)
        assert view.user_turn.is_identity
        qtbot.keyClick(window, Qt.Key.Key_H, CTRL_SHIFT)
        assert _letters(window, view)["right"] == before["left"]
        qtbot.keyClick(window, Qt.Key.Key_V, CTRL_SHIFT)
        assert view.user_turn == DisplayTransform(2)
        assert _letters(window, view)["top"] == before["bottom"]
        qtbot.keyClick(window, Qt.Key.Key_0, CTRL)
        assert view.user_turn.is_identity and _letters(window, view) == before
        assert other.user_turn.is_identity  # only the active view turned
        assert not window.session.dirty  # how a view is shown is no edit

    def test_marks_stay_on_the_anatomy_and_in_stored_pixels(self, qtbot: QtBot, demo_folder: Path) -> None:
        """A speck clicked in a turned and flipped view is marked where it is in the file; saving
        after a turn writes the same coordinates; the outline is drawn over the speck on screen."""
        window = open_window(qtbot, demo_folder)
        phantom = demo_phantom(LCC)
        first, second = [c for c in phantom.truth if 0.6 <= c.diameter_mm <= 1.5][:2]
        view = window.hanging.views["LCC"]
        _click_truth(qtbot, window, view, first.center)
        qtbot.keyClick(window, Qt.Key.Key_S, CTRL)
        qtbot.waitUntil(lambda: not window.session.dirty, timeout=5000)
        saved_before = _saved_centres(demo_folder)

        window.hanging.active = view
        _action(window, "Rotate 90° &clockwise").trigger()  # as the menu does
        _action(window, "Flip &left-right").trigger()
        assert view.user_turn == DisplayTransform(1, True)
        _click_truth(qtbot, window, view, second.center)
        centres = _mark_centres(window)
        assert len(centres) == 2
        assert min(math.dist(c, second.center) for c in centres) < 1.5
        assert min(math.dist(c, first.center) for c in centres) < 1.5
        # the first mark's outline is drawn over its speck on the turned screen
        view.center_on(*first.center, zoom=4.0)
        view.render()
        assert view.image is not None
        layer = window.layer_for((view.image.sop_instance_uid, 0))
        assert layer is not None
        first_id = next(
            c.id for _, c in window.model.iter_calcifications() if math.dist(c.center, first.center) < 1.5
        )
        speck = view.mapToScene(screen_point(view, *first.center))
        assert layer.outline_boxes()[first_id].adjusted(-2, -2, 2, 2).contains(speck)

        qtbot.keyClick(window, Qt.Key.Key_S, CTRL)
        qtbot.waitUntil(lambda: not window.session.dirty, timeout=5000)
        saved_after = _saved_centres(demo_folder)
        assert saved_before[0] in saved_after  # the first mark's stored coordinates did not move
        assert any(math.dist(c, second.center) < 1.5 for c in saved_after)
