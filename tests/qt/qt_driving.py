"""Driving the real main window in tests: open, find screen points, click."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from viewer.core.phantom import Phantom, TrueCalcification
from viewer.qt.image_view import ImageView
from viewer.qt.main_window import MainWindow


def grab_grey(widget: ImageView) -> np.ndarray:
    """The widget's pixels on screen as a grey array."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    ptr = image.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return arr[:, : image.width()].astype(np.float64)


def view_name(phantom: Phantom) -> str:
    return f"{phantom.laterality}{phantom.view}"


def screen_point(view: ImageView, x: float, y: float) -> QPoint:
    """Where the image point (x, y) is on the view's viewport, in widget pixels."""
    scene = view.vb.mapViewToScene(QPointF(x, y))
    return view.mapFromScene(scene)


def open_window(qtbot, folder: Path, reader: str = "tester") -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(reader=reader)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)  # so key shortcuts work
    assert window.open_paths([folder])
    qtbot.waitUntil(window.images_ready, timeout=60000)  # decoded in worker processes
    return window


def pick(phantom: Phantom, lo_mm: float = 0.6, hi_mm: float = 1.5) -> TrueCalcification:
    return next(c for c in phantom.truth if lo_mm <= c.diameter_mm <= hi_mm)


def click_on(
    qtbot,
    view: ImageView,
    x: float,
    y: float,  # type: ignore[no-untyped-def]
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    view.center_on(x, y, zoom=4.0)
    view.render()
    pos = screen_point(view, x, y)
    qtbot.mouseMove(view.viewport(), pos)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, pos)
