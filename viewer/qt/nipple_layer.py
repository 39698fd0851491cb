"""The nipple, the chest wall line and the search band drawn on one hanging cell.

The nipple is a target the reader can drag (the drop is one undo step: a
:class:`viewer.core.reading_commands.SetLandmarks`); the chest wall line (image edge or
pectoral muscle) is dashed; the band is two circles around the nipple where a finding
seen on the other view should be (its nipple distance +-1 cm), drawn as ellipses in
pixels when the spacing is anisotropic.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from pyqtgraph.graphicsItems.TargetItem import TargetLabel
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsLineItem

from viewer.core.geometry import Point, Spacing
from viewer.core.landmarks import Landmarks, LandmarkSource
from viewer.qt.image_view import ImageView

NIPPLE_COLOR = QColor(255, 200, 0)
BAND_COLOR = QColor(255, 230, 80)


def _pen(color: QColor, style: Qt.PenStyle = Qt.PenStyle.SolidLine, width: float = 1.5) -> QPen:
    pen = QPen(color)
    pen.setCosmetic(True)
    pen.setWidthF(width)
    pen.setStyle(style)
    return pen


class _Caption(TargetLabel):
    """The target's word ("nipple"), which only shows: pyqtgraph's label also drags its target,
    so that a pan started on the word (up to ~50 px from the cross) moved the nipple instead."""

    def mouseDragEvent(self, ev: MouseDragEvent) -> None:
        ev.ignore()

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        ev.ignore()


class NippleLayer:
    """Nipple target, chest wall line and band of one view."""

    def __init__(self, view: ImageView, moved: Callable[[Point], None]) -> None:
        self.view = view
        self._moved = moved
        self.landmarks: Landmarks | None = None
        self.target = pg.TargetItem(
            pos=(0.0, 0.0),
            size=18,
            symbol="crosshair",
            pen=pg.mkPen(NIPPLE_COLOR, width=2),
            movable=True,
        )
        self.target.setZValue(20)
        self.caption = _Caption(self.target, "nipple", offset=(12, -12), color=NIPPLE_COLOR)
        self.target.sigPositionChangeFinished.connect(self._dropped)
        self.wall = QGraphicsLineItem()
        self.wall.setPen(_pen(NIPPLE_COLOR, Qt.PenStyle.DashLine, 1.0))
        self.wall.setZValue(19)
        self.band = [QGraphicsEllipseItem(), QGraphicsEllipseItem()]
        for ring in self.band:
            ring.setPen(_pen(BAND_COLOR, Qt.PenStyle.DashLine, 1.5))
            ring.setZValue(18)
        for item in (self.target, self.wall, *self.band):
            view.vb.addItem(item, ignoreBounds=True)
            item.hide()

    def show(self, landmarks: Landmarks | None) -> None:
        """Draw ``landmarks`` (or nothing)."""
        self.landmarks = landmarks
        if landmarks is None:
            for item in (self.target, self.wall, *self.band):
                item.hide()
            return
        self.target.blockSignals(True)
        self.target.setPos(QPointF(*landmarks.nipple))
        self.target.blockSignals(False)
        label = "nipple" if landmarks.source is LandmarkSource.FOUND else "nipple (reader)"
        self.caption.setText(label)
        (ax, ay), (bx, by) = landmarks.chest_wall
        self.wall.setLine(QLineF(ax, ay, bx, by))
        self.target.show()
        self.wall.show()

    def show_band(self, spacing: Spacing, inner_mm: float, outer_mm: float) -> None:
        """Circles at ``inner_mm`` and ``outer_mm`` from the nipple (pixels when uncalibrated)."""
        if self.landmarks is None:
            return
        nx, ny = self.landmarks.nipple
        scale = spacing.scale() if spacing.calibrated else None
        for ring, radius in zip(self.band, (inner_mm, outer_mm), strict=True):
            rx = radius / scale[0] if scale is not None else radius
            ry = radius / scale[1] if scale is not None else radius
            ring.setRect(QRectF(nx - rx, ny - ry, 2 * rx, 2 * ry))
            ring.setVisible(radius > 0)

    def hide_band(self) -> None:
        for ring in self.band:
            ring.hide()

    @property
    def band_shown(self) -> bool:
        return any(ring.isVisible() for ring in self.band)

    def _dropped(self) -> None:
        pos = self.target.pos()
        self._moved((float(pos.x()), float(pos.y())))

    def detach(self) -> None:
        for item in (self.target, self.wall, *self.band):
            self.view.vb.removeItem(item)
