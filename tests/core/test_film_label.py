"""Tests of viewer.core.film_label: a film's burned-in label is not searched, the pectoral muscle is."""

from __future__ import annotations

import numpy as np

from viewer.core.breast_region import breast_region
from viewer.core.detect import Candidate, find_candidates
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.phantom import CalcSpec, make_mammogram

MM_007 = Spacing(0.07, 0.07, SpacingSource.PIXEL_SPACING, "mm calibrated")
CALCIFICATION = (700.0, 1100.0)


def _labelled(rng_seed: int = 5) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A left CC phantom with a +700 label over the chest-wall corner (x 0-300, y 1800-2300,
    part on the breast, part on air) holding 32 text-like specks, and a 0.6 mm calcification."""
    spec = CalcSpec(CALCIFICATION, 0.6)
    ph = make_mammogram(2400, 1900, (0.07, 0.07), "L", "CC", seed=4, calcifications=[spec])
    img = ph.pixels.astype(np.float32)
    img[1800:2300, 0:300] += 700.0
    rng = np.random.default_rng(rng_seed)
    specks = []
    for k in range(32):
        y, x = 1850 + 50 * (k // 8) + int(rng.integers(-5, 5)), 30 + 32 * (k % 8)
        img[y : y + 3, x : x + 2] += 900.0
        specks.append((x, y))
    return np.clip(img, 0, 4095), specks


def _near(candidates: list[Candidate], point: tuple[float, float], px: float = 8.0) -> bool:
    return any(np.hypot(c.center[0] - point[0], c.center[1] - point[1]) <= px for c in candidates)


class TestFilmLabel:
    def test_no_candidate_on_the_label_calcification_found(self) -> None:
        """The label's 32 specks give no candidate; the calcification in the breast is still found."""
        img, specks = _labelled()
        candidates = find_candidates(img, MM_007)
        assert _near(candidates, CALCIFICATION)
        on_label = [c for c in candidates if c.center[0] < 330 and c.center[1] > 1770]
        assert on_label == []
        region = breast_region(img, (0.07, 0.07))
        assert not any(region[y, x] for x, y in specks)
        assert region[1100, 700] and region[1500, 150] and region[1900, 500]

    def test_label_in_every_corner(self) -> None:
        """The same label mirrored to each side of the image is found there too."""
        img, specks = _labelled()
        for flip in ((0,), (1,), (0, 1)):
            region = breast_region(np.flip(img, flip), (0.07, 0.07))
            back = np.flip(region, flip)
            assert not any(back[y, x] for x, y in specks), flip
            assert back[1100, 700]
        turned = breast_region(img.T.copy(), (0.07, 0.07)).T
        assert not any(turned[y, x] for x, y in specks) and turned[1100, 700]

    def test_pectoral_muscle_is_not_a_label(self) -> None:
        """An MLO's bright pectoral triangle touching two image edges stays in the region,
        and a calcification in it is found."""
        spec = CalcSpec((200.0, 300.0), 0.6)
        ph = make_mammogram(2400, 1900, (0.07, 0.07), "L", "MLO", seed=4, calcifications=[spec])
        assert _near(find_candidates(ph.pixels, MM_007), spec.center)
        region = breast_region(ph.pixels, (0.07, 0.07))
        assert region[150:500, 100:400].all()

    def test_steep_bright_corner_is_not_a_label(self) -> None:
        """A bright triangle whose edge is steep (6 degrees off the column) but not straight
        along one column, as a pectoral muscle's border can be, is kept whole."""
        ph = make_mammogram(2400, 1900, (0.07, 0.07), "L", "CC", seed=6, calcifications=[])
        img = ph.pixels.astype(np.float32)
        yy, xx = np.mgrid[:2400, :1900]
        img[(xx < 400 - 0.1 * yy) & (yy < 1500)] += 700.0
        region = breast_region(np.clip(img, 0, 4095), (0.07, 0.07))
        assert region[200:1400, 100:250].all()

    def test_skin_line_is_not_a_label(self) -> None:
        """A breast cut by a straight horizontal skin line near the image's top (air beyond it)
        keeps the tissue below it."""
        rng = np.random.default_rng(3)
        img = np.full((1200, 1000), 60.0) + rng.normal(0, 5, (1200, 1000))
        img[300:, :800] = 1400.0 + rng.normal(0, 30, (900, 800))
        region = breast_region(img.astype(np.float32), (0.07, 0.07))
        assert region[400:1100, 100:700].all()
