"""Tests of viewer.qt.view_render: the visible crop of a level and the display lookup."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QRectF

from viewer.qt.view_render import LUT_BAND_ROWS, apply_lut, crop_covers, level_crop


class TestApplyLut:
    @settings(max_examples=40, deadline=None)
    @given(
        rows=st.integers(1, 3 * LUT_BAND_ROWS + 5),
        cols=st.integers(1, 40),
        offset=st.integers(-50, 50),
        seed=st.integers(0, 2**16),
    )
    def test_equals_plain_indexing(self, rows: int, cols: int, offset: int, seed: int) -> None:
        """The banded lookup gives numpy's lut[crop - offset] for any crop and offset."""
        rng = np.random.default_rng(seed)
        lut = rng.integers(0, 256, size=4096, dtype=np.uint8)
        crop = (rng.integers(0, 4096, size=(rows, cols)) + offset).astype(np.int32)
        assert np.array_equal(apply_lut(lut, crop, offset), lut[crop - offset])


class TestLevelCrop:
    def test_margin_widens_and_clamps(self) -> None:
        """A quarter of the visible size is added each side, clamped to the level."""
        rect = QRectF(100.0, 200.0, 400.0, 800.0)
        assert level_crop(rect, 1, 10_000, 10_000) == (0, 601, 0, 1201)
        assert level_crop(rect, 1, 10_000, 10_000, margin=0.0) == (100, 501, 200, 1001)
        assert level_crop(rect, 4, 50, 20) == (0, 20, 0, 50)

    def test_rendered_crop_covers_small_pans(self) -> None:
        """The crop rendered with its margin still covers a pan of a tenth, not of a half."""
        rect = QRectF(1000.0, 1000.0, 400.0, 400.0)
        rendered = level_crop(rect, 2, 5000, 5000)
        assert crop_covers(rendered, rect.translated(40.0, -40.0), 2, 5000, 5000)
        assert not crop_covers(rendered, rect.translated(200.0, 0.0), 2, 5000, 5000)
