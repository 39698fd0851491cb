"""Tests for viewer.core.phantom: synthetic mammograms with known calcifications."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.phantom import (
    MAX_STORED,
    CalcSpec,
    breast_point,
    draw_calcification,
    make_mammogram,
    patient_orientation,
)


class TestMakeMammogram:
    def test_deterministic_from_seed(self) -> None:
        """The same seed gives the same pixels; another seed gives other pixels."""
        a = make_mammogram(300, 240, seed=3)
        b = make_mammogram(300, 240, seed=3)
        c = make_mammogram(300, 240, seed=4)
        assert np.array_equal(a.pixels, b.pixels)
        assert a.truth == b.truth
        assert not np.array_equal(a.pixels, c.pixels)

    def test_twelve_bits_uint16(self) -> None:
        """Pixels are uint16 within 12 bits, with air dark and tissue bright."""
        p = make_mammogram(400, 320, seed=1)
        assert p.pixels.dtype == np.uint16
        assert int(p.pixels.max()) <= MAX_STORED
        air = p.pixels[:, -20:]  # an L breast: air at the far (right) side
        tissue = p.pixels[180:220, 5:40]
        assert float(np.median(air)) < 200
        assert float(np.median(tissue)) > 900

    @pytest.mark.parametrize(("laterality", "tissue_side"), [("L", 0), ("R", -1)])
    def test_chest_wall_side(self, laterality: str, tissue_side: int) -> None:
        """The chest wall is at column 0 for L and at the last column for R."""
        p = make_mammogram(300, 240, laterality=laterality, calcifications=[])
        wall = p.pixels[140:160, tissue_side]
        far = p.pixels[140:160, -1 - tissue_side]
        assert float(wall.mean()) > 900 > float(far.mean())
        assert p.breast_mask[150, tissue_side] and not p.breast_mask[150, -1 - tissue_side]

    def test_monochrome1_inverts(self) -> None:
        """MONOCHROME1 stores 4095 - v of the MONOCHROME2 image."""
        m2 = make_mammogram(200, 160, seed=2)
        m1 = make_mammogram(200, 160, seed=2, monochrome1=True)
        assert np.array_equal(m1.pixels.astype(int), MAX_STORED - m2.pixels.astype(int))
        assert m1.photometric_interpretation == "MONOCHROME1"

    def test_mlo_has_pectoral_muscle(self) -> None:
        """An MLO view has a bright triangle in the upper chest-wall corner."""
        mlo = make_mammogram(600, 480, view="MLO", calcifications=[], dense=False, seed=5)
        corner = mlo.pixels[20:60, 5:40].mean()
        below = mlo.pixels[500:540, 5:40].mean()
        assert corner > below + 400

    def test_dense_is_brighter(self) -> None:
        """Dense tissue is brighter than fatty tissue inside the breast."""
        fatty = make_mammogram(400, 320, dense=False, calcifications=[], seed=6)
        dense = make_mammogram(400, 320, dense=True, calcifications=[], seed=6)
        m = fatty.breast_mask
        assert float(dense.pixels[m].mean()) > float(fatty.pixels[m].mean()) + 200

    def test_random_calcifications_inside_breast(self) -> None:
        """The default calcifications are 0.2-2 mm and lie inside the breast."""
        p = make_mammogram(600, 480, seed=7)
        assert len(p.truth) == 12
        for t in p.truth:
            assert 0.2 <= t.diameter_mm <= 2.0
            assert p.breast_mask[int(round(t.center[1])), int(round(t.center[0]))]

    def test_rejects_bad_arguments(self) -> None:
        """Unknown laterality/view and tiny images are refused with the argument named."""
        with pytest.raises(ValueError, match="laterality"):
            make_mammogram(100, 100, laterality="X")
        with pytest.raises(ValueError, match="view"):
            make_mammogram(100, 100, view="ML")
        with pytest.raises(ValueError, match="32x32"):
            make_mammogram(10, 100)
        with pytest.raises(ValueError, match="diameter_mm"):
            CalcSpec((1.0, 1.0), 0.0)


class TestDrawCalcification:
    @settings(max_examples=40, deadline=None)
    @given(
        d=st.floats(0.2, 2.0),
        row_mm=st.floats(0.05, 0.1),
        col_mm=st.floats(0.05, 0.1),
        fx=st.floats(0, 1),
        fy=st.floats(0, 1),
    )
    def test_integrated_contrast_is_disc_area(
        self, d: float, row_mm: float, col_mm: float, fx: float, fy: float
    ) -> None:
        """The added signal integrates to contrast x the ellipse's area in pixels."""
        img = np.zeros((120, 120), np.float32)
        t = draw_calcification(img, CalcSpec((60 + fx, 60 + fy), d, contrast=100.0), (row_mm, col_mm))
        area_px = math.pi * t.diameter_px_x * t.diameter_px_y / 4
        assert t.diameter_px_x == pytest.approx(d / col_mm)
        assert t.diameter_px_y == pytest.approx(d / row_mm)
        assert float(img.sum()) / 100.0 == pytest.approx(area_px, rel=0.03, abs=0.3)

    def test_partial_volume_edge(self) -> None:
        """Edge pixels are partly covered: values between 0 and the full contrast."""
        img = np.zeros((60, 60), np.float32)
        draw_calcification(img, CalcSpec((30.3, 29.6), 1.0, contrast=100.0), (0.07, 0.07), blur_px=0)
        values = img[img > 0]
        assert float(values.max()) == pytest.approx(100.0)
        assert np.count_nonzero((values > 5) & (values < 95)) >= 20


class TestOrientation:
    def test_patient_orientation(self) -> None:
        """Patient Orientation matches the chest-wall side and the view."""
        assert patient_orientation("L", "CC") == ("A", "R")
        assert patient_orientation("R", "CC") == ("P", "L")
        assert patient_orientation("L", "MLO") == ("A", "F")
        assert patient_orientation("R", "MLO") == ("P", "F")

    def test_breast_point_mirrors(self) -> None:
        """A point at the same depth lies mirrored for L and R."""
        lx, ly = breast_point(100, 80, "L", 0.25, 0.5)
        rx, ry = breast_point(100, 80, "R", 0.25, 0.5)
        assert lx == pytest.approx(20.0) and rx == pytest.approx(59.0) and ly == ry == 50.0
