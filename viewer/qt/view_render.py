"""The arithmetic of one repaint: which stored pixels are visible, and their display greys.

An image view renders the crop of the matching resolution level around the visible
rectangle (with a margin, so small pans only move the picture) and indexes a uint8 lookup
table with it (:func:`viewer.core.display_lut.apply_display_lut`). Scene coordinates are
the stored image's pixel coordinates (pixel centres at integers); a level ``n`` pixel
covers ``2**n`` stored pixels a side.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF

CROP_MARGIN = 0.25
"""Fraction of the visible width (height) rendered beyond each edge."""

Crop = tuple[int, int, int, int]
"""(c0, c1, r0, r1): columns ``c0:c1`` and rows ``r0:r1`` of one resolution level."""


def level_crop(rect: QRectF, scale: int, rows: int, cols: int, margin: float = CROP_MARGIN) -> Crop:
    """The crop of a level (``rows`` x ``cols``, ``scale`` stored pixels a side) to render
    for the visible scene rectangle ``rect``, widened by ``margin`` of its size each side."""
    c0 = max(0, int(math.floor((rect.left() - margin * rect.width()) / scale)))
    c1 = min(cols, int(math.ceil((rect.right() + margin * rect.width()) / scale)) + 1)
    r0 = max(0, int(math.floor((rect.top() - margin * rect.height()) / scale)))
    r1 = min(rows, int(math.ceil((rect.bottom() + margin * rect.height()) / scale)) + 1)
    return c0, c1, r0, r1


def crop_covers(rendered: Crop, rect: QRectF, scale: int, rows: int, cols: int) -> bool:
    """True when the ``rendered`` crop of a level holds everything visible in ``rect``."""
    c0, c1, r0, r1 = rendered
    v_c0, v_c1, v_r0, v_r1 = level_crop(rect, scale, rows, cols, margin=0.0)
    return c0 <= v_c0 and v_c1 <= c1 and r0 <= v_r0 and v_r1 <= r1
