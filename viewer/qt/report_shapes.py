"""A measurement report's other shapes (a ruler, a region another tool measured) on one view.

Drawn read-only in the other readers' colour: the line or outline in image pixels, and what
was measured ("Length 4.03 mm") in screen-sized text centred above it.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from viewer.interop.sr_read import ReportShape
from viewer.qt.image_view import ImageView

CLOSED_TYPES = ("POLYGON", "CIRCLE", "ELLIPSE")


def shape_path(shape: ReportShape) -> QPainterPath:
    """The shape as a path in image coordinates (pixel centres at integers)."""
    path = QPainterPath()
    points = [QPointF(x, y) for x, y in shape.points]
    if shape.graphic_type == "CIRCLE" and len(points) == 2:
        centre, edge = points
        radius = ((edge.x() - centre.x()) ** 2 + (edge.y() - centre.y()) ** 2) ** 0.5
        path.addEllipse(centre, radius, radius)
        return path
    if shape.graphic_type in ("POINT", "MULTIPOINT"):
        for p in points:
            path.addEllipse(p, 2.0, 2.0)
        return path
    path.moveTo(points[0])
    for p in points[1:]:
        path.lineTo(p)
    if shape.graphic_type in CLOSED_TYPES:
        path.closeSubpath()
    return path


class ReportShapesLayer:
    """The shapes of one report that fall on one view's image."""

    def __init__(self, view: ImageView, shapes: list[ReportShape], color: QColor) -> None:
        self.view = view
        self.items: list[QGraphicsPathItem] = []
        self.texts: list[pg.TextItem] = []
        pen = QPen(color)
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        for shape in shapes:
            item = QGraphicsPathItem(shape_path(shape))
            item.setPen(pen)
            item.setZValue(14)
            view.vb.addItem(item, ignoreBounds=True)
            self.items.append(item)
            if shape.text:  # centred above the shape, so that neighbouring rulers' words part
                text = pg.TextItem(shape.text, color=color, anchor=(0.5, 1.0))
                text.setZValue(14)
                box = item.path().boundingRect()
                text.setPos(box.center().x(), box.top())
                view.vb.addItem(text, ignoreBounds=True)
                self.texts.append(text)

    def detach(self) -> None:
        for item in [*self.items, *self.texts]:
            self.view.vb.removeItem(item)
        self.items, self.texts = [], []
