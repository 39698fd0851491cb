"""The outlines of an image's clusters and their labels, as the marks layer draws them.

A cluster without a drawn outline is drawn as the convex hull of its members' vertices,
padded by 0.4 mm so that it surrounds the marks instead of cutting through them. A
suggestion can hold thousands of marks and is redrawn after each edit of one of them: when
the edited mark's old vertices were none of the hull's, the new hull is the hull of the
old hull and the mark's new vertices (the same hull, from a few dozen points).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsPathItem

from viewer.core.annotations import Cluster, ImageAnnotations
from viewer.core.geometry import convex_hull
from viewer.qt.mark_outlines import Shape, cosmetic_pen, polygon_path

CONFIRMED_CLUSTER_COLOR = QColor(255, 60, 200)
SUGGESTED_CLUSTER_COLOR = QColor(255, 255, 255)
REASON_WIDTH = 34
"""Characters per line of a suggestion's reason on the image."""
PAD_MM = 0.4
"""How far a drawn hull stands off its members' vertices."""

Box = tuple[float, float, float, float]


def cluster_label(cluster: Cluster) -> str:
    """What a cluster outline says: kind and count, and for a suggestion the reason
    ("9 calcifications over 34 mm in a line: linear?"); a confirmed one its distribution."""
    n = len(cluster.member_ids)
    if cluster.confirmed:
        return f"cluster ({n})" + (f": {cluster.distribution}" if cluster.distribution else "")
    # wrapped: a one-line reason is wider than a cluster near the cell's edge leaves room for
    reason = textwrap.fill(cluster.note, REASON_WIDTH) if cluster.note else ""
    return f"suggested cluster ({n})" + (f"\n{reason}" if reason else "")


def _vertices(shape: Shape) -> np.ndarray:
    return shape if isinstance(shape, np.ndarray) else np.array([shape], dtype=np.float64)


class ClusterOutlines:
    """The cluster outlines and labels of one image in a view box, with their boxes and label homes."""

    def __init__(self, vb: pg.ViewBox) -> None:
        self._vb = vb
        self.items: dict[str, tuple[QGraphicsPathItem, pg.TextItem]] = {}
        self.boxes: dict[str, Box] = {}
        """Each drawn outline's box in image coordinates."""
        self.homes: dict[str, QPointF] = {}
        """Where each label goes when the layout finds it no free place: over the outline."""
        self._hulls: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
        """Each drawn hull (unpadded) with the members it was made of."""

    def draw(
        self,
        cluster: Cluster,
        img: ImageAnnotations,
        shapes: Mapping[str, Shape],
        color: QColor,
        edited: tuple[str, Shape | None] | None = None,
    ) -> bool:
        """Draw (or redraw) ``cluster``; False if it has too few points to draw.

        ``shapes``: the members' shapes as the layer holds them; ``edited``: the mark that
        changed since the last draw and its shape before (None if it is new).
        """
        if cluster.outline is not None:
            outline = np.asarray(cluster.outline, dtype=np.float64)
        else:
            hull = self._hull(cluster, img, shapes, edited)
            if hull is None:
                return False
            centre = hull.mean(axis=0)
            vec = hull - centre
            norm = np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-9)
            spacing = img.spacing
            pad = PAD_MM / spacing.col_mm if spacing.col_mm else 6.0
            outline = hull + vec / norm * pad
        style = Qt.PenStyle.SolidLine if cluster.confirmed else Qt.PenStyle.DashLine
        top = outline[int(np.argmin(outline[:, 1]))]
        lo, hi = outline.min(axis=0), outline.max(axis=0)
        self.boxes[cluster.id] = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        self.homes[cluster.id] = QPointF(float(top[0]), float(top[1]))
        existing = self.items.get(cluster.id)
        if existing is not None:
            item, label = existing
            item.setPath(polygon_path(outline))
            item.setPen(cosmetic_pen(color, 1.5, style))
            label.setText(cluster_label(cluster), color=color)
            label.setPos(float(top[0]), float(top[1]))
            return True
        item = QGraphicsPathItem(polygon_path(outline))
        item.setPen(cosmetic_pen(color, 1.5, style))
        item.setZValue(8)
        label = pg.TextItem(cluster_label(cluster), color=color, anchor=(0.5, 1), fill=(0, 0, 0, 150))
        label.setPos(float(top[0]), float(top[1]))
        label.setZValue(9)
        self._vb.addItem(item, ignoreBounds=True)
        self._vb.addItem(label, ignoreBounds=True)
        self.items[cluster.id] = (item, label)
        return True

    def _hull(
        self,
        cluster: Cluster,
        img: ImageAnnotations,
        shapes: Mapping[str, Shape],
        edited: tuple[str, Shape | None] | None,
    ) -> np.ndarray | None:
        """The members' hull: from the last one when the edited mark held none of its vertices."""
        cached = self._hulls.get(cluster.id)
        if edited is not None and cached is not None and cached[0] == cluster.member_ids:
            mark_id, before = edited
            shape = shapes.get(mark_id)
            old_hull = cached[1]
            if shape is not None and before is not None:
                old = _vertices(before)
                on_hull = (old[:, None, :] == old_hull[None, :, :]).all(axis=2).any()
                if not on_hull:
                    hull = convex_hull(np.vstack([old_hull, _vertices(shape)]))
                    self._hulls[cluster.id] = (cluster.member_ids, hull)
                    return hull
        parts: list[np.ndarray] = []
        count = 0
        for mid in cluster.member_ids:
            calc = img.calcifications.get(mid)
            if calc is None:
                continue
            vertices = calc.outline if calc.outline is not None else [calc.center]
            count += len(vertices)
            held = shapes.get(mid)
            parts.append(held if isinstance(held, np.ndarray) else np.array(vertices, dtype=np.float64))
        if count < 3:
            self._hulls.pop(cluster.id, None)
            return None
        hull = convex_hull(np.concatenate(parts))
        self._hulls[cluster.id] = (cluster.member_ids, hull)
        return hull

    def remove(self, cluster_id: str) -> None:
        self.boxes.pop(cluster_id, None)
        self.homes.pop(cluster_id, None)
        self._hulls.pop(cluster_id, None)
        items = self.items.pop(cluster_id, None)
        if items is not None:
            for item in items:
                self._vb.removeItem(item)
