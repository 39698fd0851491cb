"""Tests of per-frame header attributes of enhanced multi-frame images (viewer.dicom.frames).

Each frame may carry its own Pixel Measures, Pixel Value Transformation, Frame VOI LUT and
Frame Anatomy; the shared functional groups apply where a frame has none.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydicom.dataset import Dataset

from viewer.core.geometry import SpacingSource
from viewer.dicom.frames import frame_macro
from viewer.dicom.image import MammoImage


def _item(**attributes: object) -> Dataset:
    ds = Dataset()
    for key, value in attributes.items():
        setattr(ds, key, value)
    return ds


def _frame_group(
    spacing: float | None = None,
    rescale: tuple[float, float] | None = None,
    window: tuple[float, float] | None = None,
    laterality: str | None = None,
) -> Dataset:
    group = Dataset()
    if spacing is not None:
        group.PixelMeasuresSequence = [_item(PixelSpacing=[spacing, spacing])]
    if rescale is not None:
        group.PixelValueTransformationSequence = [
            _item(RescaleSlope=rescale[0], RescaleIntercept=rescale[1], RescaleType="US")
        ]
    if window is not None:
        group.FrameVOILUTSequence = [_item(WindowCenter=window[0], WindowWidth=window[1])]
    if laterality is not None:
        group.FrameAnatomySequence = [_item(FrameLaterality=laterality)]
    return group


@pytest.fixture
def enhanced(make_ds: Callable[..., Dataset]) -> MammoImage:
    """Three frames: 0 and 1 with their own groups, 2 with none (the shared ones apply)."""
    pixels = np.stack([np.full((16, 20), 100 * (i + 1), np.uint16) for i in range(3)])
    ds = make_ds(pixels, ImageLaterality="L", WindowCenter=50, WindowWidth=10)
    ds.PerFrameFunctionalGroupsSequence = [
        _frame_group(0.1, (1.0, 0.0), (1000.0, 500.0), "L"),
        _frame_group(0.2, (2.0, -100.0), (3000.0, 800.0), "R"),
        Dataset(),
    ]
    ds.SharedFunctionalGroupsSequence = [_frame_group(0.3, (0.5, 7.0), (4000.0, 900.0))]
    return MammoImage.from_dataset(ds)


class TestFrameByFrame:
    """Each frame's own macro wins; the shared one fills in; nothing of frame 0 leaks."""

    def test_spacing(self, enhanced: MammoImage) -> None:
        """Pixel Measures per frame, shared for the frame without its own."""
        rows = [enhanced.frame_header(f).spacing.row_mm for f in range(3)]
        assert rows == [0.1, 0.2, 0.3]
        assert all(enhanced.frame_header(f).spacing.source is SpacingSource.PIXEL_SPACING for f in range(3))
        assert enhanced.annotation_record(1).dicom_spacing.row_mm == 0.2

    def test_pixel_value_transformation(self, enhanced: MammoImage) -> None:
        """Modality values of frame 1 use its slope 2 and intercept -100; frame 2 the shared ones."""
        assert float(enhanced.modality_pixels(0)[0, 0]) == 100.0
        assert float(enhanced.modality_pixels(1)[0, 0]) == 200 * 2.0 - 100.0
        assert float(enhanced.modality_pixels(2)[0, 0]) == 300 * 0.5 + 7.0

    def test_voi(self, enhanced: MammoImage) -> None:
        """Frame VOI LUT per frame replaces the top level's window."""
        centers = [[p.center for p in enhanced.frame_header(f).voi_presets] for f in range(3)]
        assert centers == [[1000.0], [3000.0], [4000.0]]

    def test_laterality_from_the_frame_when_it_differs(self, enhanced: MammoImage) -> None:
        """A frame saying R in an L image is R; frames saying nothing take the image's."""
        assert [enhanced.frame_laterality(f) for f in range(3)] == ["L", "R", "L"]
        assert enhanced.annotation_record(1).laterality == "R"
        assert enhanced.laterality == "L"

    def test_a_readers_correction_wins(self, enhanced: MammoImage) -> None:
        """After the reader sets the view, every frame follows the reader."""
        enhanced.set_view("R", "CC")
        assert enhanced.frame_laterality(0) == "R"

    def test_out_of_range_frame(self, enhanced: MammoImage) -> None:
        """Asking for a frame the image does not have is an error that says so."""
        with pytest.raises(ValueError, match=r"frame 3 out of range 0\.\.2"):
            enhanced.frame_header(3)


