"""The shape of the narrow bright structure a point lies on: a speck, or a line through it.

A calcification is a compact speck; a calcified vessel wall, a fibre or a scratch on a
scanned film is a line that goes on beyond its brighter pieces. The detector
(:mod:`viewer.core.detect`) asks :func:`structure_shape` about each candidate and drops
those that lie on a line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from viewer.core.geometry import Point

_LEVEL = 1.0 / 3.0
"""A candidate's structure is what is at least this part as bright as the candidate (in
the narrow top-hat): a vessel wall carrying a brighter piece stays above it."""
_WIDTH_MM = 1.5
"""The structure is looked for among things narrower than this: calcified vessel walls
and fibres are; the smooth ridges of glandular tissue a speck may sit on are not."""
_REACH_MM = 3.0
"""The structure is looked at within this distance of the candidate (a 6 mm square)."""


@dataclass(frozen=True)
class StructureShape:
    """Size of a bright structure from its second moments, in mm.

    ``length_mm`` and ``width_mm`` are those of the uniform bar with the same second
    moments (a bar of length L has variance L^2 / 12 along it); each pixel counts as a
    small square, so a single pixel has a width.
    """

    length_mm: float
    width_mm: float

    @property
    def elongation(self) -> float:
        """Length over width: 1 for a disc, large for a line."""
        return self.length_mm / self.width_mm if self.width_mm > 0 else 1.0


def structure_shape(
    values: ArrayLike,
    center: Point,
    pixel_mm: tuple[float, float],
    *,
    level: float = _LEVEL,
    width_mm: float = _WIDTH_MM,
    reach_mm: float = _REACH_MM,
) -> StructureShape:
    """The shape of the narrow bright structure that holds ``center``.

    Near ``center`` the image is reduced to what is narrower than ``width_mm`` (a white
    top-hat with a flat square of that side: a calcification, a vessel wall, a fibre;
    not a smooth tissue ridge); the connected part above ``level`` times its value at
    ``center`` is the structure.

    Parameters
    ----------
    values
        2-D image (bright = dense), indexed ``[y, x]``.
    center
        ``(x, y)`` in pixels; the brightest pixel of the 3 x 3 around it seeds the structure.
    pixel_mm
        ``(row, col)`` pixel size in mm (anisotropic pixels measured in mm).
    level
        Fraction of the structure's value at ``center`` above which pixels belong to it.
    width_mm
        Side of the top-hat's square: wider things are background.
    reach_mm
        Only the square within this distance of ``center`` is looked at: a long vessel
        measures about twice ``reach_mm`` long.

    Returns
    -------
    Length and width in mm; both 0 when nothing stands out at ``center``.
    """
    v = np.asarray(values, dtype=np.float32)
    h, w = v.shape
    row_mm, col_mm = pixel_mm
    x, y = min(max(round(center[0]), 0), w - 1), min(max(round(center[1]), 0), h - 1)
    se = [max(3, round(width_mm / p) | 1) for p in pixel_mm]
    ry, rx = max(1, round(reach_mm / row_mm)), max(1, round(reach_mm / col_mm))
    # the top-hat needs the square's side beyond the window to be right inside it
    y0, x0 = max(y - ry - se[0], 0), max(x - rx - se[1], 0)
    patch = v[y0 : y + ry + se[0] + 1, x0 : x + rx + se[1] + 1]
    narrow = patch - ndimage.grey_opening(patch, size=se)
    wy0, wx0 = max(y - ry, 0) - y0, max(x - rx, 0) - x0
    window = narrow[wy0 : y - y0 + ry + 1, wx0 : x - x0 + rx + 1]
    cy, cx = y - y0 - wy0, x - x0 - wx0
    near = window[max(cy - 1, 0) : cy + 2, max(cx - 1, 0) : cx + 2]
    top = float(near.max())
    if not top > 0:
        return StructureShape(0.0, 0.0)
    ny, nx = np.unravel_index(int(np.argmax(near)), near.shape)
    labels, _ = ndimage.label(window > level * top)
    rows, cols = np.nonzero(labels == labels[ny + max(cy - 1, 0), nx + max(cx - 1, 0)])
    points = np.column_stack([cols * col_mm, rows * row_mm])
    cov = np.cov(points, rowvar=False, bias=True) if len(points) > 1 else np.zeros((2, 2))
    cov = cov + np.diag([col_mm**2 / 12.0, row_mm**2 / 12.0])
    small, large = np.linalg.eigvalsh(cov)
    return StructureShape(math.sqrt(12.0 * large), math.sqrt(12.0 * max(small, 0.0)))
