"""Tests of viewer.dicom.spacing: the precedence of DOMAIN.md section 3."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from viewer.core.geometry import SpacingSource
from viewer.dicom.spacing import resolve_spacing

# file -> (source, row_mm, label fragment); every file of ../shared/data with a header.
REAL_FILES = {
    "notzaki_MG_Explicit_Little.dcm": (SpacingSource.PIXEL_SPACING, 0.25, "calibrated (FIDUCIAL)"),
    "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm": (
        SpacingSource.IMAGER_PIXEL_SPACING_ERMF,
        0.085 / 1.0433386837881,
        "breast plane (ERMF 1.04)",
    ),
    "fodicom_GH133_GE_SenographeEssential_MG.dcm": (
        SpacingSource.IMAGER_PIXEL_SPACING,
        0.09409090909091,
        "at the detector (overestimates)",
    ),
    "openrem_MG-Im-GE_Seno_1_ForPresentation.dcm": (
        SpacingSource.IMAGER_PIXEL_SPACING,
        0.094090909,
        "Pixel Spacing ignored",
    ),
    "openrem_MG-Im-GE_Seno_1_ForProcessing.dcm": (
        SpacingSource.IMAGER_PIXEL_SPACING,
        0.094090909,
        "Pixel Spacing ignored",
    ),
    # ERMF 1.073 but no Imager Pixel Spacing: nothing to divide
    "openrem_MG-Im-Hologic-PropProj.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    "fodicom_CR-ModalitySequenceLUT.dcm": (SpacingSource.IMAGER_PIXEL_SPACING, 0.15, "at the detector"),
    "wg04_MG1_J2KI.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    "wg04_RG3_J2KR.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    "wg04_RG3_JLSN.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    "wg04_RG3_JPLL.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    "wg04_RG3_RLE.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    "pydicomdata_vlut_04.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    "dwv_tid1500_sr-ruler.dcm": (SpacingSource.NONE, None, "px (uncalibrated)"),
    # a CR with Pixel Spacing only: nothing to compare it with, so it is taken as written
    "wg04_RG2_JPLY.dcm": (SpacingSource.PIXEL_SPACING, 0.2, "mm (Pixel Spacing)"),
}


class TestRealFiles:
    """Every real file resolves to the spacing its header implies."""

    def test_every_shared_file_is_covered(self, shared_data: Path) -> None:
        """No file in ../shared/data is missing from the expectations."""
        assert {p.name for p in shared_data.glob("*.dcm")} == set(REAL_FILES)

    @pytest.mark.parametrize("name", sorted(REAL_FILES))
    def test_source_value_and_label(self, shared_data: Path, name: str) -> None:
        """Source, row spacing and label match the expected rule."""
        source, row_mm, label = REAL_FILES[name]
        spacing = resolve_spacing(dcmread(shared_data / name, stop_before_pixels=True))
        assert spacing.source is source
        assert label in spacing.label
        if row_mm is None:
            assert spacing.row_mm is None
        else:
            assert spacing.row_mm == pytest.approx(row_mm, rel=1e-9)
            assert spacing.col_mm == pytest.approx(row_mm, rel=1e-9)


def _ds(**attributes: object) -> Dataset:
    ds = Dataset()
    for key, value in attributes.items():
        setattr(ds, key, value)
    return ds


class TestRules:
    """The five rules, one synthetic header each."""

    def test_geometry_calibration(self) -> None:
        """Pixel Spacing with GEOMETRY is 'corrected to the breast plane'."""
        s = resolve_spacing(
            _ds(
                PixelSpacing=[0.07, 0.07],
                ImagerPixelSpacing=[0.1, 0.1],
                PixelSpacingCalibrationType="GEOMETRY",
            )
        )
        assert (s.source, s.row_mm, s.calibration_type) == (SpacingSource.PIXEL_SPACING, 0.07, "GEOMETRY")
        assert s.label == "mm corrected to the breast plane (GEOMETRY)"

    def test_pixel_spacing_differing_from_ips(self) -> None:
        """A plausible Pixel Spacing different from IPS was corrected by the modality."""
        s = resolve_spacing(_ds(PixelSpacing=[0.065, 0.07], ImagerPixelSpacing=[0.07, 0.07]))
        assert (s.source, s.row_mm, s.col_mm) == (SpacingSource.PIXEL_SPACING, 0.065, 0.07)
        assert s.label == "mm corrected by the modality"

    def test_pixel_spacing_equal_to_ips_is_at_the_detector(self) -> None:
        """Pixel Spacing equal to IPS corrects nothing: the IPS rules apply."""
        s = resolve_spacing(
            _ds(
                PixelSpacing=[0.1, 0.1],
                ImagerPixelSpacing=[0.1, 0.1],
                EstimatedRadiographicMagnificationFactor=1.1,
            )
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING_ERMF
        assert s.row_mm == pytest.approx(0.1 / 1.1)

    def test_pixel_spacing_alone(self) -> None:
        """Pixel Spacing without IPS is used as the file says."""
        s = resolve_spacing(_ds(PixelSpacing=[0.2, 0.1]))
        assert (s.source, s.row_mm, s.col_mm) == (SpacingSource.PIXEL_SPACING, 0.2, 0.1)

    def test_distances_give_the_magnification(self) -> None:
        """Without ERMF, SID / SOD is the magnification."""
        s = resolve_spacing(
            _ds(ImagerPixelSpacing=[0.1, 0.1], DistanceSourceToDetector=660, DistanceSourceToPatient=600)
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING_ERMF
        assert s.ermf == pytest.approx(1.1)
        assert s.row_mm == pytest.approx(0.1 * 600 / 660)
        assert s.label == "mm at the breast plane (ERMF 1.10)"

    def test_anisotropic_imager_spacing_keeps_row_col_order(self) -> None:
        """(row, col) order survives the ERMF division."""
        s = resolve_spacing(_ds(ImagerPixelSpacing=[0.2, 0.1], EstimatedRadiographicMagnificationFactor=2.0))
        assert (s.row_mm, s.col_mm) == (0.1, 0.05)

    @pytest.mark.parametrize("bad", [[0, 0], ["abc", "1"], [-0.1, 0.1], ["nan", "nan"]])
    def test_unusable_values_are_ignored(self, bad: list[object]) -> None:
        """Zero, negative, non-numeric spacings fall through to 'uncalibrated'."""
        ds = Dataset()
        ds.add_new(0x00280030, "DS", None)
        ds[0x00280030]._value = bad
        assert resolve_spacing(ds).source is SpacingSource.NONE

    def test_enhanced_pixel_measures(self) -> None:
        """Pixel Spacing in the Shared Functional Groups of a multi-frame image counts."""
        measures = _ds(PixelSpacing=[0.085, 0.085])
        shared = _ds(PixelMeasuresSequence=[measures])
        s = resolve_spacing(_ds(SharedFunctionalGroupsSequence=[shared]))
        assert (s.source, s.row_mm) == (SpacingSource.PIXEL_SPACING, 0.085)
