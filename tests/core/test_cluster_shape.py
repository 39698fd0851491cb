"""Tests for viewer.core.cluster_shape: "grouped" is a small area, larger patterns are linear or regional."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.annotations import Calcification, ClusterState, ImageAnnotations
from viewer.core.cluster import ClusterRule, suggest_clusters
from viewer.core.cluster_edits import confirm
from viewer.core.cluster_grouper import Grouper
from viewer.core.cluster_shape import axis_ratio, group_shape, max_in_circle
from viewer.core.geometry import Spacing, SpacingSource

ISO_01 = Spacing(0.1, 0.1, SpacingSource.PIXEL_SPACING, "mm calibrated")
MM = 10.0  # pixels per mm at ISO_01


def make_image(points_mm: list[tuple[float, float]], spacing: Spacing = ISO_01) -> ImageAnnotations:
    """Point-only marks m0, m1, ... at ``points_mm`` (given in mm, stored in pixels)."""
    img = ImageAnnotations("1.2.3", rows=4000, columns=4000, dicom_spacing=spacing)
    for i, (x, y) in enumerate(points_mm):
        img.calcifications[f"m{i}"] = Calcification(f"m{i}", (500 + x * MM, 500 + y * MM))
    return img


def ring(n: int, radius: float, cx: float = 0.0, cy: float = 0.0) -> list[tuple[float, float]]:
    return [
        (cx + radius * math.cos(2 * math.pi * k / n), cy + radius * math.sin(2 * math.pi * k / n))
        for k in range(n)
    ]


def only_suggestion(points_mm: list[tuple[float, float]]) -> tuple[str | None, str]:
    (s,) = suggest_clusters(make_image(points_mm))
    assert s.state is ClusterState.SUGGESTED and len(s.member_ids) == len(points_mm)
    return s.distribution, s.note


def oracle_fits_rule(pts: np.ndarray, min_count: int, diameter: float, max_span: float) -> bool:
    """The grouped rule by brute force: every pair's span, every circle through two points or on one."""
    span = max((math.dist(a, b) for a, b in itertools.combinations(pts.tolist(), 2)), default=0.0)
    if span > max_span + 1e-9:
        return False
    r = diameter / 2
    centres = [tuple(p) for p in pts.tolist()]
    for a, b in itertools.combinations(pts.tolist(), 2):
        d = math.dist(a, b)
        if 0 < d <= diameter:
            mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
            h = math.sqrt(max(r * r - d * d / 4, 0.0))
            ux, uy = (b[1] - a[1]) / d, (a[0] - b[0]) / d
            centres += [(mx + h * ux, my + h * uy), (mx - h * ux, my - h * uy)]
    return any(sum(math.dist(c, p) <= r * (1 + 1e-9) for p in pts.tolist()) >= min_count for c in centres)