class TestFrameMacro:
    """frame_macro: the frame's item, else the shared one, else None."""

    def test_keyword_required_falls_back_to_shared(self) -> None:
        """A frame item without the asked attribute does not hide the shared one."""
        ds = Dataset()
        ds.PerFrameFunctionalGroupsSequence = [_frame_group(laterality="R")]
        ds.PerFrameFunctionalGroupsSequence[0].PixelMeasuresSequence = [_item(SliceThickness=1.0)]
        ds.SharedFunctionalGroupsSequence = [_frame_group(0.3)]
        item = frame_macro(ds, 0, "PixelMeasuresSequence", "PixelSpacing")
        assert item is not None and list(item.PixelSpacing) == [0.3, 0.3]
        assert frame_macro(ds, 0, "PixelMeasuresSequence") is not None
        assert frame_macro(ds, 5, "FrameAnatomySequence") is None
        assert frame_macro(Dataset(), 0, "PixelMeasuresSequence") is None


class TestBrightSide:
    """A negative Rescale Slope (of the image, or of one frame only) flips the stored values, not
    which side is dense: a speck bright on screen is still found by a click on it.

    A naive rule that flips ``bright_is_high`` with the slope's sign looks for a dark speck on
    modality values that are already the right way up, and finds nothing.
    """

    @staticmethod
    def _phantom() -> tuple[np.ndarray, tuple[float, float]]:
        from viewer.core.phantom import CalcSpec, make_mammogram

        phantom = make_mammogram(
            300, 260, (0.07, 0.07), seed=5, calcifications=[CalcSpec((130.0, 150.0), 0.6)]
        )
        return phantom.pixels.astype(np.uint16), phantom.truth[0].center

    @staticmethod
    def _click(image: MammoImage, frame: int, at: tuple[float, float]) -> np.ndarray:
        from viewer.core.measure import find_calcification

        header = image.frame_header(frame)
        result = find_calcification(
            image.pixels(frame),
            *at,
            header.spacing,
            bright_is_high=image.bright_is_high,
            modality=header.modality_lut,
        )
        assert result.found and result.outline is not None, result.reason
        return np.asarray(result.outline)

    def test_a_negative_slope_finds_the_same_outline(self, make_ds: Callable[..., Dataset]) -> None:
        """Stored 4095 - P with slope -1, intercept 4095 has the modality values P: one outline."""
        pixels, at = self._phantom()
        plain = MammoImage.from_dataset(make_ds(pixels, PixelSpacing=[0.07, 0.07]))
        flipped = MammoImage.from_dataset(
            make_ds(4095 - pixels, PixelSpacing=[0.07, 0.07], RescaleSlope=-1, RescaleIntercept=4095)
        )
        assert np.array_equal(flipped.modality_pixels(0), plain.modality_pixels(0))
        assert flipped.bright_is_high and plain.bright_is_high
        assert np.allclose(self._click(flipped, 0, at), self._click(plain, 0, at), atol=1e-3)

    def test_frames_with_slopes_of_both_signs(self, make_ds: Callable[..., Dataset]) -> None:
        """Frame 0 flips its stored values by its own Pixel Value Transformation, frame 1 does not:
        a click finds the same speck on both (a rule read off frame 0's slope misses on both)."""
        pixels, at = self._phantom()
        ds = make_ds(np.stack([4095 - pixels, pixels]), PixelSpacing=[0.07, 0.07])
        ds.PerFrameFunctionalGroupsSequence = [
            _frame_group(rescale=(-1.0, 4095.0)),
            _frame_group(rescale=(1.0, 0.0)),
        ]
        image = MammoImage.from_dataset(ds)
        assert np.array_equal(image.modality_pixels(1), image.modality_pixels(0))
        assert np.allclose(self._click(image, 1, at), self._click(image, 0, at), atol=1e-3)

    def test_monochrome1_is_still_dark_is_dense(self, make_ds: Callable[..., Dataset]) -> None:
        """MONOCHROME1 (high values display dark): dense specks have low modality values."""
        pixels, at = self._phantom()
        image = MammoImage.from_dataset(
            make_ds(4095 - pixels, photometric="MONOCHROME1", PixelSpacing=[0.07, 0.07])
        )
        assert not image.bright_is_high
        self._click(image, 0, at)


