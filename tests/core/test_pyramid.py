"""Tests of viewer.core.pyramid: 2x2 averages, level shapes, levels built elsewhere."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from viewer.core.pyramid import (
    Pyramid,
    build_levels,
    downsample2,
    level_shapes,
    max_level_for,
)


def reference_downsample(image: np.ndarray) -> np.ndarray:
    """2x2 block means rounded half up, computed the plain way in Python integers."""
    rows, cols = image.shape[0] // 2, image.shape[1] // 2
    out = np.empty((rows, cols), dtype=image.dtype)
    big = image.astype(np.int64)
    for r in range(rows):
        for c in range(cols):
            total = int(big[2 * r : 2 * r + 2, 2 * c : 2 * c + 2].sum())
            out[r, c] = (total + 2) // 4
    return out


class TestDownsample2:
    """Averaging 2x2 blocks."""

    @settings(max_examples=60, deadline=None)
    @given(
        arrays(
            st.sampled_from([np.uint16, np.int16, np.uint8]),
            st.tuples(st.integers(2, 40), st.integers(2, 40)),
        )
    )
    def test_equals_reference(self, image: np.ndarray) -> None:
        """Every dtype and odd/even shape: the exact rounded block mean, dtype kept."""
        got = downsample2(image)
        assert got.dtype == image.dtype
        np.testing.assert_array_equal(got, reference_downsample(image))

    def test_bands_join_without_seams(self) -> None:
        """An image taller than a processing band gives the same result as the plain way."""
        rng = np.random.default_rng(3)
        image = rng.integers(0, 4096, (1030, 70), dtype=np.uint16)
        np.testing.assert_array_equal(downsample2(image), reference_downsample(image))

    def test_extremes_do_not_overflow(self) -> None:
        """Four maximal uint16 values average to the maximum, not a wrapped value."""
        image = np.full((4, 4), 65535, dtype=np.uint16)
        assert int(downsample2(image).min()) == 65535

    def test_fills_out(self) -> None:
        """``out`` is filled and returned; a wrong shape is refused."""
        image = np.arange(64, dtype=np.uint16).reshape(8, 8)
        out = np.zeros((4, 4), dtype=np.uint16)
        assert downsample2(image, out) is out
        np.testing.assert_array_equal(out, reference_downsample(image))
        with pytest.raises(ValueError, match="shape"):
            downsample2(image, np.zeros((3, 4), dtype=np.uint16))

    def test_float_images(self) -> None:
        """Floating point images get the plain mean."""
        image = np.array([[0.0, 1.0], [2.0, 4.0]], dtype=np.float32)
        assert downsample2(image)[0, 0] == pytest.approx(1.75)


class TestLevels:
    """Level shapes, building all levels, pyramids of levels built elsewhere."""

    def test_shapes_of_a_mammogram(self) -> None:
        """5120x4096 halves down to a shorter side of 256."""
        assert level_shapes((5120, 4096)) == [
            (5120, 4096),
            (2560, 2048),
            (1280, 1024),
            (640, 512),
            (320, 256),
        ]
        assert max_level_for((5120, 4096)) == 4
        assert max_level_for((200, 4096)) == 0

    def test_build_levels_matches_lazy_pyramid(self) -> None:
        """build_levels gives the levels Pyramid builds on demand, shapes from level_shapes."""
        rng = np.random.default_rng(1)
        image = rng.integers(0, 4096, (1100, 1030), dtype=np.uint16)
        levels = build_levels(image)
        lazy = Pyramid(image)
        assert [lv.shape for lv in levels] == level_shapes(image.shape)
        for k, level in enumerate(levels):
            np.testing.assert_array_equal(level, lazy.level(k))

    def test_from_levels(self) -> None:
        """A pyramid adopts given levels without copying; wrong shapes are refused."""
        image = np.arange(1024 * 600, dtype=np.uint16).reshape(1024, 600) % 4096
        levels = build_levels(image)
        pyramid = Pyramid.from_levels(levels)
        assert all(pyramid.level(k) is levels[k] for k in range(len(levels)))
        partial = Pyramid.from_levels(levels[:1])
        np.testing.assert_array_equal(partial.level(1), levels[1])
        with pytest.raises(ValueError, match="level 1"):
            Pyramid.from_levels([image, levels[1][:-1]])
        with pytest.raises(ValueError):
            Pyramid.from_levels([])

    @pytest.mark.parametrize(
        ("ratio", "level"), [(0.5, 0), (1.0, 0), (1.9, 0), (2.0, 1), (4.74, 2), (9.5, 3)]
    )
    def test_level_for(self, ratio: float, level: int) -> None:
        """The coarsest level whose pixels are no larger than a screen pixel."""
        assert Pyramid.level_for(ratio) == level