class TestTheIssueCases:
    def test_chain_of_six_over_45_mm_is_not_grouped(self) -> None:
        """6 marks 9 mm apart in a 45 mm line: linked by single linkage, but linear, not grouped."""
        distribution, note = only_suggestion([(9.0 * i, 0.0) for i in range(6)])
        assert distribution == "linear"
        assert note == "6 calcifications over 45 mm in a line: linear?"

    def test_seven_within_8_mm_are_grouped(self) -> None:
        """A centre and a hexagon of radius 4 mm: 7 marks spanning 8 mm."""
        distribution, note = only_suggestion([(0.0, 0.0), *ring(6, 4.0)])
        assert distribution == "grouped"
        assert note.startswith("7 calcifications within 8.0 mm") and note.endswith("grouped?")

    def test_fifteen_within_18_mm_are_grouped(self) -> None:
        """A centre, a ring of 6 at 4.5 mm and a ring of 8 at 9 mm: 15 marks spanning 18 mm."""
        pts = [(0.0, 0.0), *ring(6, 4.5), *ring(8, 9.0)]
        distribution, _ = only_suggestion(pts)
        assert distribution == "grouped"

    def test_twelve_spread_over_40_mm_are_regional(self) -> None:
        """A 6 x 2 grid, 8 mm across and 9 mm down, spans 41 mm and is not elongated enough for a line."""
        pts = [(8.0 * i, 9.0 * j) for j in range(2) for i in range(6)]
        distribution, note = only_suggestion(pts)
        assert distribution == "regional"
        assert note == "12 calcifications over 41 mm (more than 20 mm), not in a line: regional?"

    def test_eight_on_a_30_mm_line_are_linear(self) -> None:
        """8 marks evenly along 30 mm (slightly wavy) are linear."""
        pts = [(30.0 * i / 7, 0.4 * (-1) ** i) for i in range(8)]
        distribution, note = only_suggestion(pts)
        assert distribution == "linear"
        assert note == "8 calcifications over 30 mm in a line: linear?"

    def test_sparse_small_group_suggests_no_distribution(self) -> None:
        """5 marks on a 9.5 mm-per-side pentagon fit in 20 mm but not in a 10 mm circle."""
        side = 9.5
        distribution, note = only_suggestion(ring(5, side / (2 * math.sin(math.pi / 5))))
        assert distribution is None
        assert note.endswith("fewer than 5 in a 10 mm circle: not grouped")

    def test_the_span_limit_is_inclusive(self) -> None:
        """5 marks in a 4 mm circle and a tail to exactly 20.0 mm: grouped; a tail to 20.5 mm: not."""
        core = [(0.0, 0.0), *ring(4, 2.0)]  # leftmost mark at x = -2
        assert only_suggestion([*core, (7.0, 0.0), (13.0, 0.0), (18.0, 0.0)])[0] == "grouped"
        assert only_suggestion([*core, (7.0, 0.0), (13.0, 0.0), (18.5, 0.0)])[0] != "grouped"

    def test_uncalibrated_scales_the_span_limit(self) -> None:
        """Without spacing the rule is 140 px and 280 px, and the reason says px."""
        rule = ClusterRule()
        none = Spacing.uncalibrated()
        assert (rule.linkage_distance(none), rule.span_limit(none)) == (140.0, 280.0)
        img = make_image([(9.0 * i, 0.0) for i in range(6)], none)  # 90 px apart
        (s,) = suggest_clusters(img)
        assert s.distribution == "linear" and "450 px" in s.note


class TestReaderChoice:
    def test_confirm_keeps_the_distribution_and_drops_the_reason(self) -> None:
        """Confirming accepts the suggested distribution; the program's reason is not a reader note."""
        img = make_image([(0.0, 0.0), *ring(6, 4.0)])
        (s,) = suggest_clusters(img)
        c = confirm(s, "dr a")
        assert c.state is ClusterState.CONFIRMED and c.distribution == "grouped" and c.note == ""

    def test_regrouping_never_changes_a_confirmed_choice(self) -> None:
        """A reader who calls a grouped suggestion linear keeps it after the marks move."""
        from dataclasses import replace

        img = make_image([(0.0, 0.0), *ring(6, 4.0)])
        grouper = Grouper()
        (s,) = grouper.suggest(img)
        chosen = replace(confirm(s), distribution="segmental")
        img.clusters[chosen.id] = chosen
        img.calcifications["m1"] = img.calcifications["m1"].moved(300, 0)
        assert grouper.suggest(img) == []
        assert img.clusters[chosen.id].distribution == "segmental"


