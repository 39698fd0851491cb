"""The size labels of a marks layer laid out on screen (:mod:`viewer.core.label_layout`).

Labels are ``pg.TextItem`` children of the view box: their position is in image
coordinates but their size is in device pixels (they ignore the view's scale). The layout
therefore works in device pixels: the marks' boxes and the labels' anchors are mapped to
the device with the view box's affine map, placed, and mapped back. Displaced labels get
a thin leader line to their mark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from viewer.core.label_layout import Box, place_labels
from viewer.qt.view_box import MammoViewBox

LABEL_GAP_PX = 4.0
"""Screen pixels between a mark's outline and its label at the usual place."""
LABEL_REACH_PX = 60.0
"""Farthest a label is put from its mark; one with no free place nearer is hidden."""
LABEL_TRIES = 12
"""Places tried per label on average (the first labels, selected or largest, may try all
of theirs): hundreds of labels with no room for most cost a few milliseconds, not tens."""
OUTLINE_PAD_PX = 1.5
"""Half the widest outline pen: a label keeps off the drawn line, not only its geometry."""


@dataclass(frozen=True)
class DeviceMap:
    """The view box's affine map from image coordinates to device pixels, and back."""

    matrix: np.ndarray
    """2x3: ``device = matrix[:, :2] @ (x, y) + matrix[:, 2]``."""

    @classmethod
    def of(cls, vb: MammoViewBox) -> DeviceMap:
        o, ex, ey = (vb.map_image_to_device(QPointF(x, y)) for x, y in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)))
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


@dataclass
class LabelScene:
    """What one layout places and keeps clear of; boxes in image coordinates unless said."""

    ids: list[str]
    """The marks whose labels are placed, best first."""
    texts: list[pg.TextItem]
    mark_boxes: np.ndarray
    """N x 4: the box of each of those marks."""
    all_marks: np.ndarray
    """M x 4: the boxes of every mark drawn (none is covered)."""
    cluster_texts: list[pg.TextItem]
    """The clusters' own labels, placed first, above their outline if there is room."""
    cluster_boxes: np.ndarray
    """K x 4: the box of each cluster's outline."""
    cluster_homes: list[QPointF]
    """Where each cluster's label goes when it finds no free place (it stays shown)."""
    screen_obstacles: list[Box]
    """Device boxes of what is drawn over the picture (the view's text blocks)."""
    dot_px: float = 0.0
    """Half the side of the ring drawn for each mark when zoomed out; 0 when outlines show."""


