"""Tests for viewer.core.detect: candidate calcifications on synthetic images with known truth."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

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
        assert find_candidates(np.zeros((8, 8)), MM_007) == []
