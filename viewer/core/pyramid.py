"""Resolution levels of an image for display: level k is the image averaged over 2^k x 2^k blocks.

The screen never shows more pixels than it has, so windowing is applied only to the level
whose pixels are about the size of a screen pixel, and only to the visible crop.

Arrays are indexed ``[row, column]``; pixel ``(x, y)`` of level k covers the full-size
pixels ``x * 2**k .. (x + 1) * 2**k - 1`` (columns) and likewise for rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

_BAND_ROWS = 256
"""Rows of the source processed at a time: the temporaries stay in the CPU cache (3x faster)."""


def _accumulator(dtype: np.dtype[np.generic]) -> type[np.generic]:
    """An integer type that holds the sum of four values of ``dtype`` exactly."""
    if dtype.kind == "u":
        return np.uint32 if dtype.itemsize <= 2 else np.uint64
    if dtype.kind == "i":
        return np.int32 if dtype.itemsize <= 2 else np.int64
    return np.float64


def downsample2(image: NDArray[np.generic], out: NDArray[np.generic] | None = None) -> NDArray[np.generic]:
    """Average 2x2 blocks (odd last row/column dropped), keeping the dtype.

    Integers are rounded half up (``(a + b + c + d + 2) // 4``, exact). ``out``, when
    given, must have shape ``(rows // 2, columns // 2)`` and the image's dtype; it is
    filled and returned (a worker process writes levels straight into shared memory).
    """
    rows, cols = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    if rows == 0 or cols == 0:
        return image.copy()
    shape = (rows // 2, cols // 2)
    if out is None:
        out = np.empty(shape, dtype=image.dtype)
    elif out.shape != shape or out.dtype != image.dtype:
        raise ValueError(f"out has shape {out.shape} {out.dtype}, expected {shape} {image.dtype}")
    acc = _accumulator(image.dtype)
    for r in range(0, rows, _BAND_ROWS):
        band = image[r : min(r + _BAND_ROWS, rows), :cols]
        pairs = band[0::2].astype(acc)
        pairs += band[1::2]
        total = pairs[:, 0::2] + pairs[:, 1::2]
        if acc is np.float64:
            total /= 4.0
        else:
            total += 2
            total >>= 2  # arithmetic shift: floor division by 4 for signed values too
        out[r // 2 : r // 2 + total.shape[0]] = total
    return out


def max_level_for(shape: tuple[int, ...], min_size: int = 256) -> int:
    """The coarsest level of an image of ``shape`` whose shorter side stays >= ``min_size``."""
    return max(0, int(math.floor(math.log2(max(1, min(shape[:2]) / min_size)))))


def level_shapes(shape: tuple[int, int], min_size: int = 256) -> list[tuple[int, int]]:
    """Shapes ``(rows, columns)`` of levels 0 .. max_level of an image of ``shape``."""
    shapes = [(int(shape[0]), int(shape[1]))]
    for _ in range(max_level_for(shape, min_size)):
        rows, cols = shapes[-1]
        shapes.append((rows // 2, cols // 2))
    return shapes


def build_levels(
    image: NDArray[np.generic],
    min_size: int = 256,
    out: Sequence[NDArray[np.generic]] | None = None,
) -> list[NDArray[np.generic]]:
    """All levels 0 .. max_level of ``image`` (level 0 is ``image`` itself).

    ``out`` optionally holds arrays for levels 1 .. max_level (shapes from
    :func:`level_shapes`) to fill instead of allocating.
    """
    levels = [image]
    for k in range(1, max_level_for(image.shape, min_size) + 1):
        target = out[k - 1] if out is not None else None
        levels.append(downsample2(levels[-1], target))
    return levels


class Pyramid:
    """Lazily built resolution levels of one 2-D image (level 0 is the image itself)."""

    def __init__(self, image: NDArray[np.generic], min_size: int = 256) -> None:
        self.levels: list[NDArray[np.generic]] = [image]
        self._max_level = max_level_for(image.shape, min_size)

    @classmethod
    def from_levels(cls, levels: Sequence[NDArray[np.generic]], min_size: int = 256) -> Pyramid:
        """A pyramid of levels built elsewhere (:func:`build_levels`, a worker process).

        ``levels[0]`` is the image; missing coarser levels are built on first use.
        """
        if not levels:
            raise ValueError("levels must hold at least the image itself")
        pyramid = cls(levels[0], min_size)
        for k, level in enumerate(levels[1 : pyramid.max_level + 1], start=1):
            expected = (pyramid.levels[-1].shape[0] // 2, pyramid.levels[-1].shape[1] // 2)
            if level.shape != expected:
                raise ValueError(f"level {k} has shape {level.shape}, expected {expected}")
            pyramid.levels.append(level)
        return pyramid

    @property
    def max_level(self) -> int:
        return self._max_level

    def level(self, k: int) -> NDArray[np.generic]:
        """Level ``k`` (clamped to the available levels), built on first use."""
        k = max(0, min(k, self._max_level))
        while len(self.levels) <= k:
            self.levels.append(downsample2(self.levels[-1]))
        return self.levels[k]

    @staticmethod
    def level_for(image_px_per_screen_px: float) -> int:
        """The coarsest level whose pixels are still no larger than a screen pixel."""
        if image_px_per_screen_px <= 1.0:
            return 0
        return int(math.floor(math.log2(image_px_per_screen_px)))
