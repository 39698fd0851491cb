"""Finding the nipple and the chest wall line of a mammogram from its pixels.

The nipple is taken as the point of the skin line farthest from the chest wall edge of
the image: the breast is segmented from the background (:func:`viewer.core.windowing.tissue_mask`,
Otsu's threshold with the background side told or read from the border), its largest
connected part kept and filled; per row, the skin line is the last breast pixel from the
chest wall; the nipple row is the centroid of the cap of rows whose skin line comes
within :data:`CAP_FRACTION` of the farthest one, weighted by how far it reaches into the
cap (a symmetric breast outline puts it on the apex; noise on the outline averages out).

On MLO the chest wall is the pectoral muscle's edge when it can be found: the muscle is
the bright band in the upper chest wall corner; the brighter class (Otsu) of the smoothed
breast there, connected to the chest wall edge, gives a width per row, and a straight
line fitted to those widths (twice, the second time without the rows farther than two
standard deviations from the first fit) is its edge. A fit that is not a narrowing
triangle, or fits badly, falls back to the image edge with a note.

Works on a regular subsample of about a million pixels; coordinates returned are full
resolution ``(x, y)`` (x = column, y = row, pixel centres at integers).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from viewer.core.landmarks import ChestWall, Landmarks
from viewer.core.tissue_window import otsu_threshold, tissue_mask  # the one Otsu of the package

CAP_FRACTION = 0.03
"""The nipple cap: rows whose skin line reaches within this fraction of the farthest one."""
PECTORAL_MIN_R2 = 0.8
"""A pectoral edge fit explaining less of the widths' variance than this is not trusted."""


class LandmarkError(ValueError):
    """No breast outline could be found in the image (the message says why)."""


