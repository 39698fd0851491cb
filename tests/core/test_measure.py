"""Tests for viewer.core.measure: one click -> outline -> sizes, against phantom ground truth."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.annotations import Calcification, Sizes
from viewer.core.geometry import Spacing, SpacingSource, convex_hull, polygon_area
from viewer.core.measure import NOT_FOUND, OutlineResult, find_calcification
from viewer.core.phantom import (
    CalcSpec,
    Phantom,
    TrueCalcification,
    breast_point,
    draw_calcification,
    make_mammogram,
)

SPACINGS = [(0.05, 0.05), (0.07, 0.07), (0.1, 0.1), (0.1, 0.05), (0.05, 0.085)]


def _spacing(spacing_mm: tuple[float, float]) -> Spacing:
    return Spacing(spacing_mm[0], spacing_mm[1], SpacingSource.PIXEL_SPACING, "mm")


def _tolerance_mm(truth: TrueCalcification, spacing_mm: tuple[float, float]) -> float:
    """The issue's tolerance: max(1 pixel, 10 %)."""
    return max(max(spacing_mm), 0.1 * truth.diameter_mm)


def _long_axis_mm(result: OutlineResult, spacing: Spacing) -> float | None:
    if not result.found:
        return None
    assert result.outline is not None
    mm = Sizes.of_outline(result.outline, spacing).long_axis_mm
    assert mm is not None
    return mm


def _flat_speck(
    d_mm: float,
    spacing_mm: tuple[float, float],
    offset: tuple[float, float],
    seed: int,
    background: float = 1200.0,
    size: int = 161,
) -> tuple[np.ndarray, TrueCalcification]:
    img = np.full((size, size), background, np.float32)
    c = size // 2
    truth = draw_calcification(img, CalcSpec((c + offset[0], c + offset[1]), d_mm), spacing_mm)
    img += np.random.default_rng(seed).normal(0, 16, img.shape).astype(np.float32)
    return np.rint(img).astype(np.uint16), truth


