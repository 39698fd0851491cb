"""The size labels of a marks layer laid out on screen (:mod:`viewer.core.label_layout`).

Labels are ``pg.TextItem`` children of the view box: their position is in image
coordinates but their size is in device pixels (they ignore the view's scale). The layout
therefore works in device pixels: the marks' boxes and the labels' anchors are mapped to
the device with the view box's affine map, placed, and mapped back. Displaced labels get
a thin leader line to their mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from viewer.core.label_layout import Box, place_labels

LABEL_GAP_PX = 4.0
"""Screen pixels between a mark's outline and its label at the usual place."""
LABEL_REACH_PX = 90.0
"""Farthest a label is put from its mark; one with no free place nearer is hidden."""
OUTLINE_PAD_PX = 1.5
"""Half the widest outline pen: a label keeps off the drawn line, not only its geometry."""


@dataclass(frozen=True)
class DeviceMap:
    """The view box's affine map from image coordinates to device pixels, and back."""

    matrix: np.ndarray
    """2x3: ``device = matrix[:, :2] @ (x, y) + matrix[:, 2]``."""

    @classmethod
    def of(cls, vb: pg.ViewBox) -> DeviceMap:
        o, ex, ey = (vb.mapViewToDevice(QPointF(x, y)) for x, y in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)))
        m = np.array(
            [[ex.x() - o.x(), ey.x() - o.x(), o.x()], [ex.y() - o.y(), ey.y() - o.y(), o.y()]],
            dtype=np.float64,
        )
        return cls(m)

    @property
    def linear(self) -> tuple[float, float, float, float]:
        """The scale and turn part (what a pan does not change)."""
        m = self.matrix
        return (float(m[0, 0]), float(m[0, 1]), float(m[1, 0]), float(m[1, 1]))

    def boxes(self, view_boxes: np.ndarray) -> np.ndarray:
        """Device boxes (N x 4: left, top, right, bottom) of boxes given in image coordinates."""
        m = self.matrix
        x0, y0, x1, y1 = view_boxes.T
        xs = [m[0, 0] * x + m[0, 1] * y + m[0, 2] for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
        ys = [m[1, 0] * x + m[1, 1] * y + m[1, 2] for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
        return np.stack(
            [np.minimum.reduce(xs), np.minimum.reduce(ys), np.maximum.reduce(xs), np.maximum.reduce(ys)], 1
        )

    def to_device(self, x: float, y: float) -> tuple[float, float]:
        m = self.matrix
        return (m[0, 0] * x + m[0, 1] * y + m[0, 2], m[1, 0] * x + m[1, 1] * y + m[1, 2])

    def to_view(self, x: float, y: float) -> QPointF:
        m = self.matrix
        a, b, c, d = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
        det = a * d - b * c
        dx, dy = x - m[0, 2], y - m[1, 2]
        return QPointF((d * dx - b * dy) / det, (a * dy - c * dx) / det)


def _drawn(boxes: np.ndarray, pad: float, half: float) -> np.ndarray:
    """Device boxes grown by ``pad`` on each side and to at least ``half`` around their centre."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    lo = np.minimum(boxes[:, :2] - pad, centre - half)
    hi = np.maximum(boxes[:, 2:] + pad, centre + half)
    return np.hstack([lo, hi])


def text_size(text: pg.TextItem) -> tuple[float, float]:
    """Width and height of a text item's box in device pixels."""
    rect = text.textItem.boundingRect()
    return (float(rect.width()), float(rect.height()))


def text_box(text: pg.TextItem, device: DeviceMap) -> Box:
    """A text item's box on the device, from its position and anchor."""
    w, h = text_size(text)
    pos = text.pos()
    ox, oy = device.to_device(pos.x(), pos.y())
    left, top = ox - text.anchor[0] * w, oy - text.anchor[1] * h
    return (left, top, left + w, top + h)


def leader_pen(color: QColor) -> QPen:
    pen = QPen(QColor(color.red(), color.green(), color.blue(), 190))
    pen.setCosmetic(True)
    pen.setWidthF(1.0)
    pen.setStyle(Qt.PenStyle.SolidLine)
    return pen


class LabelPlacer:
    """Places a layer's labels and draws their leader lines; one per marks layer."""

    def __init__(self, vb: pg.ViewBox, color: QColor) -> None:
        self.vb = vb
        self.leaders = QGraphicsPathItem()
        self.leaders.setPen(leader_pen(color))
        self.leaders.setZValue(10.5)
        vb.addItem(self.leaders, ignoreBounds=True)
        self._last: tuple[object, ...] | None = None

    def detach(self) -> None:
        self.vb.removeItem(self.leaders)

    def forget(self) -> None:
        """The marks or labels changed: the next :meth:`place` lays out again even without a zoom."""
        self._last = None

    def clear(self) -> None:
        self.leaders.setPath(QPainterPath())
        self._last = None

    def place(
        self,
        ids: Sequence[str],
        texts: Sequence[pg.TextItem],
        mark_boxes: np.ndarray,
        obstacle_boxes: np.ndarray,
        obstacle_texts: Sequence[pg.TextItem],
        dot_px: float = 0.0,
    ) -> list[bool]:
        """Place ``texts`` (one per mark box, image coordinates) on screen; True for each shown.

        ``obstacle_boxes`` are the other marks on screen (image coordinates), ``obstacle_texts``
        other labels that keep their place (a cluster's). A mark drawn as a ring of ``dot_px``
        half-side takes at least that room. Labels whose mark is off screen are
        hidden. A pan (same scale, same marks on screen) keeps the last places: they move with
        the image.
        """
        device = DeviceMap.of(self.vb)
        screen = device.boxes(np.array([self._view_rect()], dtype=np.float64))[0]
        bounds: Box = (float(screen[0]), float(screen[1]), float(screen[2]), float(screen[3]))
        pad = OUTLINE_PAD_PX
        dev_marks = _drawn(device.boxes(mark_boxes.reshape(-1, 4)), pad, dot_px)
        on_screen = (
            (dev_marks[:, 2] > bounds[0])
            & (dev_marks[:, 0] < bounds[2])
            & (dev_marks[:, 3] > bounds[1])
            & (dev_marks[:, 1] < bounds[3])
        )
        key = (device.linear, tuple(i for i, s in zip(ids, on_screen, strict=True) if s))
        if key == self._last:
            return [bool(t.isVisible()) for t in texts]
        self._last = key
        shown = [int(i) for i in np.flatnonzero(on_screen)]
        marks: list[Box] = [tuple(map(float, dev_marks[i])) for i in shown]  # type: ignore[misc]
        sizes = [text_size(texts[i]) for i in shown]
        obstacles: list[Box] = []
        if obstacle_boxes.size:
            dev_obstacles = _drawn(device.boxes(obstacle_boxes.reshape(-1, 4)), pad, dot_px)
            inside = (
                (dev_obstacles[:, 2] > bounds[0])
                & (dev_obstacles[:, 0] < bounds[2])
                & (dev_obstacles[:, 3] > bounds[1])
                & (dev_obstacles[:, 1] < bounds[3])
            )
            obstacles.extend(tuple(map(float, b)) for b in dev_obstacles[inside])  # type: ignore[misc]
        obstacles.extend(text_box(t, device) for t in obstacle_texts if t.isVisible())
        placed = place_labels(
            marks, sizes, obstacles, bounds=bounds, gap=LABEL_GAP_PX, max_distance=LABEL_REACH_PX
        )
        visible = [False] * len(texts)
        path = QPainterPath()
        for i, p in zip(shown, placed, strict=True):
            if p is None:
                continue
            visible[i] = True
            left, top, _, bottom = p.box
            texts[i].setPos(device.to_view(left, (top + bottom) / 2))  # anchor (0, 0.5)
            if p.leader is not None:
                (mx, my), (lx, ly) = p.leader
                path.moveTo(device.to_view(mx, my))
                path.lineTo(device.to_view(lx, ly))
        self.leaders.setPath(path)
        for text, on in zip(texts, visible, strict=True):
            text.setVisible(on)
        return visible

    def _view_rect(self) -> tuple[float, float, float, float]:
        rect = self.vb.viewRect()
        return (rect.left(), rect.top(), rect.right(), rect.bottom())
