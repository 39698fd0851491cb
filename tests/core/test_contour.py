"""Tests for viewer.core.contour: the marching-squares iso-line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from viewer.core.contour import iso_contour
from viewer.core.geometry import polygon_area


class TestIsoContour:
    def test_disc_area(self) -> None:
        """The iso-line of a smooth disc encloses the disc's area."""
        yy, xx = np.mgrid[0:41, 0:41]
        field = 10.0 - np.hypot(xx - 20.3, yy - 19.6)  # zero on a circle of radius 10
        contour = iso_contour(field)
        assert polygon_area(contour) == pytest.approx(math.pi * 100, rel=0.01)
        assert all(abs(math.hypot(x - 20.3, y - 19.6) - 10) < 0.05 for x, y in contour)

    def test_diagonal_pixels_form_one_outline(self) -> None:
        """Two diagonal pixels (8-connected) give one outline, as the region is one speck."""
        field = -np.ones((5, 5))
        field[1, 1] = field[2, 2] = 1.0
        contour = iso_contour(field)
        assert polygon_area(contour) > 0.9
        assert len(contour) == 8

    def test_nothing_inside(self) -> None:
        """No positive value: no outline."""
        assert iso_contour(-np.ones((4, 4))) == []
