"""Cluster suggestions kept up to date incrementally while the reader edits marks.

:class:`Grouper` returns exactly what :func:`viewer.core.cluster.suggest_clusters` would,
revisiting after an edit only the neighbourhood of the marks that changed, and keeping
per group what its shape needs (the convex hull of its extent, the moments of its
centres) so that a large group is not measured again from scratch.
"""

from __future__ import annotations

import itertools
import math
import operator
from bisect import bisect_left
from heapq import merge
from itertools import compress, islice

import numpy as np
from numpy.typing import NDArray

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ImageAnnotations,
)
from viewer.core.cluster import (
    ClusterRule,
    _scale,
    decided_ids,
    linkage_coordinates,
    make_suggestion,
    single_linkage,
    within,
)
from viewer.core.cluster_shape import axis_ratio_of_moments, hull_points, moments, span
from viewer.core.geometry import Point, Spacing

MOMENTS_FROM = 256
"""Groups at least this large take their axis ratio from kept moments (smaller: measured)."""


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

    # Per group (by label) the grouper keeps: its members in mark order (positions and ids,
    # kept sorted as marks join and leave), the moments of its centres, and the convex hull
    # points of its extent (None until measured, or after a change that may move them:
    # a hull vertex leaving, an outline edited). A large group's span and axis ratio then
    # cost a few dozen points, not all of its members.

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
        self._order_pos: dict[int, list[int]] = {}
        self._order_ids: dict[int, list[str]] = {}
        self._moments: dict[int, NDArray[np.float64]] = {}
        self._extreme: dict[int, NDArray[np.float64] | None] = {}
        self._extent_pts: dict[str, NDArray[np.float64]] = {}
        """Free marks' extents in linkage units, made on first need (:meth:`_extent`): only the
        marks of suggested clusters need theirs, and making 10,000 took ~0.1 s."""

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
                cached = self._cache[label] = self._suggestion(label, ids, image)
            result.append(cached)
        result.sort(key=lambda c: self._pos[c.member_ids[0]])
        return result

    def _suggestion(self, label: int, ids: set[str], image: ImageAnnotations) -> Cluster:
        ordered = self._order_ids[label]
        centres = self._xy[np.asarray(self._order_pos[label], dtype=np.int64)]
        extreme = self._extreme.get(label)
        if extreme is None:
            if self._outlined.isdisjoint(ids):
                extent = centres
            else:
                self._make_extents([c for c in ordered if c not in self._extent_pts])
                extent = np.concatenate([self._extent(c) for c in ordered])
            extreme = self._extreme[label] = hull_points(extent)
        ratio = axis_ratio_of_moments(self._moments[label]) if len(ids) >= MOMENTS_FROM else None
        shape = self.rule.shape(centres, extreme, self._spacing or image.spacing, span(extreme), ratio)
        return make_suggestion(ordered, shape)

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
                    self._extreme[self._label[cid]] = None  # its outline may have changed
                    self._extent_pts[cid] = self._extent_of(current[cid], self._coords[cid])
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
        self._extent_pts = {}
        self._order_pos, self._order_ids, self._moments, self._extreme = {}, {}, {}, {}
        for label, ids in self._groups.items():
            self._index_group(label, ids)

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

    def _extent(self, cid: str) -> NDArray[np.float64]:
        """A free mark's extent (:meth:`_extent_of`), kept until the mark changes."""
        points = self._extent_pts.get(cid)
        if points is None:
            points = self._extent_pts[cid] = self._extent_of(self._calcs[cid], self._coords[cid])
        return points

    def _make_extents(self, ids: list[str]) -> None:
        """:meth:`_extent` of many marks at once: their outlines' vertices in one array
        (a suggestion of thousands of marks; one array a mark took ~10 us each)."""
        outlines = [outline for c in ids if (outline := self._calcs[c].outline) is not None]
        if len(outlines) < 2:
            return
        counts = np.fromiter(map(len, outlines), dtype=np.intp, count=len(outlines))
        chain = itertools.chain.from_iterable  # in C: 2.4x a generator's speed
        count = 2 * int(counts.sum())
        flat = np.fromiter(chain(chain(outlines)), dtype=np.float64, count=count).reshape(-1, 2)
        parts = iter(np.split(flat * self._scale, np.cumsum(counts)[:-1]))
        for cid in ids:
            if self._calcs[cid].outline is not None:
                self._extent_pts[cid] = next(parts)

    def _extent_of(self, calc: Calcification, xy: tuple[float, float]) -> NDArray[np.float64]:
        """A mark's extent in linkage units: its outline scaled as :func:`_extent` does."""
        if calc.outline is None:
            return np.array([xy], dtype=np.float64)
        return np.asarray(calc.outline, dtype=np.float64) * self._scale

    def _index_group(self, label: int, ids: set[str]) -> None:
        """Order, moments and (unknown) extreme points of a group made anew."""
        order = sorted(ids, key=self._pos.__getitem__)
        self._order_ids[label] = order
        self._order_pos[label] = [self._pos[c] for c in order]
        self._moments[label] = moments([self._coords[c] for c in order])
        self._extreme[label] = None

    def _forget_group(self, label: int) -> None:
        for cache in (self._order_ids, self._order_pos, self._moments, self._extreme):
            cache.pop(label, None)

    def _join(self, label: int, cid: str) -> None:
        """File ``cid`` into group ``label``'s order, moments and extreme points."""
        pos = self._pos[cid]
        at = bisect_left(self._order_pos[label], pos)
        self._order_pos[label].insert(at, pos)
        self._order_ids[label].insert(at, cid)
        self._moments[label] = self._moments[label] + moments([self._coords[cid]])
        extreme = self._extreme.get(label)
        if extreme is not None:
            self._extreme[label] = hull_points(np.concatenate([extreme, self._extent(cid)]))

    def _merge_into(self, target: int, label: int) -> None:
        """Group ``label``'s order, moments and extreme points joined to ``target``'s."""
        pairs = merge(
            zip(self._order_pos[target], self._order_ids[target], strict=True),
            zip(self._order_pos[label], self._order_ids[label], strict=True),
        )
        positions, ids = zip(*pairs, strict=True)
        self._order_pos[target], self._order_ids[target] = list(positions), list(ids)
        self._moments[target] = self._moments[target] + self._moments[label]
        a, b = self._extreme.get(target), self._extreme.get(label)
        self._extreme[target] = None if a is None or b is None else hull_points(np.concatenate([a, b]))
        self._forget_group(label)

    def _leave(self, label: int, cid: str, xy: tuple[float, float]) -> None:
        """Take ``cid`` (last at ``xy``) out of group ``label``'s order, moments and extremes."""
        at = self._order_ids[label].index(cid)  # by id: a removed mark has no position any more
        del self._order_pos[label][at]
        del self._order_ids[label][at]
        self._moments[label] = self._moments[label] - moments([xy])
        extreme = self._extreme.get(label)
        points = self._extent_pts.get(cid)
        # a point inside the hull leaves it as it is; a vertex leaving may shrink it (an extent
        # never made: the hull came from centres, and is made again)
        if extreme is not None and (points is None or _shares_a_point(extreme, points)):
            self._extreme[label] = None

    def _new_group(self, ids: set[str]) -> None:
        label = self._next_label
        self._next_label += 1
        self._groups[label] = ids
        for cid in ids:
            self._label[cid] = label
        self._index_group(label, ids)

    def _add(self, cid: str, center: Point) -> None:
        # Same products as linkage_coordinates, so both paths see identical coordinates.
        xy = (center[0] * self._scale[0], center[1] * self._scale[1])
        self._coords[cid] = xy
        self._extent_pts[cid] = self._extent_of(self._calcs[cid], xy)
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
            self._merge_into(target, label)
            self._touch(label)
        group.add(cid)
        self._label[cid] = target
        self._join(target, cid)
        self._touch(target)

    def _remove(self, cid: str) -> None:
        xy = self._coords[cid]
        neighbours = self._neighbours(xy, exclude=cid)
        label = self._label.pop(cid)
        cell = self._cells[self._cell(xy)]
        cell.discard(cid)
        if not cell:
            del self._cells[self._cell(xy)]
        group = self._groups[label]
        group.discard(cid)
        self._leave(label, cid, xy)
        del self._coords[cid]
        self._extent_pts.pop(cid, None)
        self._touch(label)
        if not group:
            del self._groups[label]
            self._forget_group(label)
            return
        if self._still_linked(neighbours):
            return
        # The group may have fallen apart: regroup just its marks.
        ids = sorted(group)
        del self._groups[label]
        self._forget_group(label)
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


def _shares_a_point(a: NDArray[np.float64], b: NDArray[np.float64]) -> bool:
    """True when a row of ``a`` equals a row of ``b``."""
    return bool((a[:, None, :] == b[None, :, :]).all(axis=2).any())
