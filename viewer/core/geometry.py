"""Pixel spacing, pixel <-> millimetre conversion, distances, polygons and hulls.

Coordinate convention used everywhere in mammo-viewer: a point is ``(x, y)`` with
``x`` = column and ``y`` = row of the stored pixel matrix, and the *centre* of a pixel
lies at integer coordinates. The pixel at row 3, column 5 covers ``x`` in
``[4.5, 5.5)`` and ``y`` in ``[2.5, 3.5)`` and has its centre at ``(5.0, 3.0)``.

DICOM orders spacing as (row spacing, column spacing): a step along ``x`` (one
column) is ``col_mm`` long, a step along ``y`` (one row) is ``row_mm`` long
(PS3.3 C.7.6.2.1.1). Lengths are computed in millimetres after scaling each axis,
never as "pixels times one number", so anisotropic spacing is handled exactly.

>>> s = Spacing(0.1, 0.05, SpacingSource.PIXEL_SPACING, "mm calibrated")
>>> round(s.distance_mm((0.0, 0.0), (10.0, 0.0)), 6)   # 10 columns
0.5
>>> round(s.distance_mm((0.0, 0.0), (0.0, 10.0)), 6)   # 10 rows
1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Point = tuple[float, float]
"""A point ``(x, y)`` in pixel coordinates: x = column, y = row, pixel centres at integers."""


class SpacingSource(str, Enum):
    """Where a pixel spacing came from (DOMAIN.md section 3, in order of precedence)."""

    PIXEL_SPACING = "pixel_spacing"
    """Pixel Spacing (0028,0030): calibrated, or corrected to the breast plane by the modality."""
    IMAGER_PIXEL_SPACING_ERMF = "imager_pixel_spacing_ermf"
    """Imager Pixel Spacing divided by the Estimated Radiographic Magnification Factor."""
    IMAGER_PIXEL_SPACING_SID_SOD = "imager_pixel_spacing_sid_sod"
    """Imager Pixel Spacing x Distance Source to Patient / Distance Source to Detector."""
    IMAGER_PIXEL_SPACING = "imager_pixel_spacing"
    """Imager Pixel Spacing alone: measured at the detector, overestimates sizes."""
    MANUAL = "manual"
    """A calibration the reader drew over an object of known length."""
    NONE = "none"
    """No spacing: sizes are in pixels only."""


def magnification_text(factor: float) -> str:
    """A magnification factor as every label writes it: two decimals ("1.07", "1.10").

    The one rounding rule for ERMF and SID/SOD on screen (marks, ruler, scale bar, overlay)
    and in exports' labels; the JSON keeps the full number in ``ermf``.
    """
    return f"{factor:.2f}"


@dataclass(frozen=True)
class Spacing:
    """The physical size of one pixel and where that number came from.

    Parameters
    ----------
    row_mm, col_mm
        Distance between the centres of adjacent rows / columns in mm, or ``None``
        for both when the image is uncalibrated.
    source
        The rule of DOMAIN.md section 3 that produced the numbers.
    label
        What a user reads beside every mm value, e.g. ``"mm at the breast plane (ERMF 1.07)"``.
    ermf
        The magnification factor the detector spacing was divided by, if any: the
        Estimated Radiographic Magnification Factor (source ``imager_pixel_spacing_ermf``)
        or SID / SOD (source ``imager_pixel_spacing_sid_sod``).
    calibration_type
        Pixel Spacing Calibration Type (0028,0A02) when present (``GEOMETRY``, ``FIDUCIAL``).
    note
        Why a rule of higher precedence was skipped (a value it could not use, named
        with its attribute), or ``""``.
    """

    row_mm: float | None
    col_mm: float | None
    source: SpacingSource
    label: str
    ermf: float | None = None
    calibration_type: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if (self.row_mm is None) != (self.col_mm is None):
            raise ValueError("row_mm and col_mm must both be set or both be None")
        if self.row_mm is not None and self.col_mm is not None:
            for name, value in (("row_mm", self.row_mm), ("col_mm", self.col_mm)):
                if not math.isfinite(value) or value <= 0:
                    raise ValueError(f"{name} must be a positive finite number, got {value!r}")
            if self.source is SpacingSource.NONE:
                raise ValueError("a spacing with numbers cannot have source NONE")
        elif self.source is not SpacingSource.NONE:
            raise ValueError(f"source {self.source.value} needs row_mm and col_mm")
        if self.ermf is not None and not (math.isfinite(self.ermf) and self.ermf > 0):
            raise ValueError(f"ermf must be a positive finite number, got {self.ermf!r}")

    @classmethod
    def uncalibrated(cls) -> Spacing:
        """The spacing of an image with no calibration: sizes in pixels only."""
        return cls(None, None, SpacingSource.NONE, "px (uncalibrated)")

    @property
    def calibrated(self) -> bool:
        """True when mm values can be computed."""
        return self.row_mm is not None

    @property
    def short_label(self) -> str:
        """A few words naming the source, for labels beside a mark ("ERMF 1.08", "detector")."""
        if self.source is SpacingSource.PIXEL_SPACING:
            kind = (self.calibration_type or "").upper()
            return {"GEOMETRY": "breast plane", "FIDUCIAL": "calibrated"}.get(kind, "corrected")
        if self.source is SpacingSource.IMAGER_PIXEL_SPACING_ERMF:
            return f"ERMF {magnification_text(self.ermf)}" if self.ermf else "breast plane est."
        if self.source is SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD:
            return f"SID/SOD {magnification_text(self.ermf)}" if self.ermf else "breast plane est."
        if self.source is SpacingSource.IMAGER_PIXEL_SPACING:
            return "detector"
        if self.source is SpacingSource.MANUAL:
            return "manual cal."
        return "uncalibrated"

    def format_length(self, mm: float | None, px: float) -> str:
        """A length as users read it: ``"0.52 mm"`` or ``"7.4 px"`` when uncalibrated."""
        return f"{mm:.2f} mm" if mm is not None else f"{px:.1f} px"

    def format_sourced_length(self, mm: float | None, px: float) -> str:
        """A length with its spacing source, as on every mark: ``"0.52 mm (ERMF 1.08)"``."""
        return f"{self.format_length(mm, px)} ({self.short_label})"

    @property
    def unit(self) -> str:
        """``"mm"`` when calibrated, else ``"px"``."""
        return "mm" if self.calibrated else "px"

    def scale(self) -> NDArray[np.float64]:
        """Millimetres per pixel along ``(x, y)``; raises ValueError when uncalibrated."""
        if self.row_mm is None or self.col_mm is None:
            raise ValueError("this image has no pixel spacing: sizes are in pixels only")
        return np.array([self.col_mm, self.row_mm], dtype=np.float64)

    def to_mm(self, points: ArrayLike) -> NDArray[np.float64]:
        """Convert ``(x, y)`` pixel coordinates (shape ``(..., 2)``) to millimetres."""
        return np.asarray(points, dtype=np.float64) * self.scale()

    def distance_mm(self, p: Point, q: Point) -> float | None:
        """Length of the segment ``p``-``q`` in mm, or ``None`` when uncalibrated."""
        if not self.calibrated:
            return None
        d = self.to_mm(np.subtract(q, p))
        return float(math.hypot(d[0], d[1]))

    def area_mm2(self, area_px: float) -> float | None:
        """Convert an area in square pixels to mm^2, or ``None`` when uncalibrated."""
        if self.row_mm is None or self.col_mm is None:
            return None
        return area_px * self.row_mm * self.col_mm

    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types (the sidecar's ``spacing`` object; ``note`` when set)."""
        out: dict[str, Any] = {
            "row_mm": self.row_mm,
            "col_mm": self.col_mm,
            "source": self.source.value,
            "label": self.label,
            "ermf": self.ermf,
            "calibration_type": self.calibration_type,
        }
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Spacing:
        """Inverse of :meth:`to_dict`."""
        return cls(
            row_mm=data.get("row_mm"),
            col_mm=data.get("col_mm"),
            source=SpacingSource(data["source"]),
            label=str(data["label"]),
            ermf=data.get("ermf"),
            calibration_type=data.get("calibration_type"),
            note=str(data.get("note") or ""),
        )


