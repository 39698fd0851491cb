"""The magnifier: full-resolution pixels at its own zoom, whatever the view's zoom."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import open_window, view_name
from viewer.core.phantom import Phantom
from viewer.qt.loupe import Loupe


def test_loupe_shows_native_pixels_at_its_own_zoom(
    qtbot: QtBot,
    demo_folder: Path,
    demo_truth: list[Phantom],
) -> None:
    """Held M over a calcification at fit zoom: the lens shows it 2x, windowed like the view."""
    window = open_window(qtbot, demo_folder)
    phantom = demo_truth[1]
    name = view_name(phantom)
    view = window.hanging.views[name]
    truth = max(phantom.truth, key=lambda c: c.diameter_mm)
    window.view_controls.loupe_action.setChecked(True)
    loupe = window.view_controls.loupes[name]
    loupe.show_at(*truth.center)
    assert loupe.isVisible()
    pixmap = loupe.pixmap()
    image = pixmap.toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 2).value()
    corner = image.pixelColor(5, 5).value()
    assert centre > corner  # the bright speck is in the middle of the lens
    # the lens's zoom is its own: a 2 mm calcification is 2 mm / spacing * 2 screen pixels wide
    assert view.zoom_percent() < 50
    row = np.array([image.pixelColor(x, image.height() // 2).value() for x in range(image.width())])
    bright = (row > (row.max() + np.median(row)) / 2).sum()
    expected = truth.diameter_mm / phantom.spacing_mm[1] * loupe.zoom
    assert abs(bright - expected) < 0.35 * expected
    zoom = loupe.zoom
    loupe.change_zoom(2)
    assert loupe.zoom > zoom
    window.view_controls.loupe_action.setChecked(False)
    qtbot.keyClick(window, Qt.Key.Key_M)  # press and release: the lens goes away again
    assert not loupe.isVisible()


def _blob_direction(loupe_image: np.ndarray) -> np.ndarray:
    """Unit vector from the lens centre to the centroid of the speck (its plateau of brightest
    pixels; the tissue around it reaches ~80 % of its grey) in screen x, y."""
    bright = loupe_image >= loupe_image.max() - 0.2 * (loupe_image.max() - np.median(loupe_image))
    ys, xs = np.nonzero(bright)
    h, w = loupe_image.shape
    vector = np.array([xs.mean() - w / 2, ys.mean() - h / 2])
    return vector / np.linalg.norm(vector)


def _lens_array(loupe: Loupe) -> np.ndarray:
    image = loupe.pixmap().toImage()
    return np.array(
        [
            [image.pixelColor(x, y).value() for x in range(0, image.width(), 4)]
            for y in range(0, image.height(), 4)
        ]
    )


@pytest.mark.parametrize("keys", ["ctrl+r", "ctrl+shift+r", "ctrl+shift+h"])
def test_loupe_turns_with_the_view(
    qtbot: QtBot, demo_folder: Path, demo_truth: list[Phantom], keys: str
) -> None:
    """After the reader turns or flips a view, the lens shows the image as the view does: a speck
    right of the lens centre on screen is right of it in the lens, wherever the turn moved it."""
    window = open_window(qtbot, demo_folder)
    phantom = demo_truth[1]
    name = view_name(phantom)
    view = window.hanging.views[name]
    window.hanging.active = view
    truth = max(phantom.truth, key=lambda c: c.diameter_mm)
    cx, cy = truth.center
    lens_at = (cx - 30.0, cy - 10.0)  # the speck is off the lens centre, in a known image direction
    window.view_controls.loupe_action.setChecked(True)
    loupe = window.view_controls.loupes[name]
    modifiers = Qt.KeyboardModifier.ControlModifier
    if "shift" in keys:
        modifiers |= Qt.KeyboardModifier.ShiftModifier
    key = {"r": Qt.Key.Key_R, "h": Qt.Key.Key_H}[keys[-1]]
    for turned in (False, True):
        if turned:
            before = view.display_transform
            qtbot.keyClick(view, key, modifiers)
            assert view.display_transform != before
        loupe.show_at(*lens_at)
        a = view.vb.map_image_to_scene(QPointF(*lens_at))
        b = view.vb.map_image_to_scene(QPointF(cx, cy))
        on_screen = np.array([b.x() - a.x(), b.y() - a.y()])
        on_screen /= np.linalg.norm(on_screen)
        in_lens = _blob_direction(_lens_array(loupe))
        assert float(on_screen @ in_lens) > 0.95, (turned, on_screen, in_lens)
