"""What a reader reports about a cluster: count, span, outline area, centroid, member sizes.

Definitions (DOMAIN.md section 3):

- **span**: the greatest distance between two points of the members' outlines (a
  point-only mark counts as its centre), i.e. the largest extent of the group measured
  with a ruler. It is judged in mm after scaling each axis, so anisotropic spacing is
  handled; ``span_mm`` is ``None`` on an uncalibrated image and ``span_px`` is always
  given.
- **outline**: the polygon the reader drew, or else the convex hull of the members'
  outlines; **area** is that polygon's area (``area_px``; ``area_mm2`` when calibrated).
- **centroid**: the mean of the members' centres (the drawn polygon's centroid for a
  drawn cluster without members).
- **member long axes**: smallest, median and largest long axis (max Feret diameter) of
  the measured members; ``None`` when no member has an outline.

Coordinates are ``(x, y)`` pixels: x = column, y = row, pixel centres at integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from viewer.core.annotations import Calcification, Cluster, ImageAnnotations
from viewer.core.cluster import ClusterRule, linkage_coordinates, single_linkage
from viewer.core.geometry import (
    Point,
    Spacing,
    convex_hull,
    feret,
    polygon_area,
    polygon_centroid,
)


@dataclass(frozen=True)
class AxisStats:
    """Smallest, median and largest member long axis, in one unit."""

    smallest: float
    median: float
    largest: float

    @classmethod
    def of(cls, values: Sequence[float]) -> AxisStats | None:
        """Statistics of ``values``, or ``None`` when there are none."""
        if not values:
            return None
        arr = np.asarray(values, dtype=np.float64)
        return cls(float(arr.min()), float(np.median(arr)), float(arr.max()))

    def to_dict(self) -> dict[str, float]:
        return {"smallest": self.smallest, "median": self.median, "largest": self.largest}


@dataclass(frozen=True)
class ClusterMetrics:
    """Derived measurements of one cluster (never stored as truth: recomputed from members).

    ``outline`` and ``span_endpoints`` are in pixels; ``*_mm`` / ``*_mm2`` values are
    ``None`` when the image is uncalibrated, and ``spacing`` says which spacing was used.
    """

    count: int
    measured_count: int
    span_px: float
    span_mm: float | None
    span_endpoints: tuple[Point, Point]
    outline: tuple[Point, ...]
    outline_drawn: bool
    area_px: float
    area_mm2: float | None
    centroid: Point
    long_axis_px: AxisStats | None
    long_axis_mm: AxisStats | None
    spacing: Spacing

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "count": self.count,
            "measured_count": self.measured_count,
            "span_px": self.span_px,
            "span_mm": self.span_mm,
            "span_endpoints": [list(self.span_endpoints[0]), list(self.span_endpoints[1])],
            "outline": [list(p) for p in self.outline],
            "outline_drawn": self.outline_drawn,
            "area_px": self.area_px,
            "area_mm2": self.area_mm2,
            "centroid": list(self.centroid),
            "long_axis_px": self.long_axis_px.to_dict() if self.long_axis_px else None,
            "long_axis_mm": self.long_axis_mm.to_dict() if self.long_axis_mm else None,
            "spacing_source": self.spacing.source.value,
            "spacing_label": self.spacing.label,
        }


def _extent_points(calc: Calcification) -> list[Point]:
    return list(calc.outline) if calc.outline is not None else [calc.center]


def metrics_of(
    centers: Sequence[Point],
    outlines: Sequence[Sequence[Point] | None],
    spacing: Spacing,
    *,
    drawn_outline: Sequence[Point] | None = None,
    long_axes_px: Sequence[float] = (),
    long_axes_mm: Sequence[float] = (),
) -> ClusterMetrics:
    """Metrics of a group given by its members' centres and outlines (``None`` = point-only).

    ``long_axes_*`` are the measured members' long axes; when empty they are computed from
    ``outlines`` with ``spacing``.
    """
    if len(centers) != len(outlines):
        raise ValueError(f"{len(centers)} centres but {len(outlines)} outlines")
    if not centers and drawn_outline is None:
        raise ValueError("a cluster without members needs a drawn outline")
    pts_list: list[Point] = []
    for center, outline in zip(centers, outlines, strict=True):
        pts_list.extend(outline if outline is not None else [center])
    if not long_axes_px:
        measured = [o for o in outlines if o is not None]
        long_axes_px = [feret(o).long_axis for o in measured]
        if spacing.calibrated:
            long_axes_mm = [feret(spacing.to_mm(o)).long_axis for o in measured]
    pts = np.asarray(pts_list, dtype=np.float64).reshape(-1, 2)

    if pts.shape[0]:
        span = feret(pts)
        span_px, ends = span.long_axis, (span.p1, span.p2)
        span_mm = None
        if spacing.calibrated:
            scale = spacing.scale()
            mm = feret(pts * scale)
            span_mm = mm.long_axis
            ends = ((mm.p1[0] / scale[0], mm.p1[1] / scale[1]), (mm.p2[0] / scale[0], mm.p2[1] / scale[1]))
        centroid_arr = np.asarray(centers, dtype=np.float64).mean(axis=0)
        centroid = (float(centroid_arr[0]), float(centroid_arr[1]))
    else:
        assert drawn_outline is not None
        span_px, span_mm = 0.0, (0.0 if spacing.calibrated else None)
        centroid = polygon_centroid(drawn_outline)
        ends = (centroid, centroid)

    if drawn_outline is not None:
        outline = tuple((float(x), float(y)) for x, y in drawn_outline)
    else:
        outline = tuple((float(x), float(y)) for x, y in convex_hull(pts))
    area_px = polygon_area(outline)
    return ClusterMetrics(
        count=len(centers),
        measured_count=len(long_axes_px),
        span_px=span_px,
        span_mm=span_mm,
        span_endpoints=((float(ends[0][0]), float(ends[0][1])), (float(ends[1][0]), float(ends[1][1]))),
        outline=outline,
        outline_drawn=drawn_outline is not None,
        area_px=area_px,
        area_mm2=spacing.area_mm2(area_px),
        centroid=centroid,
        long_axis_px=AxisStats.of(long_axes_px),
        long_axis_mm=AxisStats.of(long_axes_mm) if spacing.calibrated else None,
        spacing=spacing,
    )


def cluster_metrics(cluster: Cluster, image: ImageAnnotations) -> ClusterMetrics:
    """Metrics of ``cluster`` on ``image`` with the image's spacing in force.

    Member sizes are the marks' stored sizes (the model re-measures them when the
    calibration changes). Raise ValueError naming marks the image does not hold.
    """
    missing = [m for m in cluster.member_ids if m not in image.calcifications]
    if missing:
        raise ValueError(f"cluster {cluster.id} names unknown marks: {', '.join(missing)}")
    calcs = [image.calcifications[m] for m in cluster.member_ids]
    sizes = [c.sizes for c in calcs if c.sizes is not None]
    return metrics_of(
        [c.center for c in calcs],
        [c.outline for c in calcs],
        image.spacing,
        drawn_outline=cluster.outline,
        long_axes_px=[s.long_axis_px for s in sizes],
        long_axes_mm=[s.long_axis_mm for s in sizes if s.long_axis_mm is not None],
    )


def clusters_for_marks(
    centers_xy: Sequence[Point],
    outlines: Sequence[Sequence[Point] | None],
    spacing: Spacing,
    rule: ClusterRule | None = None,
) -> list[dict[str, Any]]:
    """The groups a list of marks forms under ``rule``, for the headless ``measure`` output.

    Parameters
    ----------
    centers_xy
        Mark centres ``(x, y)`` in pixels, in the order of the output's ``calcifications``.
    outlines
        Each mark's outline polygon in pixels, or ``None`` for a point-only mark.
    spacing
        The spacing in force; without one, marks are linked with the rule's pixel
        equivalent and ``linkage_unit`` says ``"px"``.
    rule
        Default: the BI-RADS rule (5 marks within 10 mm).

    Returns
    -------
    One dict per group of two or more linked marks, ordered by first member:
    ``members`` (indices into the input), ``count``, ``span_mm``, ``span_px``,
    ``area_mm2``, ``area_px``, ``centroid`` ``[x, y]``, ``linkage_unit``,
    ``birads_grouped`` (at least ``min_count`` marks in a circle of ``diameter_mm`` and a
    span of at most ``max_span_mm``: :mod:`viewer.core.cluster_shape`),
    ``suggested_distribution`` (``"grouped"``, ``"linear"``, ``"regional"`` or ``None``;
    always ``None`` for fewer than ``min_count`` marks), ``reason`` (the suggestion's one
    line, or ``None``) and the rule's ``min_count``, ``diameter_mm`` and ``max_span_mm``.
    """
    rule = rule or ClusterRule()
    if len(centers_xy) != len(outlines):
        raise ValueError(f"{len(centers_xy)} centres but {len(outlines)} outlines")
    coords = linkage_coordinates(centers_xy, spacing)
    labels = single_linkage(coords, rule.linkage_distance(spacing))
    scale = spacing.scale() if spacing.calibrated else np.ones(2)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(index)
    result = []
    for members in groups.values():
        if len(members) < 2:
            continue
        m = metrics_of([centers_xy[i] for i in members], [outlines[i] for i in members], spacing)
        shape = None
        if len(members) >= rule.min_count:
            extent = [
                np.asarray(outlines[i], dtype=np.float64) * scale
                if outlines[i] is not None
                else coords[i : i + 1]
                for i in members
            ]
            shape = rule.shape(coords[members], np.concatenate(extent), spacing)
        result.append(
            {
                "members": members,
                "count": m.count,
                "span_mm": m.span_mm,
                "span_px": m.span_px,
                "area_mm2": m.area_mm2,
                "area_px": m.area_px,
                "centroid": list(m.centroid),
                "linkage_unit": spacing.unit,
                "birads_grouped": shape is not None and shape.grouped,
                "suggested_distribution": shape.distribution if shape else None,
                "reason": shape.reason if shape else None,
                **rule.to_dict(),
            }
        )
    return result