def _largest_filled(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    labels, count = ndimage.label(mask)
    if count == 0:
        raise LandmarkError("no breast tissue was found (the image has no distinct background)")
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    biggest: NDArray[np.bool_] = labels == int(np.argmax(sizes))
    filled: NDArray[np.bool_] = ndimage.binary_fill_holes(biggest)
    return filled


def chest_wall_on_right(mask: NDArray[np.bool_]) -> bool:
    """Guess the chest wall side from a breast mask: the side holding more tissue."""
    third = max(1, mask.shape[1] // 3)
    return float(mask[:, -third:].mean()) > float(mask[:, :third].mean())


def _skin_depths(breast: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per row, the column of the last breast pixel counted from column 0 (-1 where the row is empty)."""
    cols = breast.shape[1]
    any_row = breast.any(axis=1)
    last = cols - 1 - np.argmax(breast[:, ::-1], axis=1)
    return np.where(any_row, last, -1).astype(np.float64)


def _nipple_row(depths: NDArray[np.float64]) -> float:
    """The cap centroid of the skin line (see the module docstring)."""
    far = float(depths.max())
    floor = far * (1.0 - CAP_FRACTION)
    peak = int(np.argmax(depths))
    lo = peak
    while lo > 0 and depths[lo - 1] >= floor:
        lo -= 1
    hi = peak
    while hi + 1 < depths.shape[0] and depths[hi + 1] >= floor:
        hi += 1
    rows = np.arange(lo, hi + 1, dtype=np.float64)
    weights = depths[lo : hi + 1] - floor + 1.0
    return float(np.sum(rows * weights) / np.sum(weights))


def _pectoral_line(
    values: NDArray[np.float64], breast: NDArray[np.bool_], nipple_row: float, nipple_depth: float
) -> tuple[float, float] | None:
    """``(width at row 0, change of width per row)`` of the muscle, in subsample pixels; None if not found.

    ``values`` and ``breast`` have the chest wall at column 0 and superior at row 0, in
    the bright-is-dense sense.
    """
    rows = max(8, int(round(nipple_row)))
    cols = max(8, int(round(0.6 * nipple_depth)))
    region = breast[:rows, :cols]
    if region.sum() < 64:
        return None
    smooth = ndimage.gaussian_filter(values[:rows, :cols], 3.0)
    inside = smooth[region]
    cut = otsu_threshold(inside)
    bright = (smooth > cut) & region
    labels, count = ndimage.label(bright)
    if count == 0:
        return None
    touching = np.unique(labels[:, 0])
    touching = touching[touching > 0]
    if touching.size == 0:
        return None
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    muscle = labels == touching[int(np.argmax(sizes[touching]))]
    widths = _skin_depths(muscle) + 1.0
    ys = np.nonzero(widths > 0)[0].astype(np.float64)
    if ys.size < 8:
        return None
    ws = widths[ys.astype(int)]
    fit = None
    keep = np.ones(ys.size, bool)
    for _ in range(2):
        if keep.sum() < 8:
            return None
        slope, intercept = np.polyfit(ys[keep], ws[keep], 1)
        residual = ws - (intercept + slope * ys)
        spread = float(residual[keep].std())
        fit = (float(intercept), float(slope))
        keep = np.abs(residual) <= 2.0 * spread + 1.0
    assert fit is not None
    intercept, slope = fit
    total = float(ws[keep].var())
    explained = 1.0 - float(np.var(ws[keep] - (intercept + slope * ys[keep]))) / total if total > 0 else 0.0
    if slope >= 0 or intercept <= 0 or explained < PECTORAL_MIN_R2:
        return None
    return fit


def find_landmarks(
    values: Any,
    view: str | None,
    *,
    chest_wall_right: bool | None = None,
    background_high: bool | None = None,
    bright_is_high: bool = True,
    superior_at_top: bool = True,
) -> Landmarks:
    """The nipple and chest wall line of a mammogram.

    Parameters
    ----------
    values
        The image's modality values, 2-D (rows, columns).
    view
        ``"CC"``, ``"MLO"`` or another view code; only MLO looks for a pectoral muscle.
    chest_wall_right
        True when the chest wall is at the last column; None to guess from the tissue.
    background_high
        True when air has the highest values (MONOCHROME1); None to read it from the border.
    bright_is_high
        True when dense tissue has high values (the pectoral muscle is searched as the bright class).
    superior_at_top
        False when increasing rows run towards the head (the muscle is then at the bottom).

    Raises
    ------
    LandmarkError
        When no breast outline is found.
    """
    arr = np.asarray(values)
    if arr.ndim != 2 or min(arr.shape) < 16:
        raise LandmarkError(f"a 2-D image of at least 16x16 pixels is needed, got shape {arr.shape}")
    step = max(1, int(math.sqrt(arr.size / (1 << 20))))
    sub = arr[::step, ::step].astype(np.float64)
    mask = tissue_mask(sub, background_high)
    if mask is None or mask.shape != sub.shape:
        raise LandmarkError("no breast outline was found (no distinct background around the tissue)")
    breast = _largest_filled(mask)
    right = chest_wall_on_right(breast) if chest_wall_right is None else chest_wall_right
    if right:
        breast, sub = breast[:, ::-1], sub[:, ::-1]
    if not superior_at_top:
        breast, sub = breast[::-1], sub[::-1]
    if not bright_is_high:
        sub = -sub
    depths = _skin_depths(breast)
    y_sub = _nipple_row(depths)
    d_sub = float(depths[int(round(y_sub))])

    rows, cols = arr.shape

    def to_image(depth_sub: float, row_sub: float) -> tuple[float, float]:
        depth, row = depth_sub * step, row_sub * step
        x = (cols - 1) - depth if right else depth
        y = row if superior_at_top else (rows - 1) - row
        return (float(x), float(y))

    nipple = to_image(d_sub, y_sub)
    edge = (to_image(0.0, 0.0), to_image(0.0, (rows - 1) / step))
    notes = []
    if d_sub >= breast.shape[1] - 2:
        notes.append("the breast reaches the far image edge: the nipple may be outside the image, check it")
    wall, kind = edge, ChestWall.IMAGE_EDGE
    if (view or "").upper() == "MLO":
        line = _pectoral_line(sub, breast, y_sub, d_sub)
        if line is None:
            notes.append("pectoral muscle not found: the image edge is the chest wall")
        else:
            intercept, slope = line
            wall, kind = (to_image(intercept, 0.0), to_image(0.0, -intercept / slope)), ChestWall.PECTORAL
    return Landmarks(nipple, wall, kind, note="; ".join(notes))