def _rows(boxes: np.ndarray) -> list[Box]:
    return [(float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in boxes]


def _meets_box(boxes: np.ndarray, screen: Box) -> np.ndarray:
    return np.asarray(
        (boxes[:, 2] > screen[0])
        & (boxes[:, 0] < screen[2])
        & (boxes[:, 3] > screen[1])
        & (boxes[:, 1] < screen[3])
    )


def _set_box(text: pg.TextItem, box: Box, device: DeviceMap) -> None:
    """Move ``text`` so that its box on the device is ``box`` (whatever its anchor)."""
    w, h = box[2] - box[0], box[3] - box[1]
    text.setPos(device.to_view(box[0] + text.anchor[0] * w, box[1] + text.anchor[1] * h))


class LabelPlacer:
    """Places a layer's labels and draws their leader lines; one per marks layer."""

    def __init__(self, vb: MammoViewBox, color: QColor) -> None:
        self.vb = vb
        self.leaders = QGraphicsPathItem()
        self.leaders.setPen(leader_pen(color))
        # under the clusters' labels (9), the outlines (10) and the size labels (11): a
        # leader never hides a speck's outline or a word
        self.leaders.setZValue(8.5)
        vb.addItem(self.leaders, ignoreBounds=True)
        self._key: tuple[object, ...] | None = None
        """The scale and the screen's text blocks of the last full layout."""
        self._placed: set[str] = set()
        """The marks whose labels the layouts since the last full one have placed (or hidden)."""

    def detach(self) -> None:
        self.vb.removeItem(self.leaders)

    def forget(self) -> None:
        """The marks or labels changed: the next :meth:`place` lays everything out again."""
        self._key = None

    def clear(self) -> None:
        self.leaders.setPath(QPainterPath())
        self._key = None

    def place(self, scene: LabelScene) -> list[bool]:
        """Place the scene's labels on screen; True for each size label shown.

        Cluster labels go first, then the size labels, which keep clear of every mark, of
        the cluster labels and of the screen's text blocks. Size labels whose mark is off
        screen are hidden. After a pan (same scale) the labels keep their places, which
        move with the image, and only the labels of marks that came on screen are placed,
        around them.
        """
        device = DeviceMap.of(self.vb)
        rect = self.vb.visible_image_rect()
        screen_box = device.boxes(np.array([[rect.left(), rect.top(), rect.right(), rect.bottom()]]))[0]
        screen: Box = (float(screen_box[0]), float(screen_box[1]), float(screen_box[2]), float(screen_box[3]))
        dev_marks = _drawn(device.boxes(scene.mark_boxes.reshape(-1, 4)), OUTLINE_PAD_PX, scene.dot_px)
        shown = [int(i) for i in np.flatnonzero(_meets_box(dev_marks, screen))]
        key = (device.linear, tuple(scene.screen_obstacles))
        full = key != self._key
        if not full:
            shown = [i for i in shown if scene.ids[i] not in self._placed]
            if not shown:
                return [bool(t.isVisible()) for t in scene.texts]
        obstacles = self._near_marks(scene, device, screen, dev_marks[shown]) + list(scene.screen_obstacles)
        if full:
            self._key = key
            self._placed = set()
            if scene.dot_px:  # zoomed out: the clusters' labels over their outlines, as always
                for text, home in zip(scene.cluster_texts, scene.cluster_homes, strict=True):
                    text.setPos(home)
                    obstacles.append(text_box(text, device))
            else:
                obstacles.extend(self._place_clusters(scene, device, screen, obstacles))
            visible = [False] * len(scene.texts)
            path = QPainterPath()
        else:
            obstacles.extend(text_box(t, device) for t in scene.cluster_texts if t.isVisible())
            obstacles.extend(text_box(t, device) for t in scene.texts if t.isVisible())
            visible = [bool(t.isVisible()) for t in scene.texts]
            path = self.leaders.path()
        placed = place_labels(
            _rows(dev_marks[shown]),
            [text_size(scene.texts[i]) for i in shown],
            obstacles,
            bounds=screen,
            gap=LABEL_GAP_PX,
            max_distance=LABEL_REACH_PX,
            tries_per_label=LABEL_TRIES,
        )
        for i, p in zip(shown, placed, strict=True):
            self._placed.add(scene.ids[i])
            visible[i] = p is not None
            if p is None:
                continue
            _set_box(scene.texts[i], p.box, device)
            if p.leader is not None:
                (mx, my), (lx, ly) = p.leader
                path.moveTo(device.to_view(mx, my))
                path.lineTo(device.to_view(lx, ly))
        self.leaders.setPath(path)
        for text, on in zip(scene.texts, visible, strict=True):
            text.setVisible(on)
        return visible

    @staticmethod
    def _near_marks(scene: LabelScene, device: DeviceMap, screen: Box, labelled: np.ndarray) -> list[Box]:
        """Device boxes of the marks on screen that the labels of ``labelled`` marks or a
        cluster's label could reach (thousands of marks may be on screen, a few labelled)."""
        sizes = [max(text_size(t)) for t in [*scene.texts, *scene.cluster_texts]]
        reach = LABEL_REACH_PX + 2 * LABEL_GAP_PX + max(sizes, default=0.0)
        anchors = np.vstack([device.boxes(scene.cluster_boxes.reshape(-1, 4)), labelled.reshape(-1, 4)])
        marks = _drawn(device.boxes(scene.all_marks.reshape(-1, 4)), OUTLINE_PAD_PX, scene.dot_px)
        marks = marks[_meets_box(marks, screen)]
        if not len(anchors) or not len(marks):
            return []
        # cells of side ``reach``: a mark is kept if its centre is within two cells of an
        # anchor's, or if it is larger than a cell
        cell = max(reach, 1.0)
        lo = np.floor(anchors[:, :2] / cell).astype(np.int64) - 2
        hi = np.floor(anchors[:, 2:] / cell).astype(np.int64) + 2
        span = 1 << 20  # cells are numbered i * span + j (screens are far fewer cells wide)
        wanted = np.array(
            [
                i * span + j
                for (i0, j0), (i1, j1) in zip(lo.tolist(), hi.tolist(), strict=True)
                for i in range(i0, i1 + 1)
                for j in range(j0, j1 + 1)
            ],
            dtype=np.int64,
        )
        centre = np.floor((marks[:, :2] + marks[:, 2:]) / 2 / cell).astype(np.int64)
        keep = np.isin(centre[:, 0] * span + centre[:, 1], wanted)
        keep |= np.maximum(marks[:, 2] - marks[:, 0], marks[:, 3] - marks[:, 1]) > cell
        return _rows(marks[keep])

    @staticmethod
    def _place_clusters(scene: LabelScene, device: DeviceMap, screen: Box, obstacles: list[Box]) -> list[Box]:
        """Put each cluster's label over its outline where that is free; return their boxes."""
        texts = [t for t in scene.cluster_texts if t.isVisible()]
        if not texts:
            return []
        keep = [i for i, t in enumerate(scene.cluster_texts) if t.isVisible()]
        hulls = device.boxes(scene.cluster_boxes.reshape(-1, 4)[keep])
        placed = place_labels(
            _rows(hulls),
            [text_size(t) for t in texts],
            obstacles,
            bounds=screen,
            gap=LABEL_GAP_PX,
            max_distance=LABEL_REACH_PX,
            above_first=True,
        )
        boxes = []
        for i, text, p in zip(keep, texts, placed, strict=True):
            if p is None:  # no free place on screen (the outline fills it): where it always went
                text.setPos(scene.cluster_homes[i])
                boxes.append(text_box(text, device))
            else:
                _set_box(text, p.box, device)
                boxes.append(p.box)
        return boxes
