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
    # Pixel Spacing 74.7\\46.6 (a header error, ratio ~800 to IPS): a note says so
    "openrem_MG-Im-GE_Seno_1_ForPresentation.dcm": (
        SpacingSource.IMAGER_PIXEL_SPACING,
        0.094090909,
        "at the detector (overestimates)",
    ),
    "openrem_MG-Im-GE_Seno_1_ForProcessing.dcm": (
        SpacingSource.IMAGER_PIXEL_SPACING,
        0.094090909,
        "at the detector (overestimates)",
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
        if name.startswith("openrem_MG-Im-GE_Seno_1"):
            assert "Pixel Spacing (0028,0030) '74.708182\\46.575000' ignored" in spacing.note
        else:
            assert spacing.note == ""
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

    def test_anisotropic_imager_spacing_keeps_row_col_order(self) -> None:
        """(row, col) order survives the ERMF division."""
        s = resolve_spacing(_ds(ImagerPixelSpacing=[0.2, 0.1], EstimatedRadiographicMagnificationFactor=2.0))
        assert (s.row_mm, s.col_mm) == (0.1, 0.05)

    def test_enhanced_pixel_measures(self) -> None:
        """Pixel Spacing in the Shared Functional Groups of a multi-frame image counts."""
        measures = _ds(PixelSpacing=[0.085, 0.085])
        shared = _ds(PixelMeasuresSequence=[measures])
        s = resolve_spacing(_ds(SharedFunctionalGroupsSequence=[shared]))
        assert (s.source, s.row_mm) == (SpacingSource.PIXEL_SPACING, 0.085)


def _raw(tag: int, vr: str, value: object, ds: Dataset | None = None) -> Dataset:
    """A dataset holding ``value`` unvalidated, as a careless writer would leave it."""
    ds = ds if ds is not None else Dataset()
    ds.add_new(tag, vr, None)
    ds[tag]._value = value
    return ds


PS, IPS, ERMF, SID, SOD = 0x00280030, 0x00181164, 0x00181114, 0x00181110, 0x00181111


class TestCalibratedPixelSpacingWins:
    """A calibration type is the modality's statement: no plausibility check applies to it."""

    @pytest.mark.parametrize("calibration", ["GEOMETRY", "FIDUCIAL"])
    def test_wins_when_larger_than_ips(self, calibration: str) -> None:
        """PS 5 % above IPS (implausible if uncalibrated) is used when calibrated."""
        s = resolve_spacing(
            _ds(
                PixelSpacing=[0.105, 0.105],
                ImagerPixelSpacing=[0.1, 0.1],
                PixelSpacingCalibrationType=calibration,
            )
        )
        assert (s.source, s.row_mm, s.calibration_type) == (SpacingSource.PIXEL_SPACING, 0.105, calibration)
        assert s.note == ""

    def test_wins_over_a_large_ratio_and_an_ermf(self) -> None:
        """FIDUCIAL PS at 0.4 x IPS beats both the plausibility range and the ERMF."""
        s = resolve_spacing(
            _ds(
                PixelSpacing=[0.04, 0.04],
                ImagerPixelSpacing=[0.1, 0.1],
                PixelSpacingCalibrationType="FIDUCIAL",
                EstimatedRadiographicMagnificationFactor=1.1,
            )
        )
        assert (s.source, s.row_mm, s.label) == (
            SpacingSource.PIXEL_SPACING,
            0.04,
            "mm calibrated (FIDUCIAL)",
        )

    def test_calibration_in_the_pixel_measures_item(self) -> None:
        """An enhanced image's calibration type next to its Pixel Spacing counts."""
        measures = _ds(PixelSpacing=[0.105, 0.105], PixelSpacingCalibrationType="GEOMETRY")
        s = resolve_spacing(
            _ds(
                ImagerPixelSpacing=[0.1, 0.1],
                SharedFunctionalGroupsSequence=[_ds(PixelMeasuresSequence=[measures])],
            )
        )
        assert (s.source, s.row_mm, s.calibration_type) == (SpacingSource.PIXEL_SPACING, 0.105, "GEOMETRY")

    def test_unknown_calibration_type_is_checked_like_none(self) -> None:
        """A calibration type outside the defined terms does not exempt PS from the check."""
        s = resolve_spacing(
            _ds(PixelSpacing=[0.3, 0.3], ImagerPixelSpacing=[0.1, 0.1], PixelSpacingCalibrationType="MAGIC")
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING
        assert "Pixel Spacing Calibration Type (0028,0A02) 'MAGIC'" in s.note
        assert "Pixel Spacing (0028,0030) '0.3\\0.3' ignored" in s.note


class TestUncalibratedPlausibility:
    """An uncalibrated PS is a correction only with a PS/IPS ratio within 0.5-1.02."""

    @pytest.mark.parametrize("ratio", [0.5, 0.8, 0.9995, 1.015, 1.02])
    def test_plausible_ratios_are_a_correction(self, ratio: float) -> None:
        """Ratios at and inside the bounds (1.015 too: a few % above IPS) are used."""
        s = resolve_spacing(_ds(PixelSpacing=[0.1 * ratio, 0.1 * ratio], ImagerPixelSpacing=[0.1, 0.1]))
        if ratio == 0.9995:  # within DS rounding: the same as IPS, nothing was corrected
            assert s.source is SpacingSource.IMAGER_PIXEL_SPACING
        else:
            assert (s.source, s.label) == (SpacingSource.PIXEL_SPACING, "mm corrected by the modality")
            assert s.row_mm == pytest.approx(0.1 * ratio)
        assert s.note == ""

    @pytest.mark.parametrize("ratio", [0.4, 0.49, 1.03, 3.0])
    def test_implausible_ratios_fall_to_ips_with_a_note(self, ratio: float) -> None:
        """0.4 (a naive 1/3 limit accepts it) and 1.03 are header errors: IPS, and a note."""
        value = round(0.1 * ratio, 6)
        s = resolve_spacing(
            _ds(
                PixelSpacing=[value, value],
                ImagerPixelSpacing=[0.1, 0.1],
                EstimatedRadiographicMagnificationFactor=1.1,
            )
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING_ERMF
        assert s.row_mm == pytest.approx(0.1 / 1.1)
        assert f"Pixel Spacing (0028,0030) '{value}\\{value}' ignored" in s.note
        assert "outside 0.5-1.02" in s.note

    def test_one_implausible_axis_is_enough(self) -> None:
        """A ratio good on rows but not on columns is still a header error."""
        s = resolve_spacing(_ds(PixelSpacing=[0.09, 0.3], ImagerPixelSpacing=[0.1, 0.1]))
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING
        assert "ignored" in s.note


class TestMagnification:
    """Rule 3: ERMF > 1, else SID / SOD > 1; a factor outside 1.0-3.0 is refused."""

    def test_distances_give_the_magnification(self) -> None:
        """Without ERMF, SID / SOD gives the breast plane, labelled as SID/SOD (not as ERMF)."""
        s = resolve_spacing(
            _ds(ImagerPixelSpacing=[0.1, 0.1], DistanceSourceToDetector=660, DistanceSourceToPatient=600)
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD
        assert s.source.value == "imager_pixel_spacing_sid_sod"
        assert s.ermf == pytest.approx(1.1)
        assert s.row_mm == pytest.approx(0.1 * 600 / 660)
        assert s.label == "mm at the breast plane (SID/SOD 1.10)"
        assert s.short_label == "SID/SOD 1.10"

    def test_ermf_of_one_lets_the_distances_decide(self) -> None:
        """ERMF 1.0 with SID/SOD 1.1 (a naive 'ERMF present' rule stops at 1.0) uses SID/SOD."""
        s = resolve_spacing(
            _ds(
                ImagerPixelSpacing=[0.1, 0.1],
                EstimatedRadiographicMagnificationFactor=1.0,
                DistanceSourceToDetector=660,
                DistanceSourceToPatient=600,
            )
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD
        assert s.row_mm == pytest.approx(0.1 / 1.1)

    def test_ermf_above_one_wins_over_the_distances(self) -> None:
        """A usable ERMF is the modality's estimate: it beats SID/SOD."""
        s = resolve_spacing(
            _ds(
                ImagerPixelSpacing=[0.1, 0.1],
                EstimatedRadiographicMagnificationFactor=1.2,
                DistanceSourceToDetector=660,
                DistanceSourceToPatient=600,
            )
        )
        assert (s.source, s.ermf) == (SpacingSource.IMAGER_PIXEL_SPACING_ERMF, 1.2)

    def test_equal_distances_are_contact(self) -> None:
        """SID = SOD (GE writes 660/660) gives factor 1: at the detector, no note."""
        s = resolve_spacing(
            _ds(ImagerPixelSpacing=[0.1, 0.1], DistanceSourceToDetector=660, DistanceSourceToPatient=660)
        )
        assert (s.source, s.note) == (SpacingSource.IMAGER_PIXEL_SPACING, "")

    @pytest.mark.parametrize("ermf", [40.0, 3.5, 0.8])
    def test_ermf_outside_range_is_refused_and_distances_used(self, ermf: float) -> None:
        """ERMF 40 (a unit error) is refused with a note; SID/SOD, the next rule, applies."""
        s = resolve_spacing(
            _ds(
                ImagerPixelSpacing=[0.1, 0.1],
                EstimatedRadiographicMagnificationFactor=ermf,
                DistanceSourceToDetector=650,
                DistanceSourceToPatient=625,
            )
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD
        assert s.row_mm == pytest.approx(0.1 * 625 / 650)
        assert f"Estimated Radiographic Magnification Factor (0018,1114) {ermf:g} refused" in s.note

    def test_ermf_outside_range_without_distances_is_the_detector(self) -> None:
        """ERMF 40 alone: at the detector (dividing by 40 would shrink sizes 40 times)."""
        s = resolve_spacing(_ds(ImagerPixelSpacing=[0.1, 0.1], EstimatedRadiographicMagnificationFactor=40))
        assert (s.source, s.row_mm) == (SpacingSource.IMAGER_PIXEL_SPACING, 0.1)
        assert "(0018,1114) 40 refused: outside 1.0-3.0" in s.note

    @pytest.mark.parametrize(("sid", "sod"), [(660, 60), (660, 700)])
    def test_distances_outside_range_are_refused(self, sid: float, sod: float) -> None:
        """SOD in cm (factor 11) or beyond the detector (factor < 1): refused, at the detector."""
        s = resolve_spacing(
            _ds(ImagerPixelSpacing=[0.1, 0.1], DistanceSourceToDetector=sid, DistanceSourceToPatient=sod)
        )
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING
        assert (
            f"Distance Source to Detector (0018,1110) {sid} / Distance Source to Patient (0018,1111) {sod}"
            in s.note
        )
        assert "refused" in s.note

    def test_the_note_travels_with_a_later_rule(self) -> None:
        """A refused ERMF's note is kept when SID/SOD wins, and info --json-able in to_dict."""
        s = resolve_spacing(
            _ds(
                ImagerPixelSpacing=[0.1, 0.1],
                EstimatedRadiographicMagnificationFactor=40,
                DistanceSourceToDetector=660,
                DistanceSourceToPatient=600,
            )
        )
        assert s.to_dict()["note"] == s.note
        assert type(s).from_dict(s.to_dict()) == s


class TestBadValues:
    """Nonsense gives a note naming the attribute and the value, never an exception."""

    @pytest.mark.parametrize(
        ("bad", "shown"),
        [
            ([0, 0], "0\\0"),
            (["abc", "1"], "abc\\1"),
            ([-0.1, 0.1], "-0.1\\0.1"),
            (["nan", "nan"], "nan\\nan"),
        ],
    )
    def test_unusable_pixel_spacing(self, bad: list[object], shown: str) -> None:
        """Zero, negative, text, NaN Pixel Spacing: named in the note, IPS used."""
        ds = _raw(PS, "DS", bad, _ds(ImagerPixelSpacing=[0.1, 0.1]))
        s = resolve_spacing(ds)
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING
        assert f"Pixel Spacing (0028,0030) '{shown}' ignored" in s.note

    def test_unusable_imager_pixel_spacing_alone(self) -> None:
        """A NaN IPS and nothing else: pixels only, with the reason."""
        s = resolve_spacing(_raw(IPS, "DS", ["nan", "0.1"]))
        assert s.source is SpacingSource.NONE
        assert "Imager Pixel Spacing (0018,1164) 'nan\\0.1' ignored" in s.note

    def test_three_values_are_not_a_pair(self) -> None:
        """Pixel Spacing with three values is not a (row, col) pair."""
        s = resolve_spacing(_raw(PS, "DS", ["0.1", "0.1", "0.1"]))
        assert s.source is SpacingSource.NONE
        assert "'0.1\\0.1\\0.1' ignored" in s.note

    @pytest.mark.parametrize("bad", ["0", "-1.1", "nan", "abc"])
    def test_unusable_ermf_lets_the_distances_decide(self, bad: str) -> None:
        """ERMF 0, negative, NaN, text: named in the note; SID/SOD is used."""
        ds = _raw(ERMF, "DS", bad, _ds(ImagerPixelSpacing=[0.1, 0.1]))
        ds.DistanceSourceToDetector, ds.DistanceSourceToPatient = 660, 600
        s = resolve_spacing(ds)
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD
        assert f"Estimated Radiographic Magnification Factor (0018,1114) '{bad}' ignored" in s.note

    def test_zero_distance(self) -> None:
        """A Distance Source to Patient of 0 (a division by zero for a naive rule) is named."""
        ds = _raw(SOD, "DS", "0", _ds(ImagerPixelSpacing=[0.1, 0.1], DistanceSourceToDetector=660))
        s = resolve_spacing(ds)
        assert s.source is SpacingSource.IMAGER_PIXEL_SPACING
        assert "Distance Source to Patient (0018,1111) '0' ignored" in s.note

    def test_no_note_on_a_clean_header(self) -> None:
        """A header with nothing wrong carries no note."""
        s = resolve_spacing(_ds(ImagerPixelSpacing=[0.1, 0.1], EstimatedRadiographicMagnificationFactor=1.08))
        assert s.note == ""


class TestMultiFrame:
    """Enhanced images: Pixel Measures per frame first, then shared, then the top level."""

    def _enhanced(self, per_frame: list[float | None], shared: float | None = None) -> Dataset:
        frames = [
            _ds(PixelMeasuresSequence=[_ds(PixelSpacing=[v, v])]) if v is not None else _ds()
            for v in per_frame
        ]
        ds = _ds(PerFrameFunctionalGroupsSequence=frames, PixelSpacing=[0.5, 0.5])
        if shared is not None:
            ds.SharedFunctionalGroupsSequence = [
                _ds(PixelMeasuresSequence=[_ds(PixelSpacing=[shared, shared])])
            ]
        return ds

    def test_each_frame_its_own_spacing(self) -> None:
        """Frame 1 reads its own Pixel Measures, not frame 0's nor the top level's."""
        ds = self._enhanced([0.1, 0.2])
        assert [resolve_spacing(ds, f).row_mm for f in (0, 1)] == [0.1, 0.2]

    def test_shared_where_a_frame_has_none(self) -> None:
        """A frame without its own Pixel Measures takes the shared ones."""
        ds = self._enhanced([0.1, None], shared=0.3)
        assert [resolve_spacing(ds, f).row_mm for f in (0, 1)] == [0.1, 0.3]

    def test_top_level_last(self) -> None:
        """No functional group holds a spacing: the top-level Pixel Spacing applies."""
        assert resolve_spacing(self._enhanced([None, None]), 1).row_mm == 0.5
