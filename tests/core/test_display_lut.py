"""Tests of viewer.core.display_lut: the one application of a display table to stored pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.display_lut import LUT_BAND_ROWS, apply_display_lut, display_lut
from viewer.core.windowing import ModalityLut, VoiPreset


def test_display_lut_rejects_inverted_range() -> None:
    """stored_max below stored_min is a programming error, said plainly."""
    with pytest.raises(ValueError, match="stored_max"):
        display_lut(10, 5, ModalityLut(), VoiPreset.window(0, 10), False)


class TestApplyDisplayLut:
    """The one application of a display table: ``lut[pixels - stored_min]``, clamped."""

    @staticmethod
    def _oracle(pixels: np.ndarray, lut: np.ndarray, stored_min: int) -> np.ndarray:
        """Pixel by pixel, as the docstring says."""
        last = len(lut) - 1
        out = np.empty(pixels.shape, dtype=np.uint8)
        for (r, c), v in np.ndenumerate(pixels):
            out[r, c] = lut[min(max(int(v) - stored_min, 0), last)]
        return out

    @pytest.mark.parametrize("dtype,stored_min", [(np.uint16, 0), (np.uint16, 100), (np.int16, -2048)])
    def test_matches_the_lookup_with_clamping(self, dtype: type, stored_min: int) -> None:
        """Values inside the table are looked up, values outside it take its end grey levels."""
        rng = np.random.default_rng(5)
        lut = display_lut(
            stored_min, stored_min + 999, ModalityLut(), VoiPreset.window(stored_min + 500, 800), False
        )
        info = np.iinfo(dtype)
        low, high = max(stored_min - 300, info.min), min(stored_min + 1300, info.max)
        pixels: np.ndarray = rng.integers(low, high, size=(150, 9)).astype(dtype)  # rows of 3 bands
        got = apply_display_lut(pixels, lut, stored_min)
        assert got.dtype == np.uint8 and got.flags.c_contiguous
        np.testing.assert_array_equal(got, self._oracle(pixels, lut, stored_min))
        assert (pixels > stored_min + 999).any()
        assert (pixels < stored_min).any() or low == stored_min

    def test_strided_view(self) -> None:
        """A subsampled, mirrored view of a frame is looked up as the values it shows."""
        lut = np.arange(256, dtype=np.uint8)
        frame = np.arange(200 * 30, dtype=np.uint16).reshape(200, 30) % 256
        view = frame[::3, ::-2]
        np.testing.assert_array_equal(apply_display_lut(view, lut, 0), self._oracle(view, lut, 0))

    def test_refuses_other_than_2d(self) -> None:
        """A 1-D or 3-D array is refused, naming its dimensions."""
        with pytest.raises(ValueError, match="3-D"):
            apply_display_lut(np.zeros((2, 2, 2), np.uint16), np.zeros(4, np.uint8), 0)


class TestBands:
    @settings(max_examples=40, deadline=None)
    @given(
        rows=st.integers(1, 3 * LUT_BAND_ROWS + 5),
        cols=st.integers(1, 40),
        offset=st.integers(-50, 50),
        seed=st.integers(0, 2**16),
    )
    def test_equals_plain_indexing(self, rows: int, cols: int, offset: int, seed: int) -> None:
        """The banded lookup gives numpy's lut[crop - offset] for any crop (rows across bands) and offset."""
        rng = np.random.default_rng(seed)
        lut = rng.integers(0, 256, size=4096, dtype=np.uint8)
        crop = (rng.integers(0, 4096, size=(rows, cols)) + offset).astype(np.int32)
        assert np.array_equal(apply_display_lut(crop, lut, offset), lut[crop - offset])
