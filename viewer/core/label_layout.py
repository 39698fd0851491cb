"""Where the size labels of marks go on screen so that none covers another label or a mark.

Greedy placement on a grid of cells: each label in turn takes the first free place of a
fixed list of candidate places around its mark (right, left, above, below, the four
diagonals, then the same further out, and beside the mark slid up or down), free meaning
that the label's box meets no label placed before it, no mark and no other obstacle. A
label with no free place within ``max_distance`` of its mark is hidden: a hidden label
reads better than two labels over each other, and selecting the mark or zooming in shows it.
A label pushed away from its mark gets a leader line to it, which may not pass through
another mark or label.

All boxes are ``(left, top, right, bottom)`` in device pixels, y growing downwards.
Touching boxes do not meet; ``margin`` keeps a little space between them anyway.

>>> marks = [(0.0, 0.0, 10.0, 10.0), (14.0, 0.0, 24.0, 10.0)]
>>> first, second = place_labels(marks, [(30.0, 12.0), (30.0, 12.0)])
>>> first.box, first.displaced                  # right of its mark would cover the other mark
((-34.0, -1.0, -4.0, 11.0), True)
>>> second.box, second.displaced
((28.0, -1.0, 58.0, 11.0), False)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in device pixels (y down)."""

Point = tuple[float, float]

_DIAGONAL = math.sqrt(0.5)
_FIRST_RING = 8
"""Candidate places in the ring nearest the mark (4 sides, 4 diagonals)."""


@dataclass(frozen=True)
class Placement:
    """Where one label goes.

    Attributes
    ----------
    box
        The label's box ``(left, top, right, bottom)`` in device pixels.
    displaced
        False when the label is at its usual place (right of its mark, centred on it; or
        above it, centred, with ``above_first``).
    leader
        A line ``(from_mark, to_label)`` joining the mark's box to the label's box when
        the label is displaced and not next to its mark; ``None`` otherwise.
    """

    box: Box
    displaced: bool
    leader: tuple[Point, Point] | None


