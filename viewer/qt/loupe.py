"""The magnifier loupe: a square lens over the view showing full-resolution pixels near the cursor.

Radiologists hold it over a group of specks to judge their shape. It has its own zoom
(screen pixels per image pixel, 2 by default, whatever the view's zoom) and draws the
stored image at full resolution with the view's lookup table, so what it shows is never
an upscaled screen image.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel

from viewer.core.display_lut import apply_display_lut
from viewer.qt.image_view import ImageView

LOUPE_SIZE = 280
MIN_ZOOM, MAX_ZOOM = 0.5, 16.0
"""The loupe's own zoom range, in screen pixels per image pixel."""


class Loupe(QLabel):
    """A magnifying lens child widget of one :class:`ImageView`."""

    def __init__(self, view: ImageView, zoom: float = 2.0) -> None:
        # A child of the whole hanging (not of the cell) so that the lens is not cut off
        # where the cell ends, near the chest wall where calcifications often are.
        super().__init__(view.parentWidget() or view)
        self.view = view
        self.zoom = zoom
        """Screen pixels per image pixel inside the lens, whatever the view's zoom."""
        self.setFixedSize(LOUPE_SIZE, LOUPE_SIZE)
        self.setStyleSheet("border: 2px solid #ffb000; background: black;")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        self.last_center: tuple[float, float] | None = None

    def change_zoom(self, steps: int) -> None:
        """Wheel while the loupe is up: 25 % more or less magnification per step."""
        self.zoom = float(np.clip(self.zoom * (1.25**steps), MIN_ZOOM, MAX_ZOOM))
        if self.last_center is not None:
            self.show_at(*self.last_center)

    def show_at(self, x: float, y: float) -> None:
        """Centre the lens on image point (x, y) and draw it."""
        view = self.view
        image = view.image
        lut = view.lut
        if image is None or lut is None:
            self.hide()
            return
        self.last_center = (x, y)
        zoom = self.zoom
        half = max(2, int(np.ceil(LOUPE_SIZE / zoom / 2)))
        cx, cy = int(round(x)), int(round(y))
        pixels = image.pixels(view.frame)
        rows, cols = pixels.shape
        r0, r1 = cy - half, cy + half
        c0, c1 = cx - half, cx + half
        crop = np.zeros((r1 - r0, c1 - c0), dtype=np.uint8)
        sr0, sr1, sc0, sc1 = max(r0, 0), min(r1, rows), max(c0, 0), min(c1, cols)
        if sr1 > sr0 and sc1 > sc0:
            block = pixels[sr0:sr1, sc0:sc1]
            crop[sr0 - r0 : sr1 - r0, sc0 - c0 : sc1 - c0] = apply_display_lut(block, lut, view.lut_offset)
        crop = np.ascontiguousarray(view.display_transform.apply_to_array(crop))  # as the view shows it
        qimage = QImage(
            crop.data, crop.shape[1], crop.shape[0], crop.strides[0], QImage.Format.Format_Grayscale8
        ).copy()
        pixmap = QPixmap.fromImage(qimage).scaled(
            LOUPE_SIZE,
            LOUPE_SIZE,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
        self.setPixmap(pixmap)
        where = view.mapFromScene(view.vb.map_image_to_scene(QPointF(x, y)))
        parent = self.parentWidget()
        if parent is not None and parent is not view:
            where = view.mapTo(parent, where)
        self.move(where - QPoint(LOUPE_SIZE // 2, LOUPE_SIZE // 2))
        self.show()
        self.raise_()
