"""The magnifier: full-resolution pixels at its own zoom, whatever the view's zoom."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import open_window, view_name
from viewer.core.phantom import Phantom


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