def boxes_meet(a: Box, b: Box) -> bool:
    """True if the two boxes share some area (touching edges do not count)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def box_gap(a: Box, b: Box) -> float:
    """The shortest distance between two boxes (0 if they meet or touch)."""
    dx = max(a[0] - b[2], b[0] - a[2], 0.0)
    dy = max(a[1] - b[3], b[1] - a[3], 0.0)
    return math.hypot(dx, dy)


def _nearest_points(a: Box, b: Box) -> tuple[Point, Point]:
    """A point on each box, as close to each other as points of the two boxes can be."""

    def axis(a0: float, a1: float, b0: float, b1: float) -> tuple[float, float]:
        if a1 < b0:
            return a1, b0
        if b1 < a0:
            return a0, b1
        mid = (max(a0, b0) + min(a1, b1)) / 2  # the intervals overlap: the middle of the overlap
        return mid, mid

    ax, bx = axis(a[0], a[2], b[0], b[2])
    ay, by = axis(a[1], a[3], b[1], b[3])
    return (ax, ay), (bx, by)


class _Grid:
    """Boxes filed by the square cells they cover, to find those near a box quickly."""

    def __init__(self, cell: float) -> None:
        self.cell = cell
        self.cells: dict[tuple[int, int], list[Box]] = {}

    def add(self, box: Box) -> None:
        c, cells = self.cell, self.cells
        for i in range(math.floor(box[0] / c), math.floor(box[2] / c) + 1):
            for j in range(math.floor(box[1] / c), math.floor(box[3] / c) + 1):
                cells.setdefault((i, j), []).append(box)

    def meets(self, box: Box) -> bool:
        c, cells = self.cell, self.cells
        x0, y0, x1, y1 = box
        j0, j1 = math.floor(y0 / c), math.floor(y1 / c) + 1
        for i in range(math.floor(x0 / c), math.floor(x1 / c) + 1):
            for j in range(j0, j1):
                for other in cells.get((i, j), ()):
                    if x0 < other[2] and other[0] < x1 and y0 < other[3] and other[1] < y1:
                        return True
        return False

    def crosses(self, p: Point, q: Point) -> bool:
        """True if the segment ``p``-``q`` passes through the inside of a box filed here."""
        c, cells = self.cell, self.cells
        x0, x1 = min(p[0], q[0]), max(p[0], q[0])
        y0, y1 = min(p[1], q[1]), max(p[1], q[1])
        for i in range(math.floor(x0 / c), math.floor(x1 / c) + 1):
            for j in range(math.floor(y0 / c), math.floor(y1 / c) + 1):
                for other in cells.get((i, j), ()):
                    if segment_meets(p, q, other):
                        return True
        return False


def segment_meets(p: Point, q: Point, box: Box) -> bool:
    """True if the segment ``p``-``q`` passes through the inside of ``box`` (not only its edge)."""
    t0, t1 = 0.0, 1.0
    for start, delta, lo, hi in ((p[0], q[0] - p[0], box[0], box[2]), (p[1], q[1] - p[1], box[1], box[3])):
        if delta == 0.0:
            if not lo < start < hi:
                return False
            continue
        a, b = (lo - start) / delta, (hi - start) / delta
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 >= t1:
            return False
    return True


def _candidates(
    mark: Box, w: float, h: float, gap: float, step: float, max_distance: float, above_first: bool
) -> Iterator[Box]:
    """The places tried for a ``w`` x ``h`` label of the mark ``mark``, best first."""
    left, top, right, bottom = mark
    cx, cy = (left + right) / 2, (top + bottom) / 2
    ring = 0
    while True:
        d = gap + ring * step
        if d > max_distance:
            return
        e = d * _DIAGONAL
        beside = [
            (right + d, cy - h / 2, right + d + w, cy + h / 2),
            (left - d - w, cy - h / 2, left - d, cy + h / 2),
        ]
        over_under = [
            (cx - w / 2, top - d - h, cx + w / 2, top - d),
            (cx - w / 2, bottom + d, cx + w / 2, bottom + d + h),
        ]
        diagonals = [
            (right + e, top - e - h, right + e + w, top - e),
            (right + e, bottom + e, right + e + w, bottom + e + h),
            (left - e - w, top - e - h, left - e, top - e),
            (left - e - w, bottom + e, left - e, bottom + e + h),
        ]
        yield from (over_under + beside if above_first else beside + over_under)
        yield from diagonals
        if ring:
            slide = ring * step
            if above_first:
                # above or below the mark, slid sideways
                for x0 in (cx - w / 2 - slide, cx - w / 2 + slide):
                    yield x0, top - gap - h, x0 + w, top - gap
                    yield x0, bottom + gap, x0 + w, bottom + gap + h
            else:
                # beside the mark, slid up or down: a column of marks keeps its labels in a column
                for y0 in (cy - h / 2 - slide, cy - h / 2 + slide):
                    yield right + gap, y0, right + gap + w, y0 + h
                    yield left - gap - w, y0, left - gap, y0 + h
        ring += 1


def _inside(box: Box, bounds: Box) -> bool:
    return bounds[0] <= box[0] and box[2] <= bounds[2] and bounds[1] <= box[1] and box[3] <= bounds[3]


def place_labels(
    marks: Sequence[Box],
    sizes: Sequence[tuple[float, float]],
    obstacles: Sequence[Box] = (),
    *,
    bounds: Box | None = None,
    gap: float = 4.0,
    margin: float = 1.0,
    step: float | None = None,
    max_distance: float = 80.0,
    cell: float = 48.0,
    above_first: bool = False,
    tries_per_label: int | None = None,
) -> list[Placement | None]:
    """Place one label beside each mark so that no label covers another label, a mark or an obstacle.

    Parameters
    ----------
    marks
        Each label's mark: the box of its outline on screen (a point mark: a small box
        around its centre). Every mark is also an obstacle to every label.
    sizes
        ``(width, height)`` of each label in device pixels, in the order of ``marks``.
    obstacles
        Other boxes no label may cover (a cluster's own label, say).
    bounds
        If given, labels are placed only wholly inside it (the visible screen).
    gap
        Distance between a mark and its label at the usual place.
    margin
        Least distance kept between a label and any other box.
    step
        How much further out each ring of candidate places is; default the label's
        height (but at least 4 px).
    max_distance
        Farthest a label may be from its mark; a label that finds no free place nearer is
        hidden.
    cell
        Side of the grid's cells, about the size of a label's height to a few times it.
    above_first
        Try above and below the mark before its sides (a cluster's label over its outline).
    tries_per_label
        If given, the places tried in all are at most this many times the number of
        labels; once they are used up, each label still to place tries only the first ring
        (the 8 places nearest its mark). Bounds the time where labels are far too many for
        the room (thousands of marks zoomed out), at the cost of hiding a few more.

    Returns
    -------
    list of Placement or None
        In the order of ``marks``; ``None`` for a hidden label. Labels are placed in that
        order too, so the first (a selected mark, say) gets the best place.
    """
    if len(marks) != len(sizes):
        raise ValueError(f"marks and sizes differ in length: {len(marks)} and {len(sizes)}")
    if gap < 0 or margin < 0 or max_distance < gap:
        raise ValueError(
            f"need 0 <= gap <= max_distance and margin >= 0, got {gap}, {max_distance}, {margin}"
        )
    if cell <= 0:
        raise ValueError(f"cell must be positive, got {cell}")
    if not marks:
        return []
    grid = _Grid(cell)
    # obstacles are filed only where a label could reach: a huge box would fill the grid
    reach = max_distance + max(max(w, h) for w, h in sizes) + margin + cell
    region = (
        min(m[0] for m in marks) - reach,
        min(m[1] for m in marks) - reach,
        max(m[2] for m in marks) + reach,
        max(m[3] for m in marks) + reach,
    )
    for box in [*marks, *obstacles]:
        clipped = (
            max(box[0], region[0]),
            max(box[1], region[1]),
            min(box[2], region[2]),
            min(box[3], region[3]),
        )
        if clipped[0] <= clipped[2] and clipped[1] <= clipped[3]:
            grid.add(clipped)
    placed: list[Placement | None] = []
    budget = math.inf if tries_per_label is None else tries_per_label * len(marks)
    for mark, (w, h) in zip(marks, sizes, strict=True):
        if w <= 0 or h <= 0:
            raise ValueError(f"label sizes must be positive, got {w} x {h}")
        ring_step = step if step is not None else max(h, 4.0)
        found: Placement | None = None
        candidates = _candidates(mark, w, h, gap, ring_step, max_distance, above_first)
        for index, box in enumerate(candidates):
            if index >= _FIRST_RING and budget <= 0:
                break
            budget -= 1
            if bounds is not None and not _inside(box, bounds):
                continue
            padded = (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)
            if grid.meets(padded):
                continue
            displaced = index != 0
            leader = None
            if displaced and box_gap(mark, box) > 1.5 * gap:
                leader = _nearest_points(mark, box)
                if grid.crosses(*leader):  # a leader over another speck or label: not here
                    continue
            found = Placement(box, displaced, leader)
            grid.add(box)
            break
        placed.append(found)
    return placed
