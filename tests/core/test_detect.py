"""Tests for viewer.core.detect: candidate calcifications on synthetic images with known truth."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from tests.fixtures.line_structures import on_a_line
from viewer.core.detect import Candidate, DetectorSettings, breast_region, find_candidates
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.phantom import (
    CalcSpec,
    TrueCalcification,
    breast_point,
    draw_calcification,
    make_mammogram,
)

MM_007 = Spacing(0.07, 0.07, SpacingSource.PIXEL_SPACING, "mm calibrated")
EVERYWHERE = DetectorSettings(edge_margin_mm=None)


def flat_image(
    specs: list[CalcSpec],
    shape: tuple[int, int] = (160, 160),
    spacing_mm: tuple[float, float] = (0.07, 0.07),
    noise: float = 12.0,
    seed: int = 0,
) -> tuple[np.ndarray, list[TrueCalcification]]:
    """Calcifications drawn on a flat, noisy background (stored values, bright = dense)."""
    img = np.full(shape, 1200.0, dtype=np.float32)
    truth = [draw_calcification(img, spec, spacing_mm) for spec in specs]
    img += np.random.default_rng(seed).normal(0.0, noise, shape).astype(np.float32)
    return img, truth


def found(candidates: list[Candidate], truth: TrueCalcification, slack_px: float = 2.0) -> bool:
    """A candidate lies within the calcification (plus slack, at least 0.5 mm at 0.07 mm)."""
    reach = max(0.5 / 0.07, max(truth.diameter_px_x, truth.diameter_px_y) / 2 + slack_px)
    return any(math.dist(c.center, truth.center) <= reach for c in candidates)


def scattered(seed: int, laterality: str, count: int = 30) -> list[CalcSpec]:
    """``count`` calcifications of 0.4-2 mm (log-uniform) inside the breast, 4 mm apart."""
    rng = np.random.default_rng(seed)
    specs: list[CalcSpec] = []
    while len(specs) < count:
        p = breast_point(2400, 1900, laterality, float(rng.uniform(0.05, 0.55)), float(rng.uniform(0.2, 0.8)))
        if all(math.dist(p, s.center) > 57 for s in specs):
            specs.append(CalcSpec(p, float(np.exp(rng.uniform(np.log(0.4), np.log(2.0))))))
    return specs


CASES = ((0, "CC", "L", False), (1, "MLO", "R", False), (2, "CC", "R", True), (3, "MLO", "L", True))


class TestOnSyntheticMammograms:
    @pytest.mark.slow
    def test_finds_90_percent_with_fewer_than_10_false_per_image(self) -> None:
        """Over four mammograms (fatty, dense, CC, MLO) >= 90 % of 120 calcifications of
        0.4-2 mm are found, with fewer than 10 false candidates on every image."""
        hits = wanted = 0
        for seed, view, laterality, dense in CASES:
            ph = make_mammogram(
                seed=seed,
                view=view,
                laterality=laterality,
                dense=dense,
                calcifications=scattered(seed, laterality),
            )
            spacing = Spacing(*ph.spacing_mm, SpacingSource.PIXEL_SPACING, "mm")
            candidates = find_candidates(ph.pixels, spacing)
            hits += sum(found(candidates, t) for t in ph.truth)
            wanted += len(ph.truth)
            false = [c for c in candidates if not any(found([c], t) for t in ph.truth)]
            assert len(false) < 10, (seed, false)
        assert hits >= 0.9 * wanted, (hits, wanted)

    def test_monochrome1_with_bright_is_high_false(self) -> None:
        """An inverted (MONOCHROME1) image gives the same candidates when told so."""
        normal = make_mammogram(rows=1200, cols=950, seed=4)
        inverted = make_mammogram(rows=1200, cols=950, seed=4, monochrome1=True)
        a = find_candidates(normal.pixels, MM_007)
        b = find_candidates(inverted.pixels, MM_007, bright_is_high=False)
        assert len(a) >= 1
        assert len(a) == len(b)
        np.testing.assert_allclose([c.center for c in a], [c.center for c in b], atol=1e-3)
        assert find_candidates(inverted.pixels, MM_007) != b


class TestSizeAndCentre:
    @settings(max_examples=20, deadline=None)
    @given(st.floats(0.4, 2.0), st.floats(-0.5, 0.5), st.floats(-0.5, 0.5))
    def test_long_axis_and_centre_of_a_disc(self, diameter: float, dx: float, dy: float) -> None:
        """The long axis is within 15 % (or 1 px) of the diameter, the centre within 0.5 px."""
        img, (truth,) = flat_image([CalcSpec((80.0 + dx, 80.0 + dy), diameter)])
        candidates = find_candidates(img, MM_007, settings=EVERYWHERE)
        assert len(candidates) == 1
        (c,) = candidates
        assert c.long_axis_mm is not None
        assert abs(c.long_axis_mm - diameter) <= max(0.15 * diameter, 0.07)
        assert math.dist(c.center, truth.center) <= 0.5
        assert c.contrast > 0 and c.score >= EVERYWHERE.min_score

    def test_anisotropic_pixels(self) -> None:
        """A 1 mm disc with 0.05 x 0.1 mm pixels measures 1 mm (20 rows by 10 columns)."""
        img, _ = flat_image([CalcSpec((80.0, 80.0), 1.0)], spacing_mm=(0.05, 0.1))
        spacing = Spacing(0.05, 0.1, SpacingSource.PIXEL_SPACING, "mm")
        (c,) = find_candidates(img, spacing, settings=EVERYWHERE)
        assert c.long_axis_mm == pytest.approx(1.0, rel=0.12)
        assert c.long_axis_px == pytest.approx(20.0, rel=0.12)

    def test_uncalibrated_sizes_in_pixels_only(self) -> None:
        """Without spacing the mm size is None and the pixel size is still given."""
        img, _ = flat_image([CalcSpec((80.0, 80.0), 0.7)])
        (c,) = find_candidates(img, Spacing.uncalibrated(), settings=EVERYWHERE)
        assert c.long_axis_mm is None and c.long_axis_px == pytest.approx(10.0, rel=0.15)
        data = json.loads(json.dumps(c.to_dict()))
        assert data["long_axis_mm"] is None and len(data["center"]) == 2

    def test_neighbours_are_separate_candidates(self) -> None:
        """Two 0.5 mm calcifications 1 mm apart give two candidates."""
        img, truth = flat_image([CalcSpec((70.0, 80.0), 0.5), CalcSpec((84.3, 80.0), 0.5)])
        candidates = find_candidates(img, MM_007, settings=EVERYWHERE)
        assert len(candidates) == 2 and all(found(candidates, t, 0.0) for t in truth)


class TestWhatIsNotACandidate:
    def test_pure_noise(self) -> None:
        """A flat noisy image has no candidates."""
        img, _ = flat_image([], shape=(300, 300))
        assert find_candidates(img, MM_007, settings=EVERYWHERE) == []

    def test_step_edge(self) -> None:
        """The edge of a bright half-plane (skin line, pectoral muscle) is not a speck."""
        img, _ = flat_image([], shape=(200, 200))
        img[:, 100:] += 400.0
        assert find_candidates(img, MM_007, settings=EVERYWHERE) == []

    def test_thin_bright_line(self) -> None:
        """A 0.2 mm wide ridge (a vessel wall, a fibre) is not a speck."""
        img, _ = flat_image([], shape=(200, 200))
        img[:, 99:102] += 300.0
        assert find_candidates(img, MM_007, settings=EVERYWHERE) == []

    def test_end_of_a_rod(self) -> None:
        """The end of a 1 mm wide bright rod is bright on three sides only: rejected."""
        img, _ = flat_image([], shape=(200, 400))
        img[93:107, 100:] += 300.0
        assert find_candidates(img, MM_007, settings=EVERYWHERE) == []

    def test_too_large(self) -> None:
        """A 3 mm disc is larger than max_long_axis_mm and left to the reader."""
        img, _ = flat_image([CalcSpec((100.0, 100.0), 3.0)], shape=(200, 200))
        assert find_candidates(img, MM_007, settings=EVERYWHERE) == []

    def test_too_faint(self) -> None:
        """A disc with contrast of two noise sigmas is not reported."""
        img, _ = flat_image([CalcSpec((80.0, 80.0), 0.8, contrast=24.0)])
        assert find_candidates(img, MM_007, settings=EVERYWHERE) == []


def draw_vessel(
    img: np.ndarray,
    start: tuple[float, float],
    end: tuple[float, float],
    width_px: float = 7.0,
    contrast: float = 220.0,
    period_px: float = 28.0,
    ripple: float = 0.42,
) -> None:
    """Add a calcified vessel from ``start`` to ``end`` ((x, y) px) to ``img`` in place.

    A band ``width_px`` wide whose brightness goes up and down along it by ``ripple``
    (brighter calcified pieces every ``period_px``, the wall between them still visible),
    with soft edges: each brighter piece is a local maximum brighter than half the
    vessel's peak in every direction but along the vessel.
    """
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]].astype(np.float32)
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    along = (xx - x0) * ux + (yy - y0) * uy
    across = np.abs(-(xx - x0) * uy + (yy - y0) * ux)
    band = np.clip(width_px / 2 + 0.5 - across, 0.0, 1.0) * ((along >= 0) & (along <= length))
    img += ndimage.gaussian_filter(
        band * contrast * (1 + ripple * np.cos(2 * np.pi * along / period_px)), 0.7
    )


def distance_to_line(p: tuple[float, float], start: tuple[float, float], end: tuple[float, float]) -> float:
    """Distance in px from ``p`` to the segment ``start``-``end``."""
    a, b, q = np.array(start), np.array(end), np.array(p)
    t = float(np.clip(np.dot(q - a, b - a) / np.dot(b - a, b - a), 0.0, 1.0))
    return float(np.linalg.norm(q - (a + t * (b - a))))


LINE_BLIND = DetectorSettings(edge_margin_mm=None, max_elongation=None)


class TestLines:
    @pytest.mark.parametrize("angle_deg", [0.0, 33.0, 90.0, 128.0])
    def test_calcified_vessel_beside_specks(self, angle_deg: float) -> None:
        """A calcified vessel 0.5 mm wide and 21 mm long gives no candidate; compact specks
        of 0.3-1.2 mm 2.5 mm beside it, and one 2.5 mm beyond its end, are all found."""
        img, _ = flat_image([], shape=(420, 420))
        a = math.radians(angle_deg)
        half = 150.0
        start = (210 - half * math.cos(a), 210 - half * math.sin(a))
        end = (210 + half * math.cos(a), 210 + half * math.sin(a))
        draw_vessel(img, start, end)
        normal = (-math.sin(a), math.cos(a))
        specs = []
        for k, (t, d) in enumerate(((-120.0, 0.3), (-40.0, 0.5), (40.0, 0.8), (120.0, 1.2))):
            side = 36.0 if k % 2 else -36.0  # 2.5 mm off the vessel, alternating sides
            specs.append(
                CalcSpec(
                    (210 + t * math.cos(a) + side * normal[0], 210 + t * math.sin(a) + side * normal[1]), d
                )
            )
        specs.append(CalcSpec((end[0] + 36 * math.cos(a), end[1] + 36 * math.sin(a)), 0.6))
        truth = [draw_calcification(img, s, (0.07, 0.07)) for s in specs]
        blind = find_candidates(img, MM_007, settings=LINE_BLIND)
        assert [c for c in blind if distance_to_line(c.center, start, end) < 7], "the vessel gives candidates"
        candidates = find_candidates(img, MM_007, settings=EVERYWHERE)
        assert all(found(candidates, t, 0.0) for t in truth), candidates
        on_vessel = [c for c in candidates if distance_to_line(c.center, start, end) < 7]
        assert on_vessel == []

    def test_bright_speck_on_a_faint_vessel_is_kept(self) -> None:
        """A 0.5 mm calcification sitting on a vessel a fifth as bright is still found."""
        img, _ = flat_image([], shape=(300, 300))
        draw_vessel(img, (10.0, 150.0), (290.0, 150.0), contrast=60.0, ripple=0.0)
        (truth,) = [draw_calcification(img, CalcSpec((150.0, 150.0), 0.5, contrast=420.0), (0.07, 0.07))]
        candidates = find_candidates(img, MM_007, settings=EVERYWHERE)
        assert found(candidates, truth, 0.0)

    def test_fine_linear_calcification_is_kept(self) -> None:
        """A fine linear calcification, 1.5 mm long and 0.2 mm wide, is a candidate."""
        img, _ = flat_image([], shape=(200, 200))
        draw_vessel(img, (92.6, 107.4), (107.4, 92.6), width_px=3.0, contrast=380.0, ripple=0.0)
        candidates = find_candidates(img, MM_007, settings=EVERYWHERE)
        assert [c for c in candidates if math.dist(c.center, (100.0, 100.0)) < 8]

    def test_calcifications_in_a_row_are_kept(self) -> None:
        """Five 0.4 mm calcifications 1.2 mm apart along a line (a linear distribution) are
        five candidates: the tissue between them breaks the line."""
        specs = [CalcSpec((50.0 + 17.0 * k, 60.0 + 8.0 * k), 0.4) for k in range(5)]
        img, truth = flat_image(specs, shape=(160, 180))
        candidates = find_candidates(img, MM_007, settings=EVERYWHERE)
        assert len(candidates) == 5 and all(found(candidates, t, 0.0) for t in truth)


class TestLineCheck:
    def test_independent_line_check(self) -> None:
        """The tests' own line check (another method) tells a vessel point from a speck."""
        img, (speck,) = flat_image([CalcSpec((60.0, 60.0), 0.5)], shape=(300, 300))
        draw_vessel(img, (10.0, 200.0), (290.0, 200.0))
        assert on_a_line(img, (150.0, 200.0), (0.07, 0.07))
        assert not on_a_line(img, speck.center, (0.07, 0.07))


