"""Tests for viewer.core.location: nipple distance, depth third, clock face and quadrant."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.landmarks import ChestWall, Landmarks
from viewer.core.location import (
    Depth,
    ViewPoint,
    clock_hour,
    clock_label,
    finding_position,
    locate,
    patient_offset,
    quadrant,
)
from viewer.core.nipple_detect import find_landmarks
from viewer.core.phantom import make_mammogram, patient_orientation, phantom_landmarks, place_finding

ROWS, COLS = 1200, 960
SPACING = Spacing(0.1, 0.1, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "mm at the breast plane (ERMF 1.1)", 1.1)


def _hour_error(a: float, b: float) -> float:
    d = abs(a - b) % 12.0
    return min(d, 12.0 - d)


class TestClockConventions:
    """DOMAIN.md section 6, case by case."""

    @pytest.mark.parametrize(
        ("laterality", "to_left", "up", "hour", "quad"),
        [
            ("R", 0.0, 20.0, 12, "UIQ"),
            ("R", -20.0, -1.0, 9, "LOQ"),  # lateral on the right breast is 9 o'clock
            ("R", 20.0, -1.0, 3, "LIQ"),  # medial
            ("L", 20.0, -1.0, 3, "LOQ"),  # lateral on the left breast is 3 o'clock
            ("L", -20.0, -1.0, 9, "LIQ"),
            ("L", 0.0, -20.0, 6, "LIQ"),
            ("R", -15.0, 15.0, 10.5, "UOQ"),
            ("L", 15.0, 15.0, 1.5, "UOQ"),
            ("L", -15.0, 15.0, 10.5, "UIQ"),
            ("R", 15.0, -15.0, 4.5, "LIQ"),
        ],
    )
    def test_hours_and_quadrants(
        self, laterality: str, to_left: float, up: float, hour: float, quad: str
    ) -> None:
        """Clock hours face the patient; quadrants follow laterality (outer = lateral)."""
        assert clock_hour(to_left, up) == pytest.approx(hour, abs=0.1)
        assert quadrant(laterality, to_left, up, 50.0) == quad

    def test_central_and_retroareolar(self) -> None:
        """On the nipple axis: retroareolar close to the nipple, central deeper."""
        assert quadrant("L", 3.0, -2.0, 20.0) == "retroareolar"
        assert quadrant("L", 3.0, -2.0, 60.0) == "central"

    def test_label_rounds_and_wraps(self) -> None:
        """Labels are whole hours; 11.6 is 12 o'clock, never 0."""
        assert clock_label(11.6) == "12 o'clock"
        assert clock_label(2.4) == "2 o'clock"

    def test_patient_offset_oblique(self) -> None:
        """An oblique row direction ("FR") shares the offset between foot and right."""
        out = patient_offset((0.0, 10.0), ("A", "FR"))
        assert out["up"] == pytest.approx(-10 / math.sqrt(2))
        assert out["left"] == pytest.approx(-10 / math.sqrt(2))


class TestLocate:
    def test_depth_thirds_along_a_horizontal_line(self) -> None:
        """CC: nipple at x=900, chest wall at x=0: depth is the column's share of the way back."""
        lm = Landmarks((900.0, 500.0), ((0.0, 0.0), (0.0, 999.0)))
        assert locate((800.0, 500.0), lm, SPACING).depth is Depth.ANTERIOR
        assert locate((450.0, 700.0), lm, SPACING).depth is Depth.MIDDLE
        at = locate((100.0, 300.0), lm, SPACING)
        assert at.depth is Depth.POSTERIOR
        assert at.nipple_distance_mm == pytest.approx(math.hypot(800, 200) * 0.1)
        assert at.to_dict()["spacing_label"] == SPACING.label

    def test_anisotropic_perpendicular_in_mm(self) -> None:
        """With rows twice as long as columns the posterior nipple line is perpendicular in mm, not px."""
        spacing = Spacing(0.2, 0.1, SpacingSource.PIXEL_SPACING, "mm")
        lm = Landmarks((100.0, 0.0), ((0.0, 0.0), (100.0, 100.0)), ChestWall.PECTORAL)
        foot = np.asarray(lm.posterior_point(spacing)) * spacing.scale()
        nipple = np.asarray(lm.nipple) * spacing.scale()
        wall = (np.asarray(lm.chest_wall[1]) - np.asarray(lm.chest_wall[0])) * spacing.scale()
        assert float(np.dot(foot - nipple, wall)) == pytest.approx(0.0, abs=1e-9)

    def test_uncalibrated_has_no_mm(self) -> None:
        """Without spacing the distance is pixels only and the depth still has a third."""
        lm = Landmarks((900.0, 500.0), ((0.0, 0.0), (0.0, 999.0)))
        at = locate((450.0, 500.0), lm, Spacing.uncalibrated())
        assert at.nipple_distance_mm is None
        assert at.nipple_distance_px == pytest.approx(450.0)
        assert at.depth is Depth.MIDDLE


