"""Grouping marks into clusters (the BI-RADS "grouped" rule) and the reader's cluster edits.

Two kinds of cluster live side by side:

- **Reader decisions** are stored in ``ImageAnnotations.clusters`` and change only through
  commands: ``CONFIRMED`` clusters (a confirmed suggestion or a hand-drawn group) and
  ``REJECTED`` groups (the reader said "not a cluster").
- **Suggestions** are derived state: :func:`suggest_clusters` (or the incremental
  :class:`Grouper`) groups the marks that no reader decision holds, by single linkage on
  mark centres, and returns ``SUGGESTED`` clusters that are never saved. Regrouping thus
  never overrides a reader's decision.

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

The reader operations (:func:`confirm`, :func:`add_member`, :func:`remove_member`,
:func:`merge`, :func:`split`, :func:`dissolve`, :func:`cluster_from_polygon`) return new
cluster objects; :class:`ClusterEdit` turns them into one undoable command and keeps
each mark in at most one reader cluster.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import compress, islice

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
    ImageKey,
    new_id,
    utc_now,
)
from viewer.core.cluster_shape import GroupShape, group_shape
from viewer.core.commands import Batch, Command, PutCluster, RemoveCluster
from viewer.core.geometry import Point, Spacing, points_in_polygon

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

    def shape(self, centres: ArrayLike, extent: ArrayLike, spacing: Spacing) -> GroupShape:
        """The distribution a group suggests (see :func:`group_shape`), in linkage units."""
        return group_shape(
            centres,
            extent,
            min_count=self.min_count,
            diameter=self.linkage_distance(spacing),
            max_span=self.span_limit(spacing),
            unit=spacing.unit,
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


class Grouper:
    """Suggestions kept up to date incrementally as marks are added, moved or removed.

    ``Grouper(rule).suggest(image)`` returns exactly what :func:`suggest_clusters` would,
    but after a small edit it only revisits the neighbourhood of the marks that changed:
    marks are filed in a grid of cells one linkage distance wide, a new mark joins the
    groups of its neighbours, and a removed mark splits its group only if its neighbours
    are no longer linked to each other directly (then that one group is regrouped). A
    different image, spacing or rule, or a large edit, regroups from scratch.
    """

    #: More changed marks than this and a full regrouping is cheaper.
    max_incremental_changes = 64

    def __init__(self, rule: ClusterRule | None = None) -> None:
        self.rule = rule or ClusterRule()
        self.full_regroupings = 0
        """How many times :meth:`suggest` regrouped from scratch (for tests and benchmarks)."""
        self._image: ImageAnnotations | None = None
        self._spacing: Spacing | None = None
        self._calcs: dict[str, Calcification] = {}  # every mark as last seen
        self._outlined: set[str] = set()  # the marks with an outline
        self._pos: dict[str, int] = {}  # every mark's place in the image's mark order
        self._next_pos = 0
        self._xy = np.zeros((0, 2))  # free marks' coordinates, row = place in the mark order
        self._decided: set[str] = set()
        self._coords: dict[str, tuple[float, float]] = {}  # free marks only
        self._cells: dict[tuple[int, int], set[str]] = {}
        self._label: dict[str, int] = {}
        self._groups: dict[int, set[str]] = {}
        self._next_label = 0
        self._dist = 1.0
        self._scale = (1.0, 1.0)
        self._cache: dict[int, Cluster] = {}

    # -- public ----------------------------------------------------------------------
    def suggest(self, image: ImageAnnotations) -> list[Cluster]:
        """The suggested clusters of ``image`` now (see :func:`suggest_clusters`)."""
        self._sync(image)
        result = []
        for label, ids in self._groups.items():
            if len(ids) < self.rule.min_count:
                continue
            cached = self._cache.get(label)
            if cached is None:
                members = list(ids)
                pos = np.fromiter(map(self._pos.__getitem__, members), np.int64, len(members))
                order = np.argsort(pos)
                ordered = [members[i] for i in order.tolist()]
                centres = self._xy[pos[order]]
                if self._outlined.isdisjoint(ids):
                    extent = centres
                else:
                    extent = _extent([self._calcs[c] for c in ordered], centres, self._scale)
                shape = self.rule.shape(centres, extent, self._spacing or image.spacing)
                cached = self._cache[label] = make_suggestion(ordered, shape)
            result.append(cached)
        result.sort(key=lambda c: self._pos[c.member_ids[0]])
        return result

    # -- synchronising with the model -----------------------------------------------
    def _sync(self, image: ImageAnnotations) -> None:
        spacing = image.spacing
        if self._image is not image or self._spacing != spacing:
            self._rebuild(image, spacing)
            return
        current = image.calcifications
        changed = self._changed(current)
        added = [cid for cid in changed if cid not in self._calcs]
        removed: set[str] = set()
        if len(self._calcs) + len(added) != len(current):
            removed = self._calcs.keys() - current.keys()
        decided = decided_ids(image)
        newly_decided = decided - self._decided
        undecided = self._decided - decided
        edits = len(changed) + len(removed) + len(newly_decided) + len(undecided)
        if edits > self.max_incremental_changes:
            self._rebuild(image, spacing)
            return
        leaving = {c for c in removed | newly_decided if c in self._coords}
        joining = {c for c in undecided | set(added) if c in current and c not in decided}
        for cid in changed:
            if cid in self._coords and cid not in leaving:
                if self._calcs[cid].center != current[cid].center:
                    leaving.add(cid)
                    joining.add(cid)
                else:
                    self._touch(self._label[cid])
        for cid in removed:
            del self._calcs[cid]
            del self._pos[cid]
            self._outlined.discard(cid)
        for cid in added:
            self._pos[cid] = self._next_pos
            self._next_pos += 1
        for cid in changed:
            self._calcs[cid] = current[cid]
            if current[cid].outline is None:
                self._outlined.discard(cid)
            else:
                self._outlined.add(cid)
        self._decided = decided
        for cid in leaving:
            self._remove(cid)
        for cid in joining:
            self._add(cid, current[cid].center)

    def _changed(self, current: dict[str, Calcification]) -> list[str]:
        """Ids of the marks that are new or replaced since the last call."""
        seen = self._calcs
        if len(current) >= len(seen):
            # Fast path: an edit replaces a mark in place and a new mark goes to the end of
            # the dict, so comparing position by position finds them at C speed. After a
            # removal the positions shift and the comparison overreports; then look again.
            flags = map(operator.is_not, current.values(), seen.values())
            changed = list(compress(current.keys(), flags))
            changed += list(islice(current.keys(), len(seen), None))
            if len(changed) <= self.max_incremental_changes:
                return changed
        get = seen.get
        return [cid for cid, c in current.items() if get(cid) is not c]

    def _rebuild(self, image: ImageAnnotations, spacing: Spacing) -> None:
        self.full_regroupings += 1
        self._image, self._spacing = image, spacing
        self._dist = self.rule.linkage_distance(spacing)
        self._scale = _scale(spacing)
        self._calcs = dict(image.calcifications)
        self._outlined = {cid for cid, c in self._calcs.items() if c.outline is not None}
        self._pos = {cid: i for i, cid in enumerate(self._calcs)}
        self._next_pos = len(self._pos)
        self._decided = decided_ids(image)
        free = [cid for cid in self._calcs if cid not in self._decided]
        coords = linkage_coordinates([self._calcs[c].center for c in free], spacing)
        labels = single_linkage(coords, self._dist)
        self._coords = {cid: (float(x), float(y)) for cid, (x, y) in zip(free, coords, strict=True)}
        self._xy = np.zeros((max(2 * self._next_pos, 64), 2))
        if free:
            self._xy[[self._pos[c] for c in free]] = coords
        self._cells = {}
        for cid, xy in self._coords.items():
            self._cells.setdefault(self._cell(xy), set()).add(cid)
        self._label = dict(zip(free, labels.tolist(), strict=True))
        self._groups = {}
        for cid, label in self._label.items():
            self._groups.setdefault(label, set()).add(cid)
        self._next_label = int(labels.max()) + 1 if len(labels) else 0
        self._cache = {}

    # -- incremental steps ----------------------------------------------------------
    def _cell(self, xy: tuple[float, float]) -> tuple[int, int]:
        return (math.floor(xy[0] / self._dist), math.floor(xy[1] / self._dist))

    def _neighbours(self, xy: tuple[float, float], exclude: str) -> list[str]:
        cx, cy = self._cell(xy)
        found = []
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                for other in self._cells.get((i, j), ()):
                    oxy = self._coords[other]
                    if other != exclude and within(xy[0] - oxy[0], xy[1] - oxy[1], self._dist):
                        found.append(other)
        return found

    def _touch(self, label: int) -> None:
        self._cache.pop(label, None)

    def _new_group(self, ids: set[str]) -> None:
        label = self._next_label
        self._next_label += 1
        self._groups[label] = ids
        for cid in ids:
            self._label[cid] = label

    def _add(self, cid: str, center: Point) -> None:
        # Same products as linkage_coordinates, so both paths see identical coordinates.
        xy = (center[0] * self._scale[0], center[1] * self._scale[1])
        self._coords[cid] = xy
        slot = self._pos[cid]
        if slot >= len(self._xy):
            self._xy = np.concatenate([self._xy, np.zeros((max(slot + 1, len(self._xy)), 2))])
        self._xy[slot] = xy
        self._cells.setdefault(self._cell(xy), set()).add(cid)
        labels = {self._label[n] for n in self._neighbours(xy, exclude=cid)}
        if not labels:
            self._new_group({cid})
            return
        target = max(labels, key=lambda lab: len(self._groups[lab]))
        group = self._groups[target]
        for label in labels - {target}:
            for other in self._groups.pop(label):
                self._label[other] = target
                group.add(other)
            self._touch(label)
        group.add(cid)
        self._label[cid] = target
        self._touch(target)

    def _remove(self, cid: str) -> None:
        xy = self._coords[cid]
        neighbours = self._neighbours(xy, exclude=cid)
        label = self._label.pop(cid)
        cell = self._cells[self._cell(xy)]
        cell.discard(cid)
        if not cell:
            del self._cells[self._cell(xy)]
        del self._coords[cid]
        group = self._groups[label]
        group.discard(cid)
        self._touch(label)
        if not group:
            del self._groups[label]
            return
        if self._still_linked(neighbours):
            return
        # The group may have fallen apart: regroup just its marks.
        ids = sorted(group)
        del self._groups[label]
        labels = single_linkage([self._coords[i] for i in ids], self._dist)
        for part in range(int(labels.max()) + 1):
            self._new_group({ids[i] for i in np.flatnonzero(labels == part)})

    def _still_linked(self, ids: list[str]) -> bool:
        """True when ``ids`` are linked among themselves, so that any path through the
        removed mark can go through them instead."""
        if len(ids) <= 1:
            return True
        seen = {ids[0]}
        stack = [ids[0]]
        while stack:
            a = self._coords[stack.pop()]
            for other in ids:
                if other not in seen:
                    b = self._coords[other]
                    if within(a[0] - b[0], a[1] - b[1], self._dist):
                        seen.add(other)
                        stack.append(other)
        return len(seen) == len(ids)


# -- reader operations --------------------------------------------------------------------


def _ids(ids: str | Iterable[str]) -> tuple[str, ...]:
    return (ids,) if isinstance(ids, str) else tuple(ids)


def _decided(cluster: Cluster, reader: str, **changes: object) -> Cluster:
    """``cluster`` with ``changes`` as a reader decision: an edited suggestion is confirmed."""
    now = utc_now()
    if cluster.state is ClusterState.SUGGESTED:
        base = replace(
            cluster, id=new_id(), state=ClusterState.CONFIRMED, reader=reader, created=now, note=""
        )
    else:
        base = cluster
    return replace(base, modified=now, **changes)  # type: ignore[arg-type]


def confirm(suggestion: Cluster, reader: str = "") -> Cluster:
    """The reader accepts a suggestion: a CONFIRMED cluster with a fresh id, same members.

    The suggested distribution becomes the reader's (who may change it later; regrouping
    never touches a confirmed cluster); the program's reason, kept as the note, is dropped.
    """
    if suggestion.state is ClusterState.CONFIRMED:
        return suggestion
    now = utc_now()
    note = "" if suggestion.state is ClusterState.SUGGESTED else suggestion.note
    return replace(
        suggestion,
        id=new_id(),
        state=ClusterState.CONFIRMED,
        reader=reader,
        created=now,
        modified=now,
        note=note,
    )


def dissolve(cluster: Cluster, reader: str = "") -> Cluster:
    """The reader says "not a cluster": a REJECTED group that keeps its marks out of grouping.

    Put it in place of the cluster (same id for a reader cluster). Removing a cluster
    instead (``RemoveCluster``) forgets the decision, and its marks may be suggested again.
    """
    now = utc_now()
    if cluster.state is ClusterState.SUGGESTED:
        return replace(
            cluster,
            id=new_id(),
            state=ClusterState.REJECTED,
            reader=reader,
            created=now,
            modified=now,
            distribution=None,
            note="",
        )
    return replace(cluster, state=ClusterState.REJECTED, modified=now)


def add_member(cluster: Cluster, ids: str | Iterable[str], reader: str = "") -> Cluster:
    """``cluster`` with the marks ``ids`` added (a suggestion becomes a confirmed cluster)."""
    new = [i for i in dict.fromkeys(_ids(ids)) if i not in cluster.member_ids]
    return _decided(cluster, reader, member_ids=cluster.member_ids + tuple(new))


def remove_member(cluster: Cluster, ids: str | Iterable[str], reader: str = "") -> Cluster:
    """``cluster`` without the marks ``ids``; raise ValueError if one is not a member."""
    gone = set(_ids(ids))
    if not gone <= set(cluster.member_ids):
        raise ValueError(
            f"not members of cluster {cluster.id}: " + ", ".join(sorted(gone - set(cluster.member_ids)))
        )
    members = tuple(m for m in cluster.member_ids if m not in gone)
    return _decided(cluster, reader, member_ids=members)


def merge(first: Cluster, second: Cluster, reader: str = "") -> Cluster:
    """One cluster holding the members of both.

    The result keeps the id of the first reader (non-suggested) cluster of the pair, the
    first cluster's descriptors (the second's where the first has none) and both notes; a
    suggestion's distribution and reason describe only its own members and are not kept.
    A drawn outline fits neither half of the union, so the result uses the hull.
    """
    keep, other = (
        (second, first)
        if (first.state is ClusterState.SUGGESTED and second.state is not ClusterState.SUGGESTED)
        else (first, second)
    )
    members = keep.member_ids + tuple(m for m in other.member_ids if m not in keep.member_ids)
    notes = (c.note for c in (first, second) if c.state is not ClusterState.SUGGESTED)
    note = "\n".join(n for n in notes if n)
    merged = _decided(
        keep,
        reader,
        member_ids=members,
        outline=None,
        distribution=next(
            (
                c.distribution
                for c in (first, second)
                if c.state is not ClusterState.SUGGESTED and c.distribution
            ),
            None,
        ),
        assessment=first.assessment or second.assessment,
        recommendation=first.recommendation or second.recommendation,
        note=note,
    )
    if merged.state is ClusterState.REJECTED:
        merged = replace(merged, state=ClusterState.CONFIRMED)
    return merged


def split(cluster: Cluster, ids: str | Iterable[str], reader: str = "") -> tuple[Cluster, Cluster]:
    """Split the marks ``ids`` off into a new confirmed cluster.

    Returns ``(rest, split_off)``: ``rest`` keeps the cluster's id and descriptors; both
    use the hull as outline. Raise ValueError unless ``ids`` is a proper, non-empty subset.
    """
    part = set(_ids(ids))
    if not part or not part < set(cluster.member_ids):
        raise ValueError(f"split needs some but not all members of cluster {cluster.id}")
    rest = _decided(
        cluster, reader, outline=None, member_ids=tuple(m for m in cluster.member_ids if m not in part)
    )
    if rest.state is ClusterState.REJECTED:
        rest = replace(rest, state=ClusterState.CONFIRMED)
    now = utc_now()
    off = Cluster(
        new_id(),
        tuple(m for m in cluster.member_ids if m in part),
        ClusterState.CONFIRMED,
        reader=reader,
        created=now,
        modified=now,
    )
    return rest, off


def cluster_from_polygon(image: ImageAnnotations, polygon: Sequence[Point], reader: str = "") -> Cluster:
    """A hand-drawn confirmed cluster: the marks whose centre lies inside ``polygon``.

    ``polygon`` is a closed ``(x, y)`` outline in pixels, kept as the cluster's outline.
    The members may belong to other clusters: :meth:`ClusterEdit.resolve` moves them.
    """
    if len(polygon) < 3:
        raise ValueError("a drawn cluster outline needs at least 3 vertices")
    calcs = list(image.calcifications.values())
    inside = points_in_polygon([c.center for c in calcs], polygon) if calcs else np.zeros(0, bool)
    now = utc_now()
    members = tuple(c.id for c, keep in zip(calcs, inside, strict=True) if keep)
    return Cluster(
        new_id(),
        members,
        ClusterState.CONFIRMED,
        outline=tuple(polygon),
        reader=reader,
        created=now,
        modified=now,
    )


@dataclass(frozen=True)
class ClusterEdit:
    """Reader-cluster changes on one image, as one undo step.

    Build it with :meth:`resolve`, which keeps every mark in at most one reader cluster.
    """

    put: tuple[Cluster, ...]
    remove: tuple[str, ...] = ()

    @classmethod
    def resolve(
        cls, image: ImageAnnotations, put: Iterable[Cluster], remove: Iterable[str] = ()
    ) -> ClusterEdit:
        """Put ``put``, remove the reader clusters ``remove``, and take the members of
        ``put`` away from any other reader cluster (dropping clusters left empty).

        Suggestions are never stored, so a suggested cluster in ``put`` is an error.
        """
        puts = list(put)
        for c in puts:
            if c.state is ClusterState.SUGGESTED:
                raise ValueError(f"cluster {c.id} is a suggestion: confirm it before storing it")
        removes = [r for r in dict.fromkeys(remove) if r in image.clusters]
        claimed = {m for c in puts for m in c.member_ids}
        touched = {c.id for c in puts} | set(removes)
        for other in image.clusters.values():
            if other.id in touched or not claimed & set(other.member_ids):
                continue
            left = tuple(m for m in other.member_ids if m not in claimed)
            if left:
                puts.append(replace(other, member_ids=left, modified=utc_now()))
            else:
                removes.append(other.id)
        return cls(tuple(puts), tuple(removes))

    def command(self, image: ImageKey, text: str = "edit cluster") -> Batch:
        """The undoable command doing this edit (removals first)."""
        commands: list[Command] = [RemoveCluster(image, r) for r in self.remove]
        commands += [PutCluster(image, c) for c in self.put]
        return Batch(commands, text)