class TestRegions:
    def test_breast_region_matches_the_phantom(self) -> None:
        """The region holds no air and all of the breast 7 mm in from its (tapering) edge."""
        ph = make_mammogram(rows=1200, cols=950, seed=5)
        region = breast_region(ph.pixels, (0.07, 0.07), margin_mm=2.0)
        assert not (region & ~ph.breast_mask).any()
        inner = ndimage.binary_erosion(ph.breast_mask, iterations=100)
        assert region[inner].mean() > 0.99

    def test_tissue_only_image_uses_everything_but_the_border(self) -> None:
        """With no air the whole image, less the margin at the border, is searched."""
        img, _ = flat_image([], shape=(400, 400))
        region = breast_region(img, (0.1, 0.1), margin_mm=2.0)
        assert region[200, 200] and not region[5, 200] and region.mean() > 0.8

    def test_mask_limits_the_search(self) -> None:
        """Candidates outside a given mask are dropped; a wrong mask shape is refused."""
        img, _ = flat_image([CalcSpec((40.0, 80.0), 0.6), CalcSpec((120.0, 80.0), 0.6)])
        mask = np.zeros(img.shape, dtype=bool)
        mask[:, :80] = True
        (c,) = find_candidates(img, MM_007, mask=mask)
        assert c.center[0] < 80
        with pytest.raises(ValueError, match="mask shape"):
            find_candidates(img, MM_007, mask=mask[:10])

    def test_bad_input(self) -> None:
        """A 3-D array and nonsense settings are refused with the reason."""
        with pytest.raises(ValueError, match="2-D"):
            find_candidates(np.zeros((4, 4, 4)), MM_007)
        with pytest.raises(ValueError, match="min_score"):
            DetectorSettings(min_score=0.0)
        with pytest.raises(ValueError, match="max_elongation"):
            DetectorSettings(max_elongation=0.5)
        assert find_candidates(np.zeros((8, 8)), MM_007) == []