def distance_px(p: Point, q: Point) -> float:
    """Euclidean distance between two points in pixels."""
    return float(math.hypot(q[0] - p[0], q[1] - p[1]))


def polygon_area(points: ArrayLike) -> float:
    """Area of a simple polygon (shoelace formula), in the square of the points' unit."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] < 3:
        return 0.0
    x, y = pts[:, 0], pts[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


_PIP_CELLS = 1 << 20
"""Point x edge pairs compared at once by :func:`points_in_polygon` (bounds its memory)."""


def points_in_polygon(points: ArrayLike, polygon: ArrayLike) -> NDArray[np.bool_]:
    """Which ``(x, y)`` points lie inside a closed polygon (even-odd rule, ray casting).

    The one point-in-polygon test of the program: hit-testing a mark's outline, the
    lasso, a hand-drawn cluster and the sampling of :func:`viewer.core.agreement.polygon_iou`
    all use it. The polygon's first vertex is not repeated; fewer than three vertices
    enclose nothing. A point exactly on an edge may fall either way.

    >>> points_in_polygon([(1, 1), (3, 1)], [(0, 0), (2, 0), (2, 2), (0, 2)]).tolist()
    [True, False]
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    inside = np.zeros(len(pts), dtype=bool)
    if len(poly) < 3 or len(pts) == 0:
        return inside
    x1, y1 = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    keep = y1 != y2  # a horizontal edge is never crossed by a horizontal ray
    x1, y1, x2, y2 = x1[keep], y1[keep], x2[keep], y2[keep]
    dx, dy, up = x2 - x1, y2 - y1, np.sign(y2 - y1)
    step = max(1, _PIP_CELLS // max(len(x1), 1))
    for start in range(0, len(pts), step):
        x = pts[start : start + step, 0:1]
        y = pts[start : start + step, 1:2]
        # the ray from (x, y) towards +x crosses an edge that straddles y when the point lies
        # left of it: x < x1 + (y - y1) dx / dy, multiplied out (no division: near-horizontal
        # edges would overflow it)
        left = ((x - x1) * dy - (y - y1) * dx) * up < 0
        crosses = ((y1 > y) != (y2 > y)) & left
        inside[start : start + step] = np.count_nonzero(crosses, axis=1) % 2 == 1
    return inside


def point_in_polygon(x: float, y: float, polygon: ArrayLike, *, edge_tolerance: float | None = None) -> bool:
    """True when ``(x, y)`` lies inside ``polygon`` (:func:`points_in_polygon` for one point).

    With ``edge_tolerance`` a point within that many pixels of an edge counts as inside too
    (0: exactly on it), as for a convex hull drawn through point marks.
    """
    if points_in_polygon([(x, y)], polygon)[0]:
        return True
    return edge_tolerance is not None and distance_to_edges(x, y, polygon) <= edge_tolerance


def distance_to_edges(x: float, y: float, polygon: ArrayLike) -> float:
    """The distance in pixels from ``(x, y)`` to the nearest edge of the closed ``polygon``."""
    pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return math.inf
    xs, ys = pts[:, 0], pts[:, 1]
    dx, dy = np.roll(xs, -1) - xs, np.roll(ys, -1) - ys
    length2 = dx * dx + dy * dy
    t = np.clip(((x - xs) * dx + (y - ys) * dy) / np.where(length2 == 0, 1.0, length2), 0.0, 1.0)
    return float(np.hypot(xs + t * dx - x, ys + t * dy - y).min())


def polygon_centroid(points: ArrayLike) -> Point:
    """Area centroid of a simple polygon; the vertex mean for degenerate ones."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape[0] < 3:
        m = pts.mean(axis=0)
        return (float(m[0]), float(m[1]))
    x, y = pts[:, 0], pts[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-12:
        m = pts.mean(axis=0)
        return (float(m[0]), float(m[1]))
    cx = ((x + xn) * cross).sum() / (6.0 * a)
    cy = ((y + yn) * cross).sum() / (6.0 * a)
    return (float(cx), float(cy))


def _outside_octagon(pts: NDArray[np.float64]) -> NDArray[np.float64]:
    """``pts`` less those strictly inside the octagon of its extreme points (Akl-Toussaint).

    The octagon's corners (extremes along x, y, x + y, x - y) are hull vertices, so a point
    strictly inside it is strictly inside the hull and never one of its vertices: the hull
    of what is left is the same, and a cluster of thousands of outline points leaves a
    few hundred for the monotone chain.
    """
    if pts.shape[0] < 64:
        return pts
    x, y = pts[:, 0], pts[:, 1]
    # support directions 0, 45, ..., 315 degrees: their extreme points go round counter-clockwise
    scores = (x, x + y, y, y - x, -x, -x - y, -y, x - y)
    corners = [pts[int(np.argmax(score))] for score in scores]
    ring: list[NDArray[np.float64]] = []
    for corner in corners:
        if not ring or not np.array_equal(ring[-1], corner):
            ring.append(corner)
    if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
        ring.pop()
    if len(ring) < 3:
        return pts
    scale = float(np.abs(pts).max()) or 1.0
    inside = np.ones(pts.shape[0], dtype=bool)
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])
        inside &= cross > 1e-9 * scale * scale
    return pts[~inside]


def convex_hull(points: ArrayLike) -> NDArray[np.float64]:
    """Convex hull (Andrew's monotone chain), counter-clockwise in a y-up frame, no repeats.

    Returns an ``(n, 2)`` array; fewer than three distinct points come back as they are.
    """
    pts = np.unique(_outside_octagon(np.asarray(points, dtype=np.float64).reshape(-1, 2)), axis=0)
    if pts.shape[0] < 3:
        return pts

    def cross(o: NDArray[np.float64], a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    lower: list[NDArray[np.float64]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[NDArray[np.float64]] = []
    for p in pts[::-1]:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


@dataclass(frozen=True)
class Feret:
    """Greatest diameter of a shape and the width perpendicular to it.

    ``long_axis`` is the max Feret diameter between ``p1`` and ``p2``; ``short_axis`` is
    the extent of the shape perpendicular to that direction. All values are in the unit
    of the coordinates given to :func:`feret` (pixels, or mm after scaling).
    """

    long_axis: float
    short_axis: float
    p1: Point
    p2: Point


def feret(points: ArrayLike) -> Feret:
    """Max Feret diameter of a point set and the perpendicular width, in the points' unit.

    For anisotropic pixels pass coordinates already scaled to mm (``Spacing.to_mm``), so
    that "longest" is judged in physical space.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if pts.shape[0] == 0:
        raise ValueError("feret() needs at least one point")
    hull = convex_hull(pts)
    if hull.shape[0] == 1:
        p = (float(hull[0, 0]), float(hull[0, 1]))
        return Feret(0.0, 0.0, p, p)
    diff = hull[:, None, :] - hull[None, :, :]
    d2 = (diff**2).sum(axis=2)
    i, j = np.unravel_index(int(np.argmax(d2)), d2.shape)
    a, b = hull[i], hull[j]
    long_axis = float(math.sqrt(d2[i, j]))
    if long_axis == 0.0:  # distinct points whose squared distance underflows (subnormal floats)
        p = (float(a[0]), float(a[1]))
        return Feret(0.0, 0.0, p, p)
    direction = (b - a) / long_axis
    normal = np.array([-direction[1], direction[0]])
    proj = hull @ normal
    short_axis = float(proj.max() - proj.min())
    return Feret(long_axis, short_axis, (float(a[0]), float(a[1])), (float(b[0]), float(b[1])))


def min_distance_between(a: ArrayLike, b: ArrayLike) -> float:
    """Smallest distance between two point sets (e.g. two outlines' vertices)."""
    pa = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    pb = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    d2 = ((pa[:, None, :] - pb[None, :, :]) ** 2).sum(axis=2)
    return float(math.sqrt(d2.min()))


def as_points(points: Sequence[Sequence[float]]) -> list[Point]:
    """Copy any sequence of 2-sequences to a list of ``(x, y)`` float tuples."""
    return [(float(x), float(y)) for x, y in points]
