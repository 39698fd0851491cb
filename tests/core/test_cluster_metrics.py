"""Tests for viewer.core.cluster_metrics: span, outline area, centroid, member sizes."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.annotations import Calcification, Cluster, ClusterState, ImageAnnotations
from viewer.core.cluster_metrics import cluster_metrics, clusters_for_marks, metrics_of
from viewer.core.geometry import Point, Spacing, SpacingSource

ANISO = Spacing(0.2, 0.05, SpacingSource.PIXEL_SPACING, "mm calibrated")
ISO = Spacing(0.1, 0.1, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector (overestimates)")


def square(cx: float, cy: float, half: float) -> list[Point]:
    return [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half), (cx - half, cy + half)]


def image_with(calcs: list[Calcification], spacing: Spacing) -> ImageAnnotations:
    img = ImageAnnotations("1.2.3", dicom_spacing=spacing)
    img.calcifications = {c.id: c for c in calcs}
    return img


class TestSpan:
    def test_span_runs_between_outlines_not_centres(self) -> None:
        """Two 4 px squares 100 px apart span corner to far corner."""
        a = Calcification.create((0.0, 0.0), square(0, 0, 2), ISO)
        b = Calcification.create((100.0, 0.0), square(100, 0, 2), ISO)
        img = image_with([a, b], ISO)
        m = cluster_metrics(Cluster("c", (a.id, b.id)), img)
        assert m.span_px == pytest.approx(math.hypot(104, 4))
        assert m.span_mm == pytest.approx(math.hypot(104, 4) * 0.1)

    def test_anisotropic_spacing(self) -> None:
        """100 px along x is 5 mm, 100 px along y is 20 mm; span_px is 100 both ways."""
        for end, mm in (((100.0, 0.0), 5.0), ((0.0, 100.0), 20.0)):
            m = metrics_of([(0.0, 0.0), end], [None, None], ANISO)
            assert m.span_px == pytest.approx(100.0)
            assert m.span_mm == pytest.approx(mm)

    def test_longest_in_mm_can_differ_from_longest_in_px(self) -> None:
        """With anisotropic pixels the mm span picks the physically longest pair."""
        pts = [(0.0, 0.0), (300.0, 0.0), (0.0, 100.0)]
        m = metrics_of(pts, [None] * 3, ANISO)
        assert m.span_px == pytest.approx(math.hypot(300, 100))
        assert m.span_mm == pytest.approx(math.hypot(15, 20))
        assert set(m.span_endpoints) == {(300.0, 0.0), (0.0, 100.0)}

    def test_uncalibrated_has_no_mm(self) -> None:
        """Without spacing the mm values are None and the px ones are given."""
        m = metrics_of([(0.0, 0.0), (30.0, 40.0)], [None, None], Spacing.uncalibrated())
        assert (m.span_mm, m.area_mm2, m.span_px) == (None, None, 50.0)
        assert m.to_dict()["spacing_source"] == "none"

    @settings(max_examples=40, deadline=None)
    @given(
        st.lists(st.tuples(st.floats(0, 500), st.floats(0, 500), st.floats(0.5, 6)), min_size=1, max_size=12)
    )
    def test_span_is_the_largest_pairwise_distance(self, marks: list[tuple[float, float, float]]) -> None:
        """span_mm equals the brute-force largest distance between any outline vertices."""
        centers = [(x, y) for x, y, _ in marks]
        outlines = [square(x, y, h) for x, y, h in marks]
        m = metrics_of(centers, outlines, ANISO)
        pts = np.asarray(list(itertools.chain.from_iterable(outlines))) * [0.05, 0.2]
        brute = max(math.dist(p, q) for p, q in itertools.combinations(pts, 2))
        assert m.span_mm == pytest.approx(brute, rel=1e-9)


class TestOutlineAndArea:
    def test_hull_area_of_point_marks(self) -> None:
        """Four point marks at a 100 x 50 px rectangle's corners: 5000 px^2, 50 mm^2."""
        pts = [(0.0, 0.0), (100.0, 0.0), (100.0, 50.0), (0.0, 50.0), (90.0, 40.0)]
        m = metrics_of(pts, [None] * 5, ANISO)
        assert m.area_px == pytest.approx(5000.0)
        assert m.area_mm2 == pytest.approx(5000 * 0.2 * 0.05)
        assert len(m.outline) == 4 and not m.outline_drawn
        assert m.centroid == pytest.approx((58.0, 28.0))  # mean of centres, not hull centre

    def test_hull_includes_member_outlines(self) -> None:
        """The hull wraps the members' outlines, not only their centres."""
        outlines = [square(0, 0, 5), square(100, 0, 5), square(0, 100, 5)]
        m = metrics_of([(0.0, 0.0), (100.0, 0.0), (0.0, 100.0)], outlines, ISO)
        # triangle of centres + square + each edge times the square's half-width along its
        # normal: 5000 + 100 + 100 * 5 + 100 * 5 + (100 * sqrt 2) * (5 * sqrt 2)
        assert m.area_px == pytest.approx(7100.0)
        assert len(m.outline) == 5

    def test_drawn_outline_wins(self) -> None:
        """A drawn polygon is the outline and its area is the cluster's area."""
        a = Calcification.create((5.0, 5.0), None, ISO)
        img = image_with([a], ISO)
        c = Cluster("c", (a.id,), ClusterState.CONFIRMED, outline=tuple(square(5, 5, 10)))
        m = cluster_metrics(c, img)
        assert m.outline_drawn and m.area_px == pytest.approx(400.0)
        assert m.area_mm2 == pytest.approx(4.0) and m.count == 1

    def test_empty_drawn_cluster(self) -> None:
        """A drawn cluster without members has count 0, span 0 and the polygon's centroid."""
        c = Cluster("c", (), ClusterState.CONFIRMED, outline=tuple(square(10, 20, 5)))
        m = cluster_metrics(c, image_with([], ISO))
        assert (m.count, m.span_px, m.span_mm) == (0, 0.0, 0.0)
        assert m.centroid == pytest.approx((10.0, 20.0))