def draw_rod(
    img: np.ndarray, center: tuple[float, float], length_px: float, width_px: float, angle_deg: float
) -> None:
    """Add a sharp-edged rectangle (a fine linear calcification) to ``img`` in place:
    its pixels covered by area (8 x 8 subsamples), blurred like the phantom's discs."""
    a = math.radians(angle_deg)
    sub = (np.arange(8) + 0.5) / 8 - 0.5
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]].astype(np.float64)
    sy = yy[..., None, None] + sub[:, None]
    sx = xx[..., None, None] + sub[None, :]
    along = (sx - center[0]) * math.cos(a) + (sy - center[1]) * math.sin(a)
    across = -(sx - center[0]) * math.sin(a) + (sy - center[1]) * math.cos(a)
    cover = ((np.abs(along) <= length_px / 2) & (np.abs(across) <= width_px / 2)).mean(axis=(2, 3))
    img += ndimage.gaussian_filter(cover * 400.0, 0.6).astype(np.float32)


class TestFineLinear:
    @pytest.mark.parametrize(
        ("length_mm", "width_mm", "angle_deg"),
        [(0.8, 0.2, 0.0), (1.2, 0.2, 37.0), (1.6, 0.25, 90.0), (2.0, 0.2, 121.0), (2.8, 0.3, 15.0)],
    )
    def test_rod_length_and_centre(self, length_mm: float, width_mm: float, angle_deg: float) -> None:
        """A thin rod is one candidate at its middle whose long axis is its diagonal
        within 0.1 mm (rays along it are many times the median ray: none is cut), and a
        rod longer than max_long_axis_mm but thinner than 0.5 mm is still reported."""
        img, _ = flat_image([], shape=(200, 200))
        draw_rod(img, (100.3, 99.6), length_mm / 0.07, width_mm / 0.07, angle_deg)
        (c,) = find_candidates(img, MM_007, settings=EVERYWHERE)
        assert c.long_axis_mm is not None
        assert abs(c.long_axis_mm - math.hypot(length_mm, width_mm)) <= 0.1, c
        assert math.dist(c.center, (100.3, 99.6)) <= 1.5  # 0.1 mm