class TestGeometryInMacros:
    """Imager Pixel Spacing and the source distances filed in an enhanced image's functional
    groups (the X-Ray geometry macro) are used frame by frame, like the Pixel Measures."""

    def test_sid_sod_and_imager_spacing_per_frame(self, make_ds: Callable[..., Dataset]) -> None:
        """Shared IPS 0.1; frame 0 SID/SOD 660/600 (x1.10), frame 1 its own 700/500 (x1.40)."""
        pixels = np.zeros((2, 16, 20), np.uint16)
        ds = make_ds(pixels)
        ds.SharedFunctionalGroupsSequence = [
            _item(XRayGeometrySequence=[_item(ImagerPixelSpacing=[0.1, 0.1])]),
        ]
        ds.PerFrameFunctionalGroupsSequence = [
            _item(XRayGeometrySequence=[_item(DistanceSourceToDetector=660, DistanceSourceToPatient=600)]),
            _item(XRayGeometrySequence=[_item(DistanceSourceToDetector=700, DistanceSourceToPatient=500)]),
        ]
        image = MammoImage.from_dataset(ds)
        first, second = image.frame_header(0).spacing, image.frame_header(1).spacing
        assert first.source is SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD
        assert first.row_mm == pytest.approx(0.1 / 1.1) and first.col_mm == pytest.approx(0.1 / 1.1)
        assert second.source is SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD
        assert second.row_mm == pytest.approx(0.1 / 1.4)
        assert "SID/SOD 1.40" in second.label

    def test_the_frame_wins_over_the_top_level(self, make_ds: Callable[..., Dataset]) -> None:
        """A top-level Imager Pixel Spacing of 0.2 gives way to the frame's own 0.1."""
        ds = make_ds(np.zeros((1, 16, 20), np.uint16), ImagerPixelSpacing=[0.2, 0.2])
        ds.PerFrameFunctionalGroupsSequence = [
            _item(XRayGeometrySequence=[_item(ImagerPixelSpacing=[0.1, 0.1])])
        ]
        spacing = MammoImage.from_dataset(ds).frame_header(0).spacing
        assert spacing.source is SpacingSource.IMAGER_PIXEL_SPACING and spacing.row_mm == pytest.approx(0.1)

    def test_a_bad_value_in_a_macro_is_named(self, make_ds: Callable[..., Dataset]) -> None:
        """A zero distance in a macro is skipped with a note naming it, as at the top level."""
        ds = make_ds(np.zeros((1, 16, 20), np.uint16), ImagerPixelSpacing=[0.1, 0.1])
        ds.PerFrameFunctionalGroupsSequence = [
            _item(XRayGeometrySequence=[_item(DistanceSourceToDetector=0, DistanceSourceToPatient=600)])
        ]
        spacing = MammoImage.from_dataset(ds).frame_header(0).spacing
        assert spacing.source is SpacingSource.IMAGER_PIXEL_SPACING
        assert "Distance Source to Detector (0018,1110) '0.0' ignored" in (spacing.note or "")
