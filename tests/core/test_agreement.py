"""Tests of viewer.core.agreement: matching two readers' calcifications and clusters."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.agreement import (
    AgreementOptions,
    Score,
    compare,
    compare_images,
    match_points,
    polygon_iou,
)
from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing, SpacingSource

MM = Spacing(0.1, 0.1, SpacingSource.PIXEL_SPACING, "mm corrected")


def square(cx: float, cy: float, half: float) -> list[tuple[float, float]]:
    return [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half), (cx - half, cy + half)]


def image(uid: str = "1.2.3", spacing: Spacing = MM, view: str = "CC") -> ImageAnnotations:
    return ImageAnnotations(uid, rows=1000, columns=800, laterality="L", view=view, dicom_spacing=spacing)


def mark(img: ImageAnnotations, x: float, y: float, outline: bool = True) -> Calcification:
    calc = Calcification.create((x, y), square(x, y, 2.0) if outline else None, img.spacing)
    img.calcifications[calc.id] = calc
    return calc


def group(
    img: ImageAnnotations, calcs: list[Calcification], cid: str, state: ClusterState = ClusterState.CONFIRMED
) -> Cluster:
    cluster = Cluster(cid, tuple(c.id for c in calcs), state)
    img.clusters[cluster.id] = cluster
    return cluster


def study(reader: str, *images: ImageAnnotations) -> StudyAnnotations:
    model = StudyAnnotations(reader, "9.9")
    for img in images:
        model.images[img.key] = img
    return model


def two_readers() -> tuple[StudyAnnotations, StudyAnnotations]:
    """Alice and Bob on a CC (2 of Alice's 3 marks found, 2 extra) and on one MLO each."""
    a1, b1 = image("1.1", view="CC"), image("1.1", view="CC")
    a2, b2 = image("1.2", view="MLO"), image("1.3", view="MLO")
    for x in (10, 50, 90):
        mark(a1, x, 10)
    for x in (11, 52, 200, 300):
        mark(b1, x, 10)
    mark(a2, 5, 5)
    mark(b2, 5, 5)
    return study("alice", a1, a2), study("bob", b1, b2)


def max_matching(a: list[tuple[int, int]], b: list[tuple[int, int]], limit: float) -> int:
    """Brute force: the largest number of disjoint pairs within ``limit``."""
    best = 0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    for perm in itertools.permutations(range(len(large)), len(small)):
        count = sum(math.dist(small[i], large[j]) <= limit for i, j in enumerate(perm))
        best = max(best, count)
    return best


points = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=5)


class TestMatchPoints:
    def test_identical_sets_match_completely(self) -> None:
        """Every point pairs with itself at distance 0."""
        pts = [(0.0, 0.0), (5.0, 1.0), (2.0, 7.0)]
        pairs = match_points(pts, pts, 0.5)
        assert [(i, j) for i, j, _ in pairs] == [(0, 0), (1, 1), (2, 2)]
        assert all(d == 0 for _, _, d in pairs)

    def test_optimal_where_greedy_nearest_fails(self) -> None:
        """Greedy nearest-first would pair 1.0-0.6 and lose a match; the assignment keeps both."""
        pairs = match_points([(0.0, 0.0), (1.0, 0.0)], [(0.6, 0.0), (1.9, 0.0)], 1.0)
        assert [(i, j) for i, j, _ in pairs] == [(0, 0), (1, 1)]
        assert pairs[1][2] == pytest.approx(0.9)

    def test_nothing_within_reach(self) -> None:
        """Points farther apart than the limit never pair; empty inputs give no pairs."""
        assert match_points([(0, 0)], [(3, 4)], 4.9) == []
        assert match_points([(3, 4)], [(0, 0)], 5.0)[0][2] == pytest.approx(5.0)
        assert match_points([], [(0, 0)], 1.0) == []

    @settings(max_examples=150, deadline=None)
    @given(points, points, st.sampled_from([0.5, 1.0, 1.5, 2.5]))
    def test_maximum_one_to_one_matching(
        self, a: list[tuple[int, int]], b: list[tuple[int, int]], limit: float
    ) -> None:
        """As many pairs as brute force finds, each within the limit, no point used twice."""
        pairs = match_points(a, b, limit)
        assert len(pairs) == max_matching(a, b, limit)
        assert len({i for i, _, _ in pairs}) == len({j for _, j, _ in pairs}) == len(pairs)
        for i, j, d in pairs:
            assert d == pytest.approx(math.dist(a[i], b[j])) and d <= limit
        swapped = match_points(b, a, limit)
        assert sum(d for *_, d in swapped) == pytest.approx(sum(d for *_, d in pairs))


