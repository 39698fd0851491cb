"""The size labels of a marks layer: their text, the scene their layout is given, their boxes.

What a label says (:func:`size_label`), the drawn marks as arrays (:class:`MarkArrays`),
and the one layout problem a layer hands :class:`viewer.qt.label_placement.LabelPlacer`
before a paint (:func:`label_scene`): the labels to place, best first, and what they must
not cover (every mark, the clusters' labels, the view's text blocks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QWidget

from viewer.core.annotations import Calcification
from viewer.qt.cluster_outlines import ClusterOutlines
from viewer.qt.label_placement import LabelScene

Box = tuple[float, float, float, float]


def size_label(calc: Calcification) -> str:
    """The text beside a mark: long axis with the spacing source, or "not measured"."""
    if calc.sizes is None:
        return "not measured"
    s = calc.sizes
    return s.spacing.format_sourced_length(s.long_axis_mm, s.long_axis_px)


@dataclass
class MarkArrays:
    """The drawn marks' boxes and centres in arrays (image coordinates), rows by id."""

    ids: list[str]
    rows: dict[str, int]
    boxes: np.ndarray
    centres: np.ndarray

    @classmethod
    def of(cls, boxes: Mapping[str, Box], calcs: Mapping[str, Calcification]) -> MarkArrays:
        """The arrays of the marks drawn in ``boxes`` (a mark gone from ``calcs`` has no centre)."""
        ids = list(boxes)
        centres = [calcs[c].center if c in calcs else (math.nan, math.nan) for c in ids]
        return cls(
            ids,
            {c: i for i, c in enumerate(ids)},
            np.array(list(boxes.values()), dtype=np.float64).reshape(-1, 4),
            np.array(centres, dtype=np.float64).reshape(-1, 2),
        )


def screen_obstacles(view: QWidget, viewport: QWidget) -> list[Box]:
    """The view's text blocks and markers (widgets over the picture), in device pixels."""
    out = []
    for widget in view.findChildren(QLabel):
        if widget.isVisible() and widget.parentWidget() is view:
            r = widget.geometry()
            top_left = viewport.mapFrom(view, r.topLeft())
            x, y = float(top_left.x()), float(top_left.y())
            out.append((x, y, x + r.width(), y + r.height()))
    return out


def label_scene(
    ids: Sequence[str],
    texts: Sequence[pg.TextItem],
    calcs: Mapping[str, Calcification],
    selected: set[str],
    mark_boxes: Mapping[str, Box],
    all_marks: np.ndarray,
    clusters: ClusterOutlines,
    obstacles: list[Box],
    dot_px: float,
) -> LabelScene:
    """The layout problem: the selected marks' labels first, then the largest marks' (they get
    the best places, and the smallest are the first hidden when there is no room)."""

    def rank(i: int) -> tuple[bool, float]:
        sizes = calcs[ids[i]].sizes
        return (ids[i] not in selected, -(sizes.long_axis_px if sizes is not None else 0.0))

    order = sorted(range(len(ids)), key=rank)
    ranked = [ids[i] for i in order]
    cluster_ids = list(clusters.items)
    return LabelScene(
        ids=ranked,
        texts=[texts[i] for i in order],
        mark_boxes=np.array([mark_boxes[i] for i in ranked], dtype=np.float64).reshape(-1, 4),
        all_marks=all_marks,
        cluster_texts=[clusters.items[c][1] for c in cluster_ids],
        cluster_boxes=np.array([clusters.boxes[c] for c in cluster_ids], dtype=np.float64),
        cluster_homes=[clusters.homes[c] for c in cluster_ids],
        screen_obstacles=obstacles,
        dot_px=dot_px,
    )


def shown_label_boxes(texts: Mapping[str, pg.TextItem | None]) -> dict[str, QRectF]:
    """The shown labels' boxes in scene coordinates, by mark id."""
    out = {}
    for cid, text in texts.items():
        if text is not None and text.isVisible():
            out[cid] = text.mapRectToScene(text.textItem.mapRectToParent(text.textItem.boundingRect()))
    return out
