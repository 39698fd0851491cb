"""The iso-line of a scalar field at zero: marching squares with sub-pixel vertices.

Coordinates are ``(x, y)`` with x = column, y = row of the field, pixel centres at integers
(:mod:`viewer.core.geometry`). Used by :mod:`viewer.core.measure` to turn the segmented
speck into its outline.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from viewer.core.geometry import Point

# Marching squares: corner bits tl=1, tr=2, br=4, bl=8; edges T, R, B, L. Saddles (5, 10)
# join the two inside corners, matching the 8-connected region the contour follows.
_SEGMENTS: dict[int, tuple[tuple[str, str], ...]] = {
    1: (("T", "L"),),
    2: (("T", "R"),),
    3: (("L", "R"),),
    4: (("R", "B"),),
    5: (("T", "R"), ("L", "B")),
    6: (("T", "B"),),
    7: (("L", "B"),),
    8: (("L", "B"),),
    9: (("T", "B"),),
    10: (("T", "L"), ("R", "B")),
    11: (("R", "B"),),
    12: (("L", "R"),),
    13: (("T", "R"),),
    14: (("T", "L"),),
}


def iso_contour(
    field: NDArray[np.floating],
) -> list[Point]:
    """The longest closed iso-line ``field == 0`` around the region ``field > 0``.

    Vertices are interpolated linearly between pixel centres; coordinates are ``(x, y)``
    in the field's pixel frame. The first vertex is not repeated.
    """
    f = np.pad(np.asarray(field, dtype=np.float64), 1, constant_values=-1.0)
    inside = f > 0
    code = inside[:-1, :-1] * 1 | inside[:-1, 1:] * 2 | inside[1:, 1:] * 4 | inside[1:, :-1] * 8

    def edge_key(i: int, j: int, side: str) -> tuple[int, int, int]:
        if side == "T":
            return (0, i, j)
        if side == "B":
            return (0, i + 1, j)
        if side == "L":
            return (1, i, j)
        return (1, i, j + 1)

    neighbours: dict[tuple[int, int, int], list[tuple[int, int, int]]] = {}
    for i, j in zip(*np.nonzero((code > 0) & (code < 15)), strict=True):
        for a, b in _SEGMENTS[int(code[i, j])]:
            ka, kb = edge_key(int(i), int(j), a), edge_key(int(i), int(j), b)
            neighbours.setdefault(ka, []).append(kb)
            neighbours.setdefault(kb, []).append(ka)

    def vertex(key: tuple[int, int, int]) -> Point:
        kind, i, j = key
        f0 = f[i, j]
        f1 = f[i, j + 1] if kind == 0 else f[i + 1, j]
        t = float(f0 / (f0 - f1))
        return (j + t - 1.0, i - 1.0) if kind == 0 else (j - 1.0, i + t - 1.0)

    loops: list[list[Point]] = []
    seen: set[tuple[int, int, int]] = set()
    for start in neighbours:
        if start in seen:
            continue
        loop = [start]
        seen.add(start)
        prev, cur = start, neighbours[start][0]
        while cur != start and cur not in seen:
            seen.add(cur)
            loop.append(cur)
            nxt = neighbours[cur]
            step = nxt[0] if nxt[0] != prev else nxt[-1]
            prev, cur = cur, step
        loops.append([vertex(k) for k in loop])
    if not loops:
        return []
    best = max(loops, key=len)
    cleaned = [p for k, p in enumerate(best) if k == 0 or p != best[k - 1]]
    if len(cleaned) > 1 and cleaned[0] == cleaned[-1]:
        cleaned.pop()
    return cleaned
