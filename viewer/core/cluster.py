"""Grouping marks into clusters (the BI-RADS "grouped" rule): the rule and the grouping.

Two kinds of cluster live side by side:

- **Reader decisions** are stored in ``ImageAnnotations.clusters`` and change only through
  commands: ``CONFIRMED`` clusters (a confirmed suggestion or a hand-drawn group) and
  ``REJECTED`` groups (the reader said "not a cluster").
- **Suggestions** are derived state: :func:`suggest_clusters` (or the incremental
  :class:`viewer.core.cluster_grouper.Grouper`) groups the marks that no reader decision
  holds, by single linkage on mark centres, and returns ``SUGGESTED`` clusters that are
  never saved. Regrouping thus never overrides a reader's decision.

Candidates are found by single linkage (marks each within ``diameter_mm`` of another), but
a chain is not "grouped": :mod:`viewer.core.cluster_shape` then applies the BI-RADS area
rule (at least 5 marks in a circle of 1 cm, the whole group within 2 cm; DOMAIN.md
section 2) and otherwise suggests the distribution the geometry shows (linear or
regional). A suggestion carries it as ``distribution`` and its reason as ``note``
("9 calcifications over 34 mm in a line: linear?"); confirming keeps the suggested
distribution as the reader's choice, which the reader may change, and drops the reason.
Distances are taken in mm with the image's spacing in force (anisotropic pixels handled).
An uncalibrated image has no mm: it is grouped in pixels with a documented equivalent
(:attr:`ClusterRule.uncalibrated_distance_px`) and :meth:`ClusterRule.describe` says so.

Coordinates are ``(x, y)`` pixels: x = column, y = row, pixel centres at integers.

The reader operations (confirm, merge, split, ...) are in :mod:`viewer.core.cluster_edits`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
)
from viewer.core.cluster_shape import GroupShape, group_shape
from viewer.core.geometry import Spacing

SUGGESTION_PREFIX = "suggested-"
"""Suggestion ids are this prefix plus the id of the group's anchor mark (its oldest member)."""