def _grid_phantom(k: int, spacing_mm: tuple[float, float], dense: bool, mono1: bool) -> Phantom:
    """16 calcifications of 0.2-2 mm (log-uniform) on a grid inside a small breast."""
    rng = np.random.default_rng(k)
    specs = []
    for i in range(16):
        p = breast_point(900, 700, "L", 0.08 + 0.1 * (i % 5), 0.2 + 0.15 * (i // 5))
        d = float(np.exp(rng.uniform(math.log(0.2), math.log(2.0))))
        specs.append(CalcSpec((p[0] + rng.uniform(-0.5, 0.5), p[1] + rng.uniform(-0.5, 0.5)), d))
    return make_mammogram(
        900, 700, spacing_mm, "L", "CC", seed=k, calcifications=specs, dense=dense, monochrome1=mono1
    )


class TestAccuracy:
    @pytest.mark.slow
    def test_long_axis_on_synthetic_mammograms(self) -> None:
        """>= 90 % of calcifications >= 0.3 mm measure within max(1 px, 10 %); failures listed."""
        configs = list(itertools.product(SPACINGS, [False, True], [False, True]))
        measured = failures = 0
        report: list[str] = []
        small_found = small_total = 0
        for k, (spacing_mm, dense, mono1) in enumerate(configs):
            phantom = _grid_phantom(k, spacing_mm, dense, mono1)
            spacing = _spacing(spacing_mm)
            rng = np.random.default_rng(100 + k)
            for t in phantom.truth:
                # a click somewhere on the speck, not necessarily its centre
                x = t.center[0] + rng.uniform(-0.25, 0.25) * t.diameter_px_x
                y = t.center[1] + rng.uniform(-0.25, 0.25) * t.diameter_px_y
                result = find_calcification(phantom.pixels, x, y, spacing, bright_is_high=not mono1)
                long_mm = _long_axis_mm(result, spacing)
                if t.diameter_mm < 0.3:
                    small_total += 1
                    small_found += long_mm is not None
                    continue
                measured += 1
                tol = _tolerance_mm(t, spacing_mm)
                if long_mm is None or abs(long_mm - t.diameter_mm) > tol:
                    failures += 1
                    why = (
                        f"not found ({result.reason})"
                        if long_mm is None
                        else f"measured {long_mm:.3f} mm (tolerance {tol:.3f})"
                    )
                    report.append(
                        f"d={t.diameter_mm:.3f} mm at {spacing_mm} "
                        f"{'dense' if dense else 'fatty'} "
                        f"{'MONOCHROME1' if mono1 else 'MONOCHROME2'}: {why}"
                    )
        ok = 1 - failures / measured
        print(f"{measured - failures}/{measured} within tolerance; failures:\n" + "\n".join(report))
        assert measured > 200
        assert ok >= 0.9, f"only {ok:.1%} within tolerance; failures:\n" + "\n".join(report)
        assert small_found >= 0.8 * small_total, f"0.2-0.3 mm: {small_found}/{small_total} found"

    @settings(max_examples=60, deadline=None)
    @given(
        d=st.floats(0.3, 2.0),
        row_mm=st.floats(0.05, 0.1),
        col_mm=st.floats(0.05, 0.1),
        ox=st.floats(-0.5, 0.5),
        oy=st.floats(-0.5, 0.5),
        click=st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3)),
        seed=st.integers(0, 2**16),
    )
    def test_isolated_speck_any_spacing(
        self,
        d: float,
        row_mm: float,
        col_mm: float,
        ox: float,
        oy: float,
        click: tuple[float, float],
        seed: int,
    ) -> None:
        """An isolated speck of any size, spacing and sub-pixel place measures within tolerance."""
        img, t = _flat_speck(d, (row_mm, col_mm), (ox, oy), seed)
        spacing = _spacing((row_mm, col_mm))
        x = t.center[0] + click[0] * t.diameter_px_x
        y = t.center[1] + click[1] * t.diameter_px_y
        long_mm = _long_axis_mm(find_calcification(img, x, y, spacing), spacing)
        assert long_mm is not None
        assert abs(long_mm - d) <= _tolerance_mm(t, (row_mm, col_mm))

    def test_anisotropic_short_axis(self) -> None:
        """With anisotropic pixels a round speck is round in mm: long ~ short axis."""
        img, t = _flat_speck(1.2, (0.1, 0.05), (0.2, -0.3), seed=4)
        spacing = _spacing((0.1, 0.05))
        result = find_calcification(img, *t.center, spacing)
        assert result.outline is not None
        sizes = Sizes.of_outline(result.outline, spacing)
        assert sizes.long_axis_mm == pytest.approx(1.2, abs=0.1)
        assert sizes.short_axis_mm == pytest.approx(1.2, abs=0.12)
        assert sizes.area_mm2 == pytest.approx(math.pi * 0.36, rel=0.12)


