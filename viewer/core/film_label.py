"""Burned-in labels on a scanned film: a bright rectangle at the image's edge, laid over the tissue.

A film's identification label (or a flashed ID block) is a rectangle pressed onto the film
at one of its edges: it raises the density of everything under it, so the tissue seen
through it is brighter, and its text and dust are small sharp specks, the detector's false
candidates (WG04 MG1: seven of them). What makes it a label and not anatomy is its outline:
a side of it is a **straight edge parallel to the image's side**, the same step in
brightness along many millimetres, with tissue on its far side and the brighter rectangle
between it and the image's edge. Anatomy has no such edge: the pectoral muscle is bright
and touches the edge too, but its border is oblique and curved, and the skin line has air
beyond it.

:func:`film_labels` works on the 0.5 mm grid of :func:`viewer.core.breast_region.breast_region`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

_MIN_SIDE_MM = 15.0
"""Least length of the straight edge: tissue borders are not straight and axis-parallel
over this long (a label's side is 2 to 5 cm)."""
_MAX_DEPTH_MM = 40.0
"""Farthest the edge may lie from the image's side: a label is a few centimetres wide."""
_MAX_SIDE_FRACTION = 0.5
"""An edge longer than this part of the image's side is no label's (a scanner's stripe,
a detector seam or a paddle's edge runs across the image)."""
_STEP_SPREAD = 0.3
"""Least step across the edge (over two cells), in units of the tissue's spread (90th
percentile - median): WG04 MG1's label steps by 0.6 to 1.3 of it."""
_BESIDE_MM = 3.0
"""Width of the strip beyond the edge that must be tissue."""
_BRIGHTER_ROWS = 0.9
"""Part of the edge's length along which the rectangle, all the way to the image's side,
is brighter than the tissue beyond the edge (a tissue ridge with air behind it is not)."""
_MAX_SLOPE = float(np.tan(np.radians(2.0)))
"""Steepest an edge may run off its column: a film on a scanner is set square to a degree
or two; the pectoral muscle's border, however steep, runs off by more."""
_MAX_WANDER = 0.5
"""Rms distance, in cells, of the edge's positions from a straight line."""
_BORDER_MM = 5.0
"""Edges this close to the image's side are the film's own border, left out anyway."""
_MARGIN_MM = 2.0


def film_labels(
    small: NDArray[np.float32], cell_mm: tuple[float, float], threshold: float, tissue: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Burned-in label rectangles on a downsampled image, as a boolean ``[y, x]`` mask.

    A label is found by its inner side: a run of at least 15 mm along one column (or row,
    give or take a cell) where the image steps down by at least 0.3 times the tissue's
    spread, lying in the tissue, no longer than half the image's side, within 40 mm of the
    image's side on its bright side. It is a label when the strip of 3 mm beyond the step
    is tissue (its median above ``threshold``, the air / tissue threshold: a skin line has
    air there) and the rectangle from the step to the image's side is brighter all the way
    (along 90 % of the edge, each line's 5th percentile above that strip's median on the
    same line; a label may reach past the breast into air, where it is brighter still), and
    the edge keeps to its column (:func:`_straight`). The rectangle, with a 2 mm margin, is
    the label.

    Parameters
    ----------
    small
        The image averaged down to cells of ``cell_mm`` (``(row, col)`` mm), bright = dense.
    cell_mm
        Size of a cell.
    threshold
        Value separating air from tissue (Otsu's threshold).
    tissue
        Where the breast is, on the same grid.
    """
    found = np.zeros(small.shape, dtype=bool)
    values = small[tissue] if tissue.any() else small.ravel()
    median, p90 = (float(v) for v in np.percentile(values, [50.0, 90.0]))
    least_step = _STEP_SPREAD * max(p90 - median, 1e-6)
    for transposed in (False, True):
        s = small.T if transposed else small
        t = tissue.T if transposed else tissue
        out = found.T if transposed else found
        along_mm, across_mm = (cell_mm[1], cell_mm[0]) if transposed else cell_mm
        _mark_rectangles(s, t, out, along_mm, across_mm, threshold, least_step)
    margin = [max(1, round(_MARGIN_MM / c)) for c in cell_mm]
    if found.any():
        found = ndimage.binary_dilation(found, structure=np.ones((2 * margin[0] + 1, 2 * margin[1] + 1)))
    return found


def _mark_rectangles(
    s: NDArray[np.float32],
    tissue: NDArray[np.bool_],
    out: NDArray[np.bool_],
    along_mm: float,
    across_mm: float,
    threshold: float,
    least_step: float,
) -> None:
    """Mark in ``out`` the labels whose inner side runs along a column of ``s``."""
    rows, cols = s.shape
    least = max(2, round(_MIN_SIDE_MM / along_mm))
    border = round(_BORDER_MM / across_mm)
    depth = round(_MAX_DEPTH_MM / across_mm)
    beside = max(2, round(_BESIDE_MM / across_mm))
    if rows < least or cols < 2 * border + 3:
        return
    step = np.zeros_like(s)
    step[:, 1:-1] = s[:, :-2] - s[:, 2:]  # left minus right, across two cells
    for sign in (1.0, -1.0):
        steps = sign * step > least_step
        steps[:, :-1] |= steps[:, 1:]  # the edge may fall between two columns
        long = ndimage.binary_erosion(steps, structure=np.ones((least, 1), dtype=bool), border_value=0)
        for x in np.flatnonzero(long.any(axis=0)).tolist():
            to_side = x if sign > 0 else cols - 1 - x
            if not border <= to_side <= depth or min(x, cols - 1 - x) < border:
                continue
            for start, stop in _runs(steps[:, x]):
                if stop - start < least or stop - start > _MAX_SIDE_FRACTION * rows:
                    continue
                if tissue[start:stop, x].mean() < 0.5:
                    continue
                if not _straight(sign * step[start:stop], x):
                    continue
                if sign > 0:
                    box, far = slice(0, x), slice(x + 2, x + 2 + beside)
                else:
                    box, far = slice(x + 2, cols), slice(max(x - beside, 0), x)
                far_side = np.median(s[start:stop, far], axis=1)
                brighter = np.percentile(s[start:stop, box], 5, axis=1) > far_side
                if float(np.median(far_side)) > threshold and brighter.mean() >= _BRIGHTER_ROWS:
                    out[start:stop, box] = True
                    out[start:stop, x : x + 2] = True


def _straight(step: NDArray[np.float32], x: int) -> bool:
    """Whether the edge through column ``x`` of ``step`` (rows: the run) keeps to one column.

    Row by row, the edge lies at the centroid of the step within three cells of ``x``; a
    line fitted through those positions must be within 2 degrees of the column (a scanned
    film may be a little skewed) and the positions within half a cell of it (rms).
    """
    lo, hi = max(x - 3, 0), min(x + 4, step.shape[1])
    weights = np.maximum(step[:, lo:hi], 0.0)
    total = weights.sum(axis=1)
    rows = np.flatnonzero(total > 0)
    if len(rows) < 0.9 * len(step):
        return False
    where = (weights[rows] * np.arange(lo, hi)).sum(axis=1) / total[rows]
    slope, offset = np.polyfit(rows, where, 1)
    residual = float(np.sqrt(np.mean((where - (slope * rows + offset)) ** 2)))
    return abs(float(slope)) <= _MAX_SLOPE and residual <= _MAX_WANDER


def _runs(line: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of True in ``line``."""
    d = np.diff(np.concatenate([[0], line.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))