@pytest.fixture(scope="module")
def landmarks() -> dict[tuple[str, str], Landmarks]:
    """Landmarks found on the four views of one phantom patient."""
    out = {}
    for lat in ("R", "L"):
        for view in ("CC", "MLO"):
            ph = make_mammogram(ROWS, COLS, (0.1, 0.1), lat, view, seed=11, calcifications=[])
            out[(lat, view)] = find_landmarks(ph.pixels, view, background_high=False)
    return out


class TestLinkedOnPhantoms:
    """A finding placed by the generator at a clock position, found back from detected landmarks."""

    @settings(max_examples=60, deadline=None)
    @given(
        laterality=st.sampled_from(["R", "L"]),
        hour=st.floats(0.5, 12.0),
        behind=st.floats(10.0, 50.0),
        off_axis=st.floats(15.0, 35.0),
    )
    def test_clock_within_an_hour(
        self,
        landmarks: dict[tuple[str, str], Landmarks],
        laterality: str,
        hour: float,
        behind: float,
        off_axis: float,
    ) -> None:
        """The linked pair's clock face is within one hour of where the generator placed the finding."""
        placed = place_finding(ROWS, COLS, (0.1, 0.1), laterality, hour, behind, off_axis)
        views = {
            view: ViewPoint(
                placed[view], landmarks[(laterality, view)], SPACING, patient_orientation(laterality, view)
            )
            for view in ("CC", "MLO")
        }
        pos = finding_position(laterality, views["CC"], views["MLO"])
        assert _hour_error(pos.clock_hour, hour) <= 1.0
        assert pos.description.startswith({"R": "right", "L": "left"}[laterality] + " breast, ")

    @pytest.mark.parametrize("laterality", ["R", "L"])
    @pytest.mark.parametrize("view", ["CC", "MLO"])
    def test_distance_and_depth_against_truth(
        self, landmarks: dict[tuple[str, str], Landmarks], laterality: str, view: str
    ) -> None:
        """Nipple distance within max(2 mm, 5 %) and the right depth third, against the drawn landmarks."""
        found = landmarks[(laterality, view)]
        t = phantom_landmarks(ROWS, COLS, laterality, view)
        truth = Landmarks(t.nipple, t.chest_wall, found.chest_wall_kind)
        rng = np.random.default_rng(3)
        checked = 0
        for _ in range(40):
            hour, behind, off = rng.uniform(0, 12), rng.uniform(8, 70), rng.uniform(0, 30)
            point = place_finding(ROWS, COLS, (0.1, 0.1), laterality, hour, behind, off)[view]
            want, got = locate(point, truth, SPACING), locate(point, found, SPACING)
            assert want.nipple_distance_mm is not None and got.nipple_distance_mm is not None
            assert abs(got.nipple_distance_mm - want.nipple_distance_mm) <= max(
                2.0, 0.05 * want.nipple_distance_mm
            )
            if min(abs(want.depth_fraction - b) for b in (1 / 3, 2 / 3)) > 0.03:
                assert got.depth is want.depth
                checked += 1
        assert checked >= 30