@dataclass(frozen=True)
class ClusterRule:
    """When marks are "grouped": ``min_count`` in a circle of ``diameter_mm``, all within ``max_span_mm``.

    Parameters
    ----------
    min_count
        Smallest number of marks that makes a cluster (BI-RADS: 5).
    diameter_mm
        The circle at least ``min_count`` mark centres must fit in (BI-RADS: 1 cm). It is
        also the single-linkage distance that finds candidates: marks in one such circle
        are all within ``diameter_mm`` of each other.
    max_span_mm
        The largest span of a grouped cluster (the Atlas' upper limit: "larger numbers
        within 2 cm"); a larger pattern is suggested as linear or regional instead.
    uncalibrated_distance_px
        ``diameter_mm`` on an image without spacing. The default, 140 px, is 10 mm at
        0.07 mm per pixel, a typical full-field digital mammography detector;
        ``max_span_mm`` scales with it. The result is flagged as such (:meth:`describe`).
    """

    min_count: int = 5
    diameter_mm: float = 10.0
    max_span_mm: float = 20.0
    uncalibrated_distance_px: float = 140.0

    def __post_init__(self) -> None:
        if self.min_count < 2:
            raise ValueError(f"min_count must be at least 2, got {self.min_count!r}")
        for name in ("diameter_mm", "max_span_mm", "uncalibrated_distance_px"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.max_span_mm < self.diameter_mm:
            raise ValueError(
                f"max_span_mm ({self.max_span_mm:g}) must be at least diameter_mm ({self.diameter_mm:g})"
            )

    def linkage_distance(self, spacing: Spacing) -> float:
        """The circle diameter (and linkage distance) in the unit of :func:`linkage_coordinates`."""
        return self.diameter_mm if spacing.calibrated else self.uncalibrated_distance_px

    def span_limit(self, spacing: Spacing) -> float:
        """``max_span_mm`` in the unit of :func:`linkage_coordinates` (mm, or px)."""
        if spacing.calibrated:
            return self.max_span_mm
        return self.max_span_mm * self.uncalibrated_distance_px / self.diameter_mm

    def shape(
        self,
        centres: ArrayLike,
        extent: ArrayLike,
        spacing: Spacing,
        known_span: float | None = None,
        known_ratio: float | None = None,
    ) -> GroupShape:
        """The distribution a group suggests (see :func:`group_shape`), in linkage units."""
        return group_shape(
            centres,
            extent,
            min_count=self.min_count,
            diameter=self.linkage_distance(spacing),
            max_span=self.span_limit(spacing),
            unit=spacing.unit,
            known_span=known_span,
            known_ratio=known_ratio,
        )

    def to_dict(self) -> dict[str, float]:
        """The three rule numbers, for JSON output."""
        return {"min_count": self.min_count, "diameter_mm": self.diameter_mm, "max_span_mm": self.max_span_mm}

    def describe(self, spacing: Spacing) -> str:
        """One line for the user: the rule as applied to an image with this spacing."""
        if spacing.calibrated:
            return (
                f"at least {self.min_count} marks in a {self.diameter_mm:g} mm circle, "
                f"spanning at most {self.max_span_mm:g} mm ({spacing.label})"
            )
        return (
            f"at least {self.min_count} marks in a {self.uncalibrated_distance_px:g} px circle, "
            f"spanning at most {self.span_limit(spacing):g} px (image uncalibrated: "
            f"{self.diameter_mm:g} mm cannot be measured; "
            f"{self.uncalibrated_distance_px:g} px assumed instead)"
        )


def linkage_coordinates(centers_xy: ArrayLike, spacing: Spacing) -> NDArray[np.float64]:
    """Mark centres in the unit grouping works in: mm when calibrated, else pixels.

    Returns an ``(n, 2)`` array of ``(x, y)``; x is scaled by the column spacing and y by
    the row spacing, so distances are physical even with anisotropic pixels.
    """
    pts = np.asarray(centers_xy, dtype=np.float64).reshape(-1, 2)
    return spacing.to_mm(pts) if spacing.calibrated else pts


def within(dx: float, dy: float, max_distance: float) -> bool:
    """The one linkage predicate both grouping paths use, so they agree at the boundary."""
    return dx * dx + dy * dy <= max_distance * max_distance


def single_linkage(points: ArrayLike, max_distance: float) -> NDArray[np.intp]:
    """Connected components of the graph "centre within ``max_distance`` of centre".

    Parameters
    ----------
    points
        ``(n, 2)`` coordinates in one unit (see :func:`linkage_coordinates`).
    max_distance
        Link two points when their distance is ``<= max_distance``.

    Returns
    -------
    An array of ``n`` component labels ``0 .. k-1``.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = pts.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    # The tree's own boundary test rounds differently from within(); query a hair wider
    # and apply the exact predicate, so the incremental Grouper gives identical groups.
    pairs = cKDTree(pts).query_pairs(max_distance * (1 + 1e-9), output_type="ndarray")
    if pairs.size:
        d = pts[pairs[:, 0]] - pts[pairs[:, 1]]
        pairs = pairs[d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] <= max_distance * max_distance]
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.intp)


def decided_ids(image: ImageAnnotations) -> set[str]:
    """Ids of the marks a reader decision holds (a confirmed or rejected cluster)."""
    return {m for c in image.clusters.values() if c.state is not ClusterState.SUGGESTED for m in c.member_ids}


def make_suggestion(ordered_ids: Sequence[str], shape: GroupShape | None = None) -> Cluster:
    """The SUGGESTED cluster of a group given in the image's mark order.

    Its id comes from the first (earliest added) member, so it survives adding, moving
    and removing other members and the GUI keeps its selection while the reader edits.
    ``shape`` gives the suggested distribution and, as the note, its reason.
    """
    if shape is None:
        return Cluster(SUGGESTION_PREFIX + ordered_ids[0], tuple(ordered_ids))
    return Cluster(
        SUGGESTION_PREFIX + ordered_ids[0],
        tuple(ordered_ids),
        distribution=shape.distribution,
        note=shape.reason,
    )


def _scale(spacing: Spacing) -> tuple[float, float]:
    scale = spacing.scale() if spacing.calibrated else np.ones(2)
    return (float(scale[0]), float(scale[1]))


def _extent(
    calcs: Sequence[Calcification], centres: NDArray[np.float64], scale: tuple[float, float]
) -> NDArray[np.float64]:
    """Every outline point of the marks (a point-only mark: its centre), in linkage units."""
    if all(c.outline is None for c in calcs):
        return centres
    parts = [
        np.asarray(c.outline, dtype=np.float64) * scale if c.outline is not None else centres[i : i + 1]
        for i, c in enumerate(calcs)
    ]
    return np.concatenate(parts)


def suggest_clusters(image: ImageAnnotations, rule: ClusterRule | None = None) -> list[Cluster]:
    """Clusters the program suggests on one image, recomputed from scratch.

    Only marks that no reader decision holds take part. Candidates of at least
    ``rule.min_count`` linked marks come back as ``SUGGESTED`` clusters, members in the
    image's mark order (the order they were added), clusters ordered by their first
    member, each with the distribution its shape suggests (:meth:`ClusterRule.shape`);
    smaller groups are not clusters.
    """
    rule = rule or ClusterRule()
    decided = decided_ids(image)
    free = [c for cid, c in image.calcifications.items() if cid not in decided]
    if len(free) < rule.min_count:
        return []
    spacing = image.spacing
    coords = linkage_coordinates([c.center for c in free], spacing)
    labels = single_linkage(coords, rule.linkage_distance(spacing))
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    groups = [g for g in np.split(order, bounds) if len(g) >= rule.min_count]
    groups.sort(key=lambda g: int(g[0]))
    scale = _scale(spacing)
    result = []
    for g in groups:
        members = [free[i] for i in g]
        centres = coords[g]
        shape = rule.shape(centres, _extent(members, centres, scale), spacing)
        result.append(make_suggestion([c.id for c in members], shape))
    return result