class TestMemberSizes:
    def test_long_axis_statistics(self) -> None:
        """Smallest, median and largest long axis of the measured members only."""
        calcs = [
            Calcification.create((10.0 * i, 0.0), square(10 * i, 0, h), ISO)
            for i, h in enumerate((1.0, 2.0, 4.0))
        ]
        calcs.append(Calcification.create((50.0, 0.0), None, ISO))
        img = image_with(calcs, ISO)
        m = cluster_metrics(Cluster("c", tuple(img.calcifications)), img)
        d = 2 * math.sqrt(2)
        assert m.long_axis_px is not None and m.long_axis_mm is not None
        assert (m.long_axis_px.smallest, m.long_axis_px.median, m.long_axis_px.largest) == pytest.approx(
            (d, 2 * d, 4 * d)
        )
        assert m.long_axis_mm.largest == pytest.approx(0.4 * d)
        assert (m.count, m.measured_count) == (4, 3)

    def test_no_measured_member(self) -> None:
        """Point-only members give no size statistics (never zeros)."""
        m = metrics_of([(0.0, 0.0), (3.0, 4.0)], [None, None], ISO)
        assert m.long_axis_px is None and m.long_axis_mm is None

    def test_unknown_member_is_named(self) -> None:
        """A cluster naming a mark the image lacks is refused with the mark's id."""
        with pytest.raises(ValueError, match="ghost"):
            cluster_metrics(Cluster("c", ("ghost",)), image_with([], ISO))

    def test_to_dict_is_json(self) -> None:
        """to_dict gives plain JSON with the spacing label."""
        m = metrics_of([(0.0, 0.0), (3.0, 4.0)], [square(0, 0, 1), None], ISO)
        data = json.loads(json.dumps(m.to_dict()))
        assert data["spacing_label"] == ISO.label and data["span_mm"] == pytest.approx(0.1 * math.hypot(4, 5))