class TestScore:
    def test_ratios(self) -> None:
        """Precision is over B, recall over A, F1 symmetric; sums add up."""
        s = Score(a=4, b=5, matched=3)
        assert (s.precision, s.recall) == (pytest.approx(0.6), pytest.approx(0.75))
        assert s.f1 == pytest.approx(6 / 9)
        assert s + Score(1, 0, 0) == Score(5, 5, 3)

    def test_undefined_ratios_are_none(self) -> None:
        """Nothing marked: no ratio (not a perfect 1)."""
        assert Score(0, 0, 0).f1 is None
        assert Score(0, 3, 0).recall is None and Score(0, 3, 0).precision == 0.0

    def test_impossible_counts_rejected(self) -> None:
        """More matches than marks is refused with the numbers named."""
        with pytest.raises(ValueError, match="matched"):
            Score(1, 5, 2)


class TestPolygonIou:
    def test_known_overlaps(self) -> None:
        """Identical squares 1, half-shifted squares 1/3, disjoint 0."""
        sq = square(0, 0, 1)
        assert polygon_iou(sq, sq) == pytest.approx(1.0)
        assert polygon_iou(sq, square(1, 0, 1)) == pytest.approx(1 / 3, abs=0.01)
        assert polygon_iou(sq, square(5, 0, 1)) == 0.0
        assert polygon_iou(sq, [(0, 0), (1, 1)]) == 0.0

    def test_concave_outline(self) -> None:
        """An L-shaped outline against its bounding square: area 3 of 4."""
        ell = [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]
        assert polygon_iou(ell, [(0, 0), (2, 0), (2, 2), (0, 2)]) == pytest.approx(0.75, abs=0.01)

    @settings(max_examples=60, deadline=None)
    @given(st.tuples(*[st.integers(0, 40)] * 4), st.tuples(*[st.integers(0, 40)] * 4), st.floats(0.2, 5.0))
    def test_rectangles_against_exact_value(
        self, r1: tuple[int, ...], r2: tuple[int, ...], sx: float
    ) -> None:
        """Axis-aligned rectangles: sampled IoU within 0.03 of the exact one, scale-invariant."""

        def rect(r: tuple[int, ...]) -> tuple[float, float, float, float]:
            x0, y0 = min(r[0], r[2]), min(r[1], r[3])
            return x0, y0, max(r[0], r[2]) + 1.0, max(r[1], r[3]) + 1.0

        (a0, b0, a1, b1), (c0, d0, c1, d1) = rect(r1), rect(r2)
        inter = max(0.0, min(a1, c1) - max(a0, c0)) * max(0.0, min(b1, d1) - max(b0, d0))
        union = (a1 - a0) * (b1 - b0) + (c1 - c0) * (d1 - d0) - inter
        p = [(a0, b0), (a1, b0), (a1, b1), (a0, b1)]
        q = [(c0, d0), (c1, d0), (c1, d1), (c0, d1)]
        assert polygon_iou(p, q) == pytest.approx(inter / union, abs=0.03)
        scaled = polygon_iou([(x * sx, y) for x, y in p], [(x * sx, y) for x, y in q])
        assert scaled == pytest.approx(inter / union, abs=0.03)


