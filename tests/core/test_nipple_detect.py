"""Tests for viewer.core.nipple_detect: the nipple and chest wall found on phantoms of known geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.landmarks import ChestWall, Landmarks, LandmarkSource
from viewer.core.nipple_detect import LandmarkError, find_landmarks
from viewer.core.phantom import make_mammogram, phantom_landmarks
from viewer.dicom.demo import SPACING_MM, demo_phantoms

TOLERANCE_MM = 3.0


def _angle_deg(line: tuple[tuple[float, float], tuple[float, float]]) -> float:
    (ax, ay), (bx, by) = line
    return math.degrees(math.atan2(by - ay, bx - ax)) % 180.0


class TestNippleOnDemo:
    @pytest.mark.parametrize("index", range(4))
    def test_within_3_mm_of_the_generators_apex(self, index: int) -> None:
        """On every demo view the nipple is found within 3 mm of where the generator put the apex."""
        ph = demo_phantoms()[index]
        found = find_landmarks(ph.pixels, ph.view, background_high=False)
        rows, cols = ph.pixels.shape
        truth = phantom_landmarks(rows, cols, ph.laterality, ph.view)
        error_mm = math.hypot(*np.subtract(found.nipple, truth.nipple)) * SPACING_MM
        assert error_mm <= TOLERANCE_MM, (ph.laterality, ph.view, found.nipple, truth.nipple)
        assert found.source is LandmarkSource.FOUND

    @pytest.mark.parametrize("index", [2, 3])
    def test_pectoral_edge_on_mlo(self, index: int) -> None:
        """On MLO the chest wall is the pectoral edge: within 3 degrees and 3 mm of the drawn one."""
        ph = demo_phantoms()[index]
        found = find_landmarks(ph.pixels, ph.view, background_high=False)
        rows, cols = ph.pixels.shape
        truth = phantom_landmarks(rows, cols, ph.laterality, ph.view)
        assert found.chest_wall_kind is ChestWall.PECTORAL
        assert abs(_angle_deg(found.chest_wall) - _angle_deg(truth.chest_wall)) < 3.0
        # The posterior nipple line's far end lands on the drawn muscle edge.
        spacing = Spacing(SPACING_MM, SPACING_MM, SpacingSource.PIXEL_SPACING, "mm")
        foot = Landmarks(truth.nipple, found.chest_wall).posterior_point(spacing)
        true_foot = Landmarks(truth.nipple, truth.chest_wall).posterior_point(spacing)
        assert math.hypot(*np.subtract(foot, true_foot)) * SPACING_MM < TOLERANCE_MM


class TestNippleVaried:
    @pytest.mark.parametrize("laterality", ["L", "R"])
    @pytest.mark.parametrize("view", ["CC", "MLO"])
    @pytest.mark.parametrize("dense", [False, True])
    def test_other_sizes_and_density(self, laterality: str, view: str, dense: bool) -> None:
        """Smaller matrices, dense tissue, MONOCHROME1, chest wall side guessed: still within 3 mm."""
        spacing = 0.1
        ph = make_mammogram(
            1200,
            960,
            (spacing, spacing),
            laterality,
            view,
            seed=7,
            calcifications=[],
            dense=dense,
            monochrome1=dense,
        )
        found = find_landmarks(ph.pixels, view, background_high=dense)
        truth = phantom_landmarks(1200, 960, laterality, view)
        assert math.hypot(*np.subtract(found.nipple, truth.nipple)) * spacing <= TOLERANCE_MM
        # Nothing told it which side the chest wall is: the edge it names is the right one.
        wall_x = found.chest_wall[1][0]
        assert (wall_x > 480) == (laterality == "R")

    def test_upside_down_image(self) -> None:
        """An image stored with rows running towards the head gives the mirrored nipple row."""
        ph = make_mammogram(1200, 960, (0.1, 0.1), "L", "MLO", seed=2, calcifications=[])
        upright = find_landmarks(ph.pixels, "MLO", background_high=False)
        flipped = find_landmarks(ph.pixels[::-1], "MLO", background_high=False, superior_at_top=False)
        assert flipped.nipple[0] == pytest.approx(upright.nipple[0], abs=2)
        assert flipped.nipple[1] == pytest.approx(1199 - upright.nipple[1], abs=2)
        assert flipped.chest_wall_kind is ChestWall.PECTORAL

    def test_no_breast(self) -> None:
        """A flat image has no breast outline: a LandmarkError that says so."""
        with pytest.raises(LandmarkError, match="no breast"):
            find_landmarks(np.full((200, 200), 500.0), "CC")

    def test_breast_cut_by_the_image_edge_says_so(self) -> None:
        """A breast reaching the far edge (nipple outside the image) is flagged for the reader."""
        ph = make_mammogram(1200, 960, (0.1, 0.1), "L", "CC", seed=2, calcifications=[])
        found = find_landmarks(ph.pixels[:, :500], "CC", background_high=False)
        assert "far image edge" in found.note