class TestClustersForMarks:
    def test_groups_indices_and_birads_flag(self) -> None:
        """Indices point into the input; groups of 2-4 are listed but not BI-RADS grouped, and
        five marks in a 20.3 mm chain are linear, not grouped."""
        five = [(100.0 + 50 * i, 100.0) for i in range(5)]
        pair = [(2000.0, 2000.0), (2010.0, 2000.0)]
        lone = [(4000.0, 100.0)]
        centers = pair[:1] + five + lone + pair[1:]
        outlines: list[list[Point] | None] = [None] * len(centers)
        outlines[1] = square(100, 100, 3)
        got = clusters_for_marks(centers, outlines, ISO)
        assert [g["members"] for g in got] == [[0, 7], [1, 2, 3, 4, 5]]
        assert [g["birads_grouped"] for g in got] == [False, False]
        assert [g["suggested_distribution"] for g in got] == [None, "linear"]
        assert got[1]["reason"] == "5 calcifications over 20 mm in a line: linear?"
        assert got[0]["reason"] is None
        assert {k: got[1][k] for k in ("min_count", "diameter_mm", "max_span_mm")} == {
            "min_count": 5,
            "diameter_mm": 10.0,
            "max_span_mm": 20.0,
        }
        assert got[1]["count"] == 5
        assert got[1]["span_mm"] == pytest.approx(0.1 * math.hypot(203, 3))
        # hull: the 6 x 6 px square plus a triangle of base 6 reaching x = 300
        assert got[1]["area_px"] == pytest.approx(36 + 197 * 6 / 2)
        assert got[1]["area_mm2"] == pytest.approx((36 + 197 * 3) * 0.01)
        assert got[1]["linkage_unit"] == "mm"

    def test_compact_group_is_grouped(self) -> None:
        """Five marks within 4 mm (one outlined) are BI-RADS grouped; the span counts the outline."""
        centers = [(100.0, 100.0), (120.0, 100.0), (100.0, 120.0), (120.0, 120.0), (110.0, 110.0)]
        outlines: list[list[Point] | None] = [None] * 5
        outlines[0] = square(100, 100, 5)
        (got,) = clusters_for_marks(centers, outlines, ISO)
        assert got["birads_grouped"] is True and got["suggested_distribution"] == "grouped"
        assert got["span_mm"] == pytest.approx(0.1 * math.hypot(25, 25))
        assert got["reason"].startswith("5 calcifications within 3.5 mm")

    def test_outline_pushes_span_over_the_limit(self) -> None:
        """Centres within 13 mm but a (large) outline reaching 22 mm: the span rule sees the outline."""
        centers = [(100.0, 100.0), (120.0, 100.0), (140.0, 100.0), (100.0, 120.0), (120.0, 120.0)]
        centers.append((230.0, 110.0))
        outlines: list[list[Point] | None] = [None] * 6
        outlines[5] = square(230, 110, 75)
        (got,) = clusters_for_marks(centers, outlines, ISO)
        assert got["span_mm"] > 20.0 and got["birads_grouped"] is False
        outlines[5] = None
        (got,) = clusters_for_marks(centers, outlines, ISO)
        assert got["span_mm"] < 20.0 and got["birads_grouped"] is True

    def test_uncalibrated_flagged(self) -> None:
        """Without spacing the groups are formed in px and say so."""
        got = clusters_for_marks([(0.0, 0.0), (100.0, 0.0)], [None, None], Spacing.uncalibrated())
        assert got[0]["linkage_unit"] == "px" and got[0]["span_mm"] is None

    def test_length_mismatch(self) -> None:
        """Centres and outlines must pair up."""
        with pytest.raises(ValueError, match="outlines"):
            clusters_for_marks([(0.0, 0.0)], [], ISO)