class TestCompareImages:
    def test_distance_in_mm_with_anisotropic_spacing(self) -> None:
        """10 columns at 0.05 mm match within 1 mm; 10 rows at 0.2 mm do not."""
        spacing = Spacing(0.2, 0.05, SpacingSource.PIXEL_SPACING, "mm corrected")
        a, b = image(spacing=spacing), image(spacing=spacing)
        mark(a, 100, 100)
        mark(b, 110, 100)
        mark(a, 300, 300)
        mark(b, 300, 310)
        result = compare_images(a, b, AgreementOptions(distance_mm=1.0))
        assert result.unit == "mm" and result.calcifications == Score(2, 2, 1)
        assert result.mark_pairs[0].distance == pytest.approx(0.5)

    def test_uncalibrated_image_uses_pixels(self) -> None:
        """Without spacing the pixel limit applies and the unit says px."""
        a, b = image(spacing=Spacing.uncalibrated()), image(spacing=Spacing.uncalibrated())
        mark(a, 0, 0)
        mark(b, 6, 8)
        assert compare_images(a, b, AgreementOptions(distance_px=10)).calcifications.matched == 1
        result = compare_images(a, b, AgreementOptions(distance_px=9.9))
        assert result.unit == "px" and result.calcifications.matched == 0

    def test_calibration_of_either_reader_gives_mm(self) -> None:
        """An uncalibrated image that B calibrated by hand is compared in mm."""
        a, b = image(spacing=Spacing.uncalibrated()), image(spacing=MM)
        mark(a, 0, 0)
        mark(b, 5, 0)
        result = compare_images(a, b)
        assert result.unit == "mm" and result.mark_pairs[0].distance == pytest.approx(0.5)

    def test_clusters_matched_by_outline_overlap(self) -> None:
        """Overlapping hulls match; a far cluster and a rejected group do not count."""
        a, b = image(), image()
        ca = [mark(a, x, y) for x, y in [(100, 100), (140, 100), (120, 140), (110, 120)]]
        cb = [mark(b, x + 3, y) for x, y in [(100, 100), (140, 100), (120, 140)]]
        far = [mark(b, x, y) for x, y in [(500, 500), (540, 500), (520, 540)]]
        group(a, ca, "A1")
        group(b, cb, "B1", ClusterState.SUGGESTED)
        group(b, far, "B2")
        rejected = [mark(a, x, y) for x, y in [(500, 505), (540, 505), (520, 545)]]
        group(a, rejected, "A-no", ClusterState.REJECTED)
        result = compare_images(a, b)
        assert result.clusters == Score(1, 2, 1)
        pair = result.cluster_pairs[0]
        assert (pair.a_id, pair.b_id) == ("A1", "B1")
        assert pair.iou is not None and 0.6 < pair.iou < 1.0
        assert pair.member_jaccard == pytest.approx(3 / 4)

    def test_point_clusters_fall_back_to_members(self) -> None:
        """Two point marks have no area: clusters compare by shared members."""
        a, b = image(), image()
        group(a, [mark(a, 10, 10, False), mark(a, 30, 10, False)], "A")
        group(b, [mark(b, 11, 10, False), mark(b, 31, 10, False)], "B")
        result = compare_images(a, b)
        assert result.clusters.matched == 1
        assert result.cluster_pairs[0].iou is None
        assert result.cluster_pairs[0].member_jaccard == 1.0

    def test_missing_side_counts_zero(self) -> None:
        """An image only reader A has: B's counts are 0, nothing matched."""
        a = image()
        mark(a, 1, 1)
        result = compare_images(a, None)
        assert result.calcifications == Score(1, 0, 0) and result.key == a.key
        with pytest.raises(ValueError):
            compare_images(None, None)

    def test_options_validated(self) -> None:
        """A non-positive distance is refused with its name."""
        with pytest.raises(ValueError, match="distance_mm"):
            AgreementOptions(distance_mm=0)
        with pytest.raises(ValueError, match="min_overlap"):
            AgreementOptions(min_overlap=1.5)


class TestCompareStudy:
    def test_totals_over_images(self) -> None:
        """Per-image scores and their sum; images of only one reader included."""
        a, b = two_readers()
        result = compare(a, b)
        assert [i.key[0] for i in result.images] == ["1.1", "1.2", "1.3"]  # LCC, then LMLO by UID
        assert [i.calcifications for i in result.images] == [Score(3, 4, 2), Score(1, 0, 0), Score(0, 1, 0)]
        assert result.calcifications == Score(4, 5, 2)
        assert result.calcifications.f1 == pytest.approx(4 / 9)
        assert (result.reader_a, result.reader_b) == ("alice", "bob")

    def test_mean_distance_over_the_study(self) -> None:
        """The study's mean distance is over every matched pair, None when the units are mixed."""
        a, b = two_readers()
        assert compare(a, b).mean_distance == pytest.approx((0.1 + 0.2) / 2)
        c1, c2 = image("2.1", spacing=Spacing.uncalibrated()), image("2.1", spacing=Spacing.uncalibrated())
        mark(c1, 5, 5)
        mark(c2, 6, 5)
        mixed = compare(study("alice", *a.images.values(), c1), study("bob", *b.images.values(), c2))
        in_px = next(i for i in mixed.images if i.key == ("2.1", 0))
        assert mixed.unit == "mixed" and in_px.unit == "px" and len(in_px.mark_pairs) == 1
        assert mixed.mean_distance is None

    def test_hanging_order(self) -> None:
        """RCC, LCC, RMLO, LMLO come first whatever the order the marks were made in."""
        imgs = [
            ImageAnnotations(f"2.{i}", laterality=lat, view=view)
            for i, (lat, view) in enumerate(
                [("L", "MLO"), (None, None), ("R", "MLO"), ("L", "CC"), ("R", "CC")]
            )
        ]
        result = compare(study("a", *imgs[:3]), study("b", *imgs[3:]))
        assert [i.key[0] for i in result.images] == ["2.4", "2.3", "2.2", "2.0", "2.1"]

    def test_restricted_to_given_images(self) -> None:
        """The images argument orders and filters the comparison."""
        a, b = two_readers()
        result = compare(a, b, images=[("1.3", 0), ("1.1", 0), ("7.7", 0)])
        assert [i.key[0] for i in result.images] == ["1.3", "1.1"]
