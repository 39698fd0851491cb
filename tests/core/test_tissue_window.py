"""Tests of viewer.core.tissue_window: the automatic window over the breast tissue."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.core.tissue_window import auto_window, tissue_mask, value_step


def _synthetic_mammogram(bright_background: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 12-bit breast-like image: a half disc of tissue on the left, air elsewhere."""
    rng = np.random.default_rng(seed)
    rows, cols = 600, 400
    y, x = np.mgrid[0:rows, 0:cols]
    breast = ((y - rows / 2) / (rows * 0.42)) ** 2 + (x / (cols * 0.8)) ** 2 < 1.0
    tissue = 1800 + 600 * np.exp(-x / 200.0) + rng.normal(0, 60, (rows, cols))
    air = rng.normal(150, 20, (rows, cols))
    image = np.where(breast, tissue, air)
    if bright_background:
        image = 4095 - image
    return np.clip(image, 0, 4095), breast


class TestAutoWindow:
    """The window from the breast tissue's histogram."""

    @pytest.mark.parametrize("bright_background", [False, True])
    def test_window_covers_tissue_not_background(self, bright_background: bool) -> None:
        """MONOCHROME1- and MONOCHROME2-like data: the window spans the tissue only."""
        image, breast = _synthetic_mammogram(bright_background)
        center, width = auto_window(image)
        lo, hi = center - width / 2, center + width / 2
        tissue = image[breast]
        background = image[~breast]
        assert np.mean((tissue >= lo) & (tissue <= hi)) > 0.95
        assert np.mean((background >= lo) & (background <= hi)) < 0.01

    def test_tissue_mask_finds_the_breast(self) -> None:
        """The tissue mask agrees with the true breast region on almost every pixel."""
        image, breast = _synthetic_mammogram(False)
        mask = tissue_mask(image)
        assert mask is not None and np.mean(mask == breast) > 0.99

    def test_flat_and_tiny_images(self) -> None:
        """A constant, a 1x2 and an empty image still give a valid window."""
        assert auto_window(np.full((50, 50), 7.0))[1] >= 1.0
        center, width = auto_window(np.array([[2316.0, 2322.0]]))
        assert 2316.0 < center < 2322.0 and 5.0 < width <= 6.0
        assert auto_window(np.zeros((0, 0))) == (0.5, 1.0)

    @pytest.mark.parametrize("slope", [1 / 4095, 1.0, 10.0])
    def test_same_window_relative_to_the_values(self, slope: float) -> None:
        """A 0..1 image (Rescale Slope 1/4095) gets the window of the 0..4095 one, scaled.

        A width floor of 1 (absolute units) would cover the whole 0..1 range.
        """
        image, _ = _synthetic_mammogram(False)
        base = auto_window(image.astype(np.float64))
        center, width = auto_window(image.astype(np.float64) * slope)
        assert center == pytest.approx(base[0] * slope, rel=1e-6)
        assert width == pytest.approx(base[1] * slope, rel=1e-6)

    def test_value_step(self) -> None:
        """The quantisation step of rescaled integers is the slope."""
        values = np.arange(0, 4096, dtype=np.float64) / 4095.0
        assert value_step(values) == pytest.approx(1 / 4095)
        assert value_step(np.full(10, 3.0)) == 1.0
