"""Tests for viewer.core.structure_shape: the size of the narrow bright structure at a point."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.core.phantom import CalcSpec, draw_calcification
from viewer.core.structure_shape import structure_shape


class TestStructureShape:
    def test_disc_and_line(self) -> None:
        """A 0.8 mm disc measures about 0.8 mm each way; a 0.5 mm wide line crossing the
        6 mm window measures about 6 mm by 0.5 mm."""
        img = np.full((160, 160), 1200.0, dtype=np.float32)
        disc = draw_calcification(img, CalcSpec((80.0, 80.0), 0.8, contrast=600.0), (0.07, 0.07))
        shape = structure_shape(img, disc.center, (0.07, 0.07))
        assert shape.length_mm == pytest.approx(0.8, abs=0.15) and shape.elongation < 1.3
        line = np.zeros((300, 300), dtype=np.float32)
        line[146:153, :] = 300.0
        shape = structure_shape(line, (150.0, 149.0), (0.07, 0.07))
        assert shape.length_mm == pytest.approx(6.0, abs=0.2)
        assert shape.width_mm == pytest.approx(0.5, abs=0.1)

    def test_anisotropic_pixels(self) -> None:
        """The same 4 mm x 0.5 mm bar measures the same in mm with 0.05 x 0.1 mm pixels."""
        bar = np.zeros((200, 100), dtype=np.float32)
        bar[20:100, 48:53] = 300.0  # 80 rows x 5 columns = 4 mm x 0.5 mm
        shape = structure_shape(bar, (50.0, 60.0), (0.05, 0.1))
        assert shape.length_mm == pytest.approx(4.0, abs=0.15)
        assert shape.width_mm == pytest.approx(0.5, abs=0.1)

    def test_smooth_ridge_is_not_a_structure(self) -> None:
        """A speck on a smooth tissue ridge 3 mm wide: the ridge is wider than the 1.5 mm
        top-hat, so the structure is the speck alone."""
        yy = np.mgrid[:200, :200][0].astype(np.float32)
        img = 400.0 * np.exp(-0.5 * ((yy - 100) / 18.0) ** 2)
        (speck,) = [draw_calcification(img, CalcSpec((100.0, 100.0), 0.5, contrast=300.0), (0.07, 0.07))]
        shape = structure_shape(img, speck.center, (0.07, 0.07))
        assert shape.length_mm < 1.0

    def test_nothing_there(self) -> None:
        """A flat image has no structure at any point."""
        shape = structure_shape(np.zeros((50, 50), dtype=np.float32), (25.0, 25.0), (0.07, 0.07))
        assert shape.length_mm == 0.0 and shape.elongation == 1.0