class TestRuleNumbers:
    def test_defaults_and_json(self) -> None:
        """Default: 5 marks, a 10 mm circle, 20 mm span; all three in to_dict."""
        assert ClusterRule().to_dict() == {"min_count": 5, "diameter_mm": 10.0, "max_span_mm": 20.0}

    def test_span_below_diameter_refused(self) -> None:
        """A group cannot span less than its circle: refused, naming both numbers."""
        with pytest.raises(ValueError, match="max_span_mm"):
            ClusterRule(diameter_mm=10.0, max_span_mm=8.0)

    def test_custom_rule_is_honoured(self) -> None:
        """With 3 in 5 mm and 12 mm span, a 4-mark 3 mm group is grouped, the chain is not."""
        rule = ClusterRule(min_count=3, diameter_mm=5.0, max_span_mm=12.0)
        img = make_image([(0.0, 0.0), (1.0, 1.0), (2.0, 0.0), (3.0, 1.0)])
        (s,) = suggest_clusters(img, rule)
        assert s.distribution == "grouped"
        img = make_image([(4.5 * i, 0.0) for i in range(4)])
        (s,) = suggest_clusters(img, rule)
        assert s.distribution == "linear"


class TestGeometry:
    def test_axis_ratio(self) -> None:
        """A line is infinitely elongated; a square is not; a 4:1 rectangle's corners give 4."""
        assert axis_ratio([(0, 0), (1, 0), (2, 0)]) == math.inf
        assert axis_ratio([(0, 0), (1, 0), (0, 1), (1, 1)]) == pytest.approx(1.0)
        assert axis_ratio([(0, 0), (4, 0), (0, 1), (4, 1)]) == pytest.approx(4.0)

    def test_max_in_circle_needs_two_on_the_edge(self) -> None:
        """An equilateral triangle of side 10 fits no 10-circle on a vertex but one of 11.6."""
        tri = [(0.0, 0.0), (10.0, 0.0), (5.0, 5.0 * math.sqrt(3))]
        assert max_in_circle(tri, 10.0) == 2
        assert max_in_circle(tri, 2 * 10 / math.sqrt(3) + 1e-6) == 3

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=25),
        st.lists(st.tuples(st.floats(-2, 32), st.floats(-2, 32)), min_size=1, max_size=20),
    )
    def test_no_circle_holds_more(
        self, pts: list[tuple[int, int]], probes: list[tuple[float, float]]
    ) -> None:
        """No circle anywhere holds more points than max_in_circle says, and the oracle agrees."""
        arr = np.asarray(pts, dtype=np.float64)
        best = max_in_circle(arr, 8.0)
        for c in probes:
            assert sum(math.dist(c, p) <= 4.0 for p in pts) <= best
        for k in (2, 3, 5):
            assert (best >= k) == oracle_fits_rule(arr, k, 8.0, math.inf)


class TestProperty:
    @settings(max_examples=80, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(0, 350), st.integers(0, 350)), min_size=5, max_size=30),
        st.sampled_from([(5, 10.0, 20.0), (3, 6.0, 12.0), (4, 10.0, 10.0)]),
    )
    def test_grouped_exactly_when_the_rule_holds(
        self, pts: list[tuple[int, int]], numbers: tuple[int, float, float]
    ) -> None:
        """Every grouped suggestion fits the rule by brute force, and every other one does not."""
        rule = ClusterRule(*numbers)
        img = ImageAnnotations("1.2.3", rows=4000, columns=4000, dicom_spacing=ISO_01)
        for i, p in enumerate(pts):
            img.calcifications[f"m{i}"] = Calcification(f"m{i}", (float(p[0]), float(p[1])))
        suggestions = suggest_clusters(img, rule)
        assert Grouper(rule).suggest(img) == suggestions
        for s in suggestions:
            mm = np.asarray([img.calcifications[m].center for m in s.member_ids]) * 0.1
            fits = oracle_fits_rule(mm, rule.min_count, rule.diameter_mm, rule.max_span_mm)
            assert (s.distribution == "grouped") == fits, s.note
            shape = group_shape(
                mm, mm, min_count=rule.min_count, diameter=rule.diameter_mm, max_span=rule.max_span_mm
            )
            assert shape.grouped == fits and shape.reason == s.note
