"""Which BI-RADS distribution a group of marks shows: the "grouped" area rule, linear, regional.

Single linkage (:mod:`viewer.core.cluster`) only finds *candidates*: marks each within
``diameter`` of another. A chain of such marks is not "grouped". The Atlas means a few
calcifications occupying a small area (DOMAIN.md section 2), so a candidate meets the
**grouped** rule only when

- at least ``min_count`` mark centres lie within one circle of diameter ``diameter``
  (BI-RADS: 5 within 1 cm), and
- the whole group spans at most ``max_span`` (the Atlas' upper limit: "larger numbers
  within 2 cm"); the span is the greatest distance between two points of the members'
  outlines (a point-only mark counts as its centre), as in :mod:`viewer.core.cluster_metrics`.

A candidate that fails the rule is suggested with the distribution its geometry shows:
**linear** when it is elongated (the ratio of the spreads of the centres along their two
principal axes is at least :data:`LINEAR_AXIS_RATIO`), else **regional** when it spans
more than ``max_span``; otherwise no distribution is suggested. Segmental and diffuse are
left to the reader. Every result carries a one-line reason for the reader.

All lengths are in one unit (mm when calibrated, px otherwise); this module does not
know which, except for the label it prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import ConvexHull, QhullError, cKDTree

LINEAR_AXIS_RATIO = 4.0
"""A group whose centres spread at least this many times more along one axis than across is linear."""

GROUPED, LINEAR, REGIONAL = "grouped", "linear", "regional"
"""Distribution ids, as in the BI-RADS lexicon (resources/birads.json)."""

_TOLERANCE = 1e-9  # relative: a mark exactly on the circle is inside it


@dataclass(frozen=True)
class GroupShape:
    """The geometry of one group of marks and the distribution it suggests.

    ``span`` and ``axis_ratio`` are in the unit of the coordinates given; ``axis_ratio`` is
    ``inf`` for marks exactly on a line. ``densest`` is the most centres found in one circle
    of the rule's diameter (counting stops once ``min_count`` is reached; 0, not counted,
    when the span alone rules "grouped" out).
    """

    count: int
    span: float
    densest: int
    axis_ratio: float
    grouped: bool
    distribution: str | None
    reason: str


def max_in_circle(points: ArrayLike, diameter: float, enough: int | None = None) -> int:
    """The most points that one closed circle of ``diameter`` holds (exact, up to rounding).

    An optimal circle can be moved until two points lie on its edge (or it is centred on
    its only point), so circles through every pair closer than ``diameter`` and circles
    centred on every point are the only candidates. Stops early once ``enough`` is found.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = pts.shape[0]
    if n <= 1:
        return n
    r = diameter / 2.0
    reach = r * (1 + _TOLERANCE)
    tree = cKDTree(pts)
    best = int(np.max(tree.query_ball_point(pts, reach, return_length=True)))
    if enough is not None and best >= enough:
        return best
    pairs = tree.query_pairs(diameter * (1 + _TOLERANCE), output_type="ndarray")
    if not len(pairs):
        return best
    a, b = pts[pairs[:, 0]], pts[pairs[:, 1]]
    mid = (a + b) / 2.0
    half = b - a
    d = np.hypot(half[:, 0], half[:, 1])
    h = np.sqrt(np.clip(r * r - (d / 2.0) ** 2, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        normal = np.stack([-half[:, 1], half[:, 0]], axis=1) / d[:, None]
    normal = np.nan_to_num(normal)
    centres = np.concatenate([mid + normal * h[:, None], mid - normal * h[:, None]])
    counts = tree.query_ball_point(centres, reach, return_length=True)
    return max(best, int(np.max(counts)))


def hull_points(points: ArrayLike) -> NDArray[np.float64]:
    """A subset of ``points`` holding every vertex of their convex hull.

    Small sets (64 points or fewer) are returned whole. This is what an incremental
    caller keeps: the hull of a set plus new points is the hull of the union, and only
    hull vertices can be the farthest pair (:func:`span`).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if pts.shape[0] > 64:
        try:
            pts = pts[ConvexHull(pts).vertices]
        except QhullError:  # all on one line: the ends are extreme in x or y
            pts = pts[[pts[:, 0].argmin(), pts[:, 0].argmax(), pts[:, 1].argmin(), pts[:, 1].argmax()]]
    return pts


def extreme_points(points: ArrayLike) -> NDArray[np.float64]:
    """The points among which the farthest pair of ``points`` lies (for :func:`span`).

    Large sets are pruned first, exactly: with ``L`` the largest distance between a few
    extreme points and ``c`` the centre of the bounding box, a point of the farthest pair
    lies at least ``L - max |q - c|`` from ``c``. What is left, if still large, is reduced to
    its convex hull (:func:`hull_points`). Unlike the hull, the pruned set says nothing
    of the farthest pair once more points are added.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if pts.shape[0] > 32:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        c = (lo + hi) / 2.0
        rel = pts - c
        r = np.hypot(rel[:, 0], rel[:, 1])
        probes = np.array([[1, 0], [0, 1], [1, 1], [1, -1]], dtype=np.float64)
        proj = rel @ probes.T
        ends = pts[np.concatenate([proj.argmin(axis=0), proj.argmax(axis=0)])]
        bound = _max_distance(ends)
        pts = pts[r >= bound - float(r.max()) - 1e-9 * (1.0 + bound)]
    return hull_points(pts)


def span(points: ArrayLike) -> float:
    """The greatest distance between two of ``points`` (the max Feret diameter)."""
    return _max_distance(extreme_points(points))


def _max_distance(pts: NDArray[np.float64]) -> float:
    if pts.shape[0] < 2:
        return 0.0
    diff = pts[:, None, :] - pts[None, :, :]
    d2 = diff[..., 0] * diff[..., 0] + diff[..., 1] * diff[..., 1]
    return float(math.sqrt(float(d2.max())))


def axis_ratio(points: ArrayLike) -> float:
    """Spread along the principal axis over spread across it (sqrt of the eigenvalue ratio)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if pts.shape[0] < 2:
        return 1.0
    centred = pts - pts.mean(axis=0)
    return _ratio_of(centred.T @ centred / pts.shape[0])


def moments(points: ArrayLike) -> NDArray[np.float64]:
    """``[n, sum x, sum y, sum xx, sum yy, sum xy]`` of ``points``: add and subtract them
    to follow a group as marks join and leave (see :func:`axis_ratio_of_moments`)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x, y = pts[:, 0], pts[:, 1]
    return np.array([pts.shape[0], x.sum(), y.sum(), x @ x, y @ y, x @ y], dtype=np.float64)


def axis_ratio_of_moments(m: NDArray[np.float64]) -> float:
    """:func:`axis_ratio` from :func:`moments` (the same value up to rounding)."""
    n = float(m[0])
    if n < 2:
        return 1.0
    mx, my = m[1] / n, m[2] / n
    cov = np.array([[m[3] / n - mx * mx, m[5] / n - mx * my], [m[5] / n - mx * my, m[4] / n - my * my]])
    return _ratio_of(cov)


def _ratio_of(cov: NDArray[np.float64]) -> float:
    small, large = np.linalg.eigvalsh(cov)
    if large <= 0:
        return 1.0
    if small <= large * 1e-12:
        return math.inf
    return float(math.sqrt(large / small))


def group_shape(
    centres: ArrayLike,
    extent: ArrayLike,
    *,
    min_count: int,
    diameter: float,
    max_span: float,
    unit: str = "mm",
    known_span: float | None = None,
    known_ratio: float | None = None,
) -> GroupShape:
    """Classify one group: ``centres`` are the members' centres, ``extent`` every point of
    their outlines (centres for point-only marks), both ``(n, 2)`` in one unit.

    ``known_span`` / ``known_ratio``: the span of ``extent`` and the axis ratio of
    ``centres`` when the caller keeps them (an incremental grouper); computed otherwise.
    """
    pts = np.asarray(centres, dtype=np.float64).reshape(-1, 2)
    count = pts.shape[0]
    extent_span = known_span if known_span is not None else (span(extent) if count else 0.0)
    small = extent_span <= max_span * (1 + _TOLERANCE)
    densest = max_in_circle(pts, diameter, enough=min_count) if small else 0
    ratio = known_ratio if known_ratio is not None else axis_ratio(pts)
    over = f"{count} calcifications over {extent_span:.0f} {unit}"
    if densest >= min_count and small:
        circle = f"at least {min_count} in a {diameter:g} {unit} circle"
        reason = f"{count} calcifications within {extent_span:.1f} {unit}, {circle}: grouped?"
        return GroupShape(count, extent_span, densest, ratio, True, GROUPED, reason)
    if ratio >= LINEAR_AXIS_RATIO:
        return GroupShape(count, extent_span, densest, ratio, False, LINEAR, f"{over} in a line: linear?")
    if not small:
        reason = f"{over} (more than {max_span:g} {unit}), not in a line: regional?"
        return GroupShape(count, extent_span, densest, ratio, False, REGIONAL, reason)
    reason = f"{over}, fewer than {min_count} in a {diameter:g} {unit} circle: not grouped"
    return GroupShape(count, extent_span, densest, ratio, False, None, reason)
