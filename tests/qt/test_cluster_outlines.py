"""A cluster outline redrawn after an edit equals one drawn afresh (viewer.qt.cluster_outlines)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from viewer.core.annotations import Calcification, Cluster, ClusterState, ImageAnnotations
from viewer.core.geometry import Spacing, SpacingSource
from viewer.qt.cluster_outlines import ClusterOutlines
from viewer.qt.mark_outlines import Shape, mark_shape

SPACING = Spacing(0.07, 0.07, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector (overestimates)")


def _calc(cx: float, cy: float, point: bool = False) -> Calcification:
    outline = (
        None
        if point
        else [(cx + 3 * math.cos(t * math.pi / 4), cy + 3 * math.sin(t * math.pi / 4)) for t in range(8)]
    )
    return Calcification.create((cx, cy), outline, SPACING, reader="r")


def _polygon(outlines: ClusterOutlines, cluster_id: str) -> list[tuple[float, float]]:
    path = outlines.items[cluster_id][0].path()
    return [(path.elementAt(i).x, path.elementAt(i).y) for i in range(path.elementCount())]


def test_edits_give_the_fresh_outline(qtbot: Any) -> None:
    """Moving members inside and on the hull, 60 times: each outline equals a fresh drawing."""
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    vb = widget.addViewBox()
    rng = np.random.default_rng(7)
    img = ImageAnnotations("1.2.3.1", 0, "1.2.3", "1.2.3.9", 2000, 1600, "L", "CC", SPACING)
    for i, (x, y) in enumerate(rng.uniform(100, 400, size=(200, 2))):
        calc = _calc(float(x), float(y), point=i % 9 == 0)
        img.calcifications[calc.id] = calc
    ids = list(img.calcifications)
    cluster = Cluster("s1", tuple(ids), ClusterState.SUGGESTED)
    shapes: dict[str, Shape] = {c.id: mark_shape(c.outline, c.center)[0] for c in img.calcifications.values()}
    outlines = ClusterOutlines(vb)
    assert outlines.draw(cluster, img, shapes, QColor("white"))
    inner = 0  # moves of a mark none of whose vertices was on the hull (the hull is reused)
    for step in range(60):
        mid = ids[int(rng.integers(len(ids)))]
        before = shapes[mid]
        calc = img.calcifications[mid]
        moved = calc.moved(
            float(rng.normal(0, 40 if step % 3 else 2)), float(rng.normal(0, 40 if step % 3 else 2))
        )
        img.calcifications[mid] = moved
        shapes[mid] = mark_shape(moved.outline, moved.center)[0]
        hull_before = outlines._hulls["s1"][1]
        assert outlines.draw(cluster, img, shapes, QColor("white"), (mid, before))
        old = np.atleast_2d(np.asarray(before, dtype=np.float64))
        inner += not (old[:, None, :] == hull_before[None, :, :]).all(axis=2).any()
        fresh = ClusterOutlines(vb)
        assert fresh.draw(cluster, img, shapes, QColor("white"))
        assert np.allclose(_polygon(outlines, "s1"), _polygon(fresh, "s1"))
        assert outlines.boxes["s1"] == fresh.boxes["s1"]
        fresh.remove("s1")
    assert inner > 20
