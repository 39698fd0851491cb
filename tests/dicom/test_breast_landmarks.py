"""Tests for viewer.dicom.breast_landmarks: the nipple search on the image as it hangs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.fixtures.dicom_files import write_dicom, write_turned_view
from viewer.core.display_transform import DisplayTransform
from viewer.core.landmarks import Landmarks
from viewer.dicom.breast_landmarks import image_landmarks
from viewer.dicom.demo import demo_dataset, demo_file_names, demo_phantom
from viewer.dicom.image import MammoImage

LCC = 1


@pytest.fixture(scope="module")
def plain_landmarks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Landmarks, tuple[int, int]]:
    """The demo LCC as the demo stores it (in the reading orientation), its landmarks and shape."""
    path = write_dicom(demo_dataset(demo_phantom(LCC), LCC + 1), tmp_path_factory.mktemp("plain") / "LCC.dcm")
    plain = MammoImage.open(path)
    return image_landmarks(plain).landmarks, (plain.rows, plain.columns)


class TestTurnedFiles:
    @pytest.mark.parametrize("stored", [DisplayTransform(1), DisplayTransform(2, True)])
    def test_landmarks_follow_the_anatomy(
        self, tmp_path: Path, stored: DisplayTransform, plain_landmarks: tuple[Landmarks, tuple[int, int]]
    ) -> None:
        """A view stored turned finds the nipple and chest wall where the unturned file has them, mapped
        into the turned file's pixels."""
        want, shape = plain_landmarks
        write_turned_view(tmp_path, LCC, stored)
        turned = MammoImage.open(tmp_path / demo_file_names()[LCC])
        assert turned.hanging_transform == stored.inverse()
        got = image_landmarks(turned).landmarks
        assert math.dist(got.nipple, stored.map_point(want.nipple, shape)) < 3.0
        for a, b in zip(got.chest_wall, want.chest_wall, strict=True):
            assert math.dist(a, stored.map_point(b, shape)) < 3.0