class TestRobustness:
    def test_on_tissue_gradient(self) -> None:
        """A speck on a steep tissue gradient (300 units per mm) keeps its size."""
        spacing_mm = (0.07, 0.07)
        img = np.fromfunction(lambda r, c: 900 + 300 * 0.07 * c, (161, 161), dtype=np.float32)
        t = draw_calcification(img, CalcSpec((80.3, 79.6), 0.6), spacing_mm)
        img += np.random.default_rng(1).normal(0, 16, img.shape).astype(np.float32)
        spacing = _spacing(spacing_mm)
        long_mm = _long_axis_mm(find_calcification(img, 80, 80, spacing), spacing)
        assert long_mm == pytest.approx(0.6, abs=_tolerance_mm(t, spacing_mm))

    def test_on_dense_bright_tissue(self) -> None:
        """A speck on very bright (dense) background is found and sized."""
        img, t = _flat_speck(0.5, (0.07, 0.07), (0.0, 0.0), seed=2, background=3300.0)
        spacing = _spacing((0.07, 0.07))
        long_mm = _long_axis_mm(find_calcification(img, *t.center, spacing), spacing)
        assert long_mm == pytest.approx(0.5, abs=_tolerance_mm(t, (0.07, 0.07)))

    @pytest.mark.parametrize("inside_mm", [1.0, 2.0])
    def test_near_the_skin_line(self, inside_mm: float) -> None:
        """A speck 1-2 mm inside the skin line is measured right despite the air beside it."""
        spacing_mm = (0.07, 0.07)
        rows, cols = 700, 560
        probe = make_mammogram(rows, cols, spacing_mm, calcifications=[], seed=8)
        edge_col = int(np.nonzero(probe.breast_mask[rows // 2])[0].max())
        center = (edge_col - inside_mm / 0.07, rows / 2 + 0.3)
        phantom = make_mammogram(rows, cols, spacing_mm, calcifications=[CalcSpec(center, 0.5)], seed=8)
        spacing = _spacing(spacing_mm)
        long_mm = _long_axis_mm(find_calcification(phantom.pixels, *center, spacing), spacing)
        assert long_mm == pytest.approx(0.5, abs=_tolerance_mm(phantom.truth[0], spacing_mm))

    def test_two_specks_one_mm_apart(self) -> None:
        """Two specks 1 mm apart give two separate outlines; a click picks the nearer one."""
        spacing_mm = (0.07, 0.07)
        img = np.full((161, 161), 1300.0, np.float32)
        step = 1.0 / 0.07
        a = draw_calcification(img, CalcSpec((80 - step / 2, 80.2), 0.45), spacing_mm)
        b = draw_calcification(img, CalcSpec((80 + step / 2, 80.2), 0.35), spacing_mm)
        img += np.random.default_rng(3).normal(0, 16, img.shape).astype(np.float32)
        spacing = _spacing(spacing_mm)
        results = [find_calcification(img, *t.center, spacing) for t in (a, b)]
        for result, t in zip(results, (a, b), strict=True):
            assert result.center is not None
            assert math.dist(result.center, t.center) < 1.0
            assert _long_axis_mm(result, spacing) == pytest.approx(
                t.diameter_mm, abs=_tolerance_mm(t, spacing_mm)
            )
        # between the two, a little nearer to b
        nearer_b = find_calcification(img, 80 + 2.5, 80.2, spacing)
        assert nearer_b.center is not None and math.dist(nearer_b.center, b.center) < 1.0

    @settings(max_examples=25, deadline=None)
    @given(gain=st.floats(0.5, 4.0), offset=st.floats(-1000, 1000))
    def test_independent_of_value_scale(self, gain: float, offset: float) -> None:
        """Stored values are segmented, not the screen: a linear rescale gives the same outline."""
        img, t = _flat_speck(0.7, (0.07, 0.07), (0.3, 0.1), seed=5)
        spacing = _spacing((0.07, 0.07))
        base = find_calcification(img, *t.center, spacing)
        scaled = find_calcification(img.astype(np.float64) * gain + offset, *t.center, spacing)
        assert base.outline is not None and scaled.outline is not None
        assert len(base.outline) == len(scaled.outline)
        assert np.allclose(base.outline, scaled.outline, atol=1e-3)

    def test_monochrome1_gives_the_same_outline(self) -> None:
        """The MONOCHROME1 image of the same phantom gives the same outline."""
        m2 = make_mammogram(500, 400, (0.07, 0.07), seed=9, calcifications=[CalcSpec((120.4, 250.2), 0.8)])
        m1 = make_mammogram(
            500, 400, (0.07, 0.07), seed=9, monochrome1=True, calcifications=[CalcSpec((120.4, 250.2), 0.8)]
        )
        spacing = _spacing((0.07, 0.07))
        r2 = find_calcification(m2.pixels, 120, 250, spacing)
        r1 = find_calcification(m1.pixels, 120, 250, spacing, bright_is_high=False)
        assert r1.outline is not None and r2.outline is not None
        assert np.allclose(r1.outline, r2.outline, atol=1e-3)
        assert r1.intensity is not None and r2.intensity is not None
        assert r1.intensity.contrast == pytest.approx(r2.intensity.contrast, rel=1e-3)
        assert r1.intensity.peak == pytest.approx(4095 - r2.intensity.peak)

    @pytest.mark.slow
    @pytest.mark.parametrize("dense", [False, True])
    def test_plain_tissue_is_not_a_calcification(self, dense: bool) -> None:
        """Clicks on tissue without calcifications find nothing (at most 1 in 60)."""
        spacing_mm = (0.07, 0.07)
        phantom = make_mammogram(900, 700, spacing_mm, calcifications=[], dense=dense, seed=11)
        spacing = _spacing(spacing_mm)
        rng = np.random.default_rng(12)
        found = []
        for _ in range(60):
            x, y = breast_point(900, 700, "L", rng.uniform(0.05, 0.5), rng.uniform(0.2, 0.8))
            result = find_calcification(phantom.pixels, x, y, spacing)
            if result.found:
                found.append((round(x), round(y)))
            else:
                assert result.reason == NOT_FOUND and result.outline is None
        assert len(found) <= 1, f"outlines invented on plain tissue at {found}"

    def test_air_and_outside(self) -> None:
        """Air (noise only) finds nothing; a click outside the image says so."""
        phantom = make_mammogram(400, 320, (0.07, 0.07), calcifications=[], seed=13)
        spacing = _spacing((0.07, 0.07))
        for y in range(40, 400, 60):
            assert not find_calcification(phantom.pixels, 300, y, spacing).found
        outside = find_calcification(phantom.pixels, -5, 10, spacing)
        assert not outside.found and outside.reason is not None and "outside" in outside.reason

    def test_large_bright_structure_is_not_a_calcification(self) -> None:
        """A bright disc of 5 mm (a mass, not a calcification) is refused."""
        img, t = _flat_speck(5.0, (0.1, 0.1), (0.0, 0.0), seed=6, size=201)
        assert not find_calcification(img, *t.center, _spacing((0.1, 0.1))).found

    def test_uncalibrated_image(self) -> None:
        """Without spacing the search works at a pixel scale and sizes are in pixels."""
        img, t = _flat_speck(0.6, (0.07, 0.07), (0.0, 0.0), seed=7)
        spacing = Spacing.uncalibrated()
        result = find_calcification(img, *t.center, spacing)
        assert result.outline is not None and result.center is not None
        calc = Calcification.create(result.center, result.outline, spacing, intensity=result.intensity)
        assert calc.sizes is not None and calc.sizes.long_axis_mm is None
        assert calc.sizes.long_axis_px == pytest.approx(t.diameter_px_x, abs=1.0)

    def test_rejects_non_2d(self) -> None:
        """A 3-D array is a programming error, named in the message."""
        with pytest.raises(ValueError, match="2-D"):
            find_calcification(np.zeros((2, 3, 4)), 1, 1, Spacing.uncalibrated())


class TestResult:
    def test_outline_closed_without_repeat_and_intensity(self) -> None:
        """The outline is a polygon around the centre, first vertex not repeated; stats sane."""
        img, t = _flat_speck(0.8, (0.07, 0.07), (0.25, -0.4), seed=8)
        result = find_calcification(img, *t.center, _spacing((0.07, 0.07)))
        assert result.found and result.reason is None
        assert result.outline is not None and result.center is not None
        assert result.outline[0] != result.outline[-1]
        assert len(set(result.outline)) == len(result.outline)
        assert math.dist(result.center, t.center) < 0.3
        area = polygon_area(result.outline)
        assert area == pytest.approx(math.pi * t.diameter_px_x**2 / 4, rel=0.1)
        assert result.intensity is not None
        assert result.intensity.contrast == pytest.approx(t.contrast, rel=0.25)
        assert result.intensity.peak > result.intensity.mean > result.intensity.background


class TestRealMammograms:
    """Clicks on visible calcifications of two real mammograms (located by eye on crops)."""

    SIEMENS = "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm"
    GE = "fodicom_GH133_GE_SenographeEssential_MG.dcm"

    @staticmethod
    def _open(folder: Path, name: str) -> tuple[np.ndarray, Spacing, bool]:
        from viewer.dicom.image import MammoImage  # the DICOM layer, for real files only

        image = MammoImage.open(folder / name)
        return image.modality_pixels(), image.spacing, image.bright_is_high

    @staticmethod
    def _check_plausible(
        result: OutlineResult, click: tuple[float, float], spacing: Spacing, long_range: tuple[float, float]
    ) -> None:
        assert result.found, f"nothing found at {click}"
        assert result.outline is not None and result.center is not None
        sizes = Sizes.of_outline(result.outline, spacing)
        assert math.dist(result.center, click) <= sizes.long_axis_px / 2 + 1.0  # under the click
        assert sizes.long_axis_mm is not None
        assert long_range[0] <= sizes.long_axis_mm <= long_range[1], (click, sizes.long_axis_mm)
        hull = polygon_area(convex_hull(result.outline))
        assert sizes.area_px / hull >= 0.8, f"ragged outline at {click}"

    def test_siemens_cluster(self, shared_data: Path) -> None:
        """The seven clear specks of the Siemens cluster get compact outlines of 0.2-0.7 mm."""
        pixels, spacing, bright = self._open(shared_data, self.SIEMENS)
        clicks = [(338, 580), (335, 570), (355, 569), (342, 559), (324, 579), (348, 570), (333, 592)]
        for click in clicks:
            result = find_calcification(pixels, *click, spacing, bright_is_high=bright)
            self._check_plausible(result, click, spacing, (0.2, 0.7))

    def test_ge_calcifications(self, shared_data: Path) -> None:
        """Round calcifications of 0.3-1.7 mm on the GE image are outlined whole."""
        pixels, spacing, bright = self._open(shared_data, self.GE)
        for click, long_range in [
            ((1790, 1958), (1.1, 1.8)),
            ((1821, 1712), (1.3, 2.0)),
            ((1986, 1487), (0.45, 0.8)),
            ((2092, 1650), (0.2, 0.5)),
        ]:
            result = find_calcification(pixels, *click, spacing, bright_is_high=bright)
            self._check_plausible(result, click, spacing, long_range)

    def test_real_non_calcifications(self, shared_data: Path) -> None:
        """A burnt-in cross and fibrous strands are not calcifications."""
        pixels, spacing, bright = self._open(shared_data, self.SIEMENS)
        assert not find_calcification(pixels, 452, 754, spacing, bright_is_high=bright).found
        pixels, spacing, bright = self._open(shared_data, self.GE)
        for click in [(2263, 1529), (2121, 1603), (1678, 1999)]:
            assert not find_calcification(pixels, *click, spacing, bright_is_high=bright).found


class TestRescaledValues:
    """Thresholds follow the image's own quantisation: Rescale Slope 1/4095, 1 and 10 agree."""

    SLOPES = (1 / 4095, 1.0, 10.0)

    @staticmethod
    def _phantom() -> Phantom:
        specs = [CalcSpec((120.4, 250.2), 0.6), CalcSpec((300.0, 180.0), 0.3)]
        return make_mammogram(500, 400, (0.07, 0.07), seed=3, calcifications=specs)

    def test_same_outline_through_the_modality_lut(self) -> None:
        """Stored values with their Modality LUT (the GUI path) give one outline for every slope."""
        from viewer.core.windowing import ModalityLut

        phantom = self._phantom()
        spacing = _spacing((0.07, 0.07))
        for truth in phantom.truth:
            outlines, stored_peaks = [], []
            for slope in self.SLOPES:
                lut = ModalityLut(slope=slope, intercept=-7.0 * slope)
                result = find_calcification(phantom.pixels, *truth.center, spacing, modality=lut)
                assert result.found, f"nothing found with Rescale Slope {slope:g}"
                assert result.outline is not None and result.intensity is not None
                outlines.append(np.asarray(result.outline))
                # intensities are modality values: back in stored units they agree
                stored_peaks.append(result.intensity.peak / slope + 7.0)
            for other in outlines[1:]:
                assert other.shape == outlines[0].shape
                assert np.allclose(other, outlines[0], atol=1e-3)
            assert stored_peaks == pytest.approx([stored_peaks[0]] * 3, rel=1e-5)

    def test_values_between_zero_and_one(self) -> None:
        """Modality values 0..1 handed in directly (no LUT) are outlined as the stored ones.

        An absolute noise floor of half a unit would drown every speck of a 0..1 image.
        """
        phantom = self._phantom()
        spacing = _spacing((0.07, 0.07))
        truth = phantom.truth[0]
        base = find_calcification(phantom.pixels, *truth.center, spacing)
        unit = find_calcification(phantom.pixels.astype(np.float64) / 4095.0, *truth.center, spacing)
        big = find_calcification(phantom.pixels.astype(np.float64) * 10.0, *truth.center, spacing)
        assert base.outline is not None and unit.outline is not None and big.outline is not None
        assert np.allclose(unit.outline, base.outline, atol=1e-3)
        assert np.allclose(big.outline, base.outline, atol=1e-3)

    def test_flat_noise_free_image_finds_nothing(self) -> None:
        """A constant 0..1 image has no quantisation to measure against: nothing, no error."""
        flat = np.full((200, 200), 0.25)
        assert not find_calcification(flat, 100, 100, _spacing((0.07, 0.07))).found
