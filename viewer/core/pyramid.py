"""Resolution levels of an image for display: level k is the image averaged over 2^k x 2^k blocks.

The screen never shows more pixels than it has, so windowing is applied only to the level
whose pixels are about the size of a screen pixel, and only to the visible crop.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def downsample2(image: NDArray[np.generic]) -> NDArray[np.generic]:
    """Average 2x2 blocks (odd last row/column dropped), keeping the dtype."""
    rows, cols = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    if rows == 0 or cols == 0:
        return image.copy()
    view = image[:rows, :cols]
    total = (view[0::2, 0::2].astype(np.uint32 if view.dtype.kind == "u" else np.int64)
             + view[1::2, 0::2] + view[0::2, 1::2] + view[1::2, 1::2])
    return ((total + 2) // 4).astype(image.dtype)


class Pyramid:
    """Lazily built resolution levels of one 2-D image (level 0 is the image itself)."""

    def __init__(self, image: NDArray[np.generic], min_size: int = 256) -> None:
        self.levels: list[NDArray[np.generic]] = [image]
        self._max_level = max(0, int(math.floor(math.log2(max(1, min(image.shape) / min_size)))))

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
