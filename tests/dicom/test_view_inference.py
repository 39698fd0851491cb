"""Tests of viewer.dicom.view_inference: laterality and view from wherever a dataset put them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from viewer.core.display_transform import DisplayTransform
from viewer.dicom.image import MammoImage
from viewer.dicom.view_inference import infer_view, view_from_text

MakeFile = Callable[..., Path]


class TestViewFromText:
    """The names people give files and series."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Mass-Test_P_00173_LEFT_CC", ("L", "CC")),
            ("Calc-Training_P_00005_RIGHT_MLO", ("R", "MLO")),
            ("case12_L_CC_2", ("L", "CC")),
            ("RMLO", ("R", "MLO")),
            ("lcc", ("L", "CC")),
            ("R CC magnified", ("R", "CC")),
            ("L XCCL", ("L", "XCCL")),
            ("MLO", (None, "MLO")),
            ("left breast", ("L", None)),
        ],
    )
    def test_names(self, text: str, expected: tuple[str | None, str | None]) -> None:
        """Each spelling gives its side and view."""
        assert view_from_text(text) == expected

    @pytest.mark.parametrize("text", ["1-130", "L 12345", "at the clinic", "Mammo bilateral", "RCC and LCC"])
    def test_nothing_or_ambiguous(self, text: str) -> None:
        """A lone L, an English word, both sides or two views name nothing."""
        side, view = view_from_text(text)
        assert (side, view) in ((None, None), (None, "CC"))
        assert view_from_text("RCC and LMLO") == (None, None)


class TestInferView:
    """The order of the sources, and the one recorded."""

    def test_header_wins(self) -> None:
        """Image Laterality and View Position: source dicom, the file name is not read."""
        ds = Dataset()
        ds.ImageLaterality, ds.ViewPosition = "R", "CC"
        result = infer_view(ds, Path("LMLO.dcm"))
        assert (result.laterality, result.view, result.source) == ("R", "CC", "dicom")

    def test_cbis_patient_orientation(self) -> None:
        """CBIS-DDSM: Laterality in the header, the view only in Patient Orientation."""
        ds = Dataset()
        ds.Laterality, ds.PatientOrientation = "L", "MLO"
        ds.PatientID = "Mass-Test_P_00173_LEFT_MLO"
        result = infer_view(ds, Path("1-131.dcm"))
        assert (result.label, result.source) == ("LMLO", "patient_orientation")

    def test_directions_are_not_views(self) -> None:
        """A standard Patient Orientation (P\\L) names no view and no side."""
        ds = Dataset()
        ds.PatientOrientation = ["P", "L"]
        assert infer_view(ds, Path("1.dcm")).source is None

    def test_description_then_file_name_then_patient_id(self) -> None:
        """Series Description before the file name before the Patient ID."""
        ds = Dataset()
        ds.SeriesDescription = "L CC"
        assert infer_view(ds, Path("RMLO.dcm")).label == "LCC"
        assert infer_view(ds, Path("RMLO.dcm")).source == "description"
        del ds.SeriesDescription
        ds.PatientID = "P_1_LEFT_CC"
        assert infer_view(ds, Path("RMLO.dcm")).label == "RMLO"
        assert infer_view(ds, Path("x.dcm")).label == "LCC"
        assert infer_view(ds, Path("x.dcm")).source == "file_name"

    def test_weakest_source_recorded(self) -> None:
        """Side from the header and view from the file name: the file name is the source."""
        ds = Dataset()
        ds.ImageLaterality = "R"
        result = infer_view(ds, Path("study_MLO.dcm"))
        assert (result.label, result.source) == ("RMLO", "file_name")


class TestImageView:
    """MammoImage carries the inferred view, its caption, and the reader's correction."""

    def test_file_name_caption(self, make_file: MakeFile) -> None:
        """A file named LEFT_CC with no view attributes reads 'LCC (from file name)'."""
        image = MammoImage.open(make_file("P_7_LEFT_CC.dcm"))
        assert (image.view_label, image.view_source) == ("LCC", "file_name")
        assert image.view_caption == "LCC (from file name)"

    def test_reader_correction(self, make_file: MakeFile) -> None:
        """set_view replaces the label and records the reader as the source."""
        image = MammoImage.open(make_file("unknown.dcm"))
        assert image.view_label == "??" and image.view_source is None
        image.set_view("R", "MLO")
        assert (image.view_label, image.view_caption) == ("RMLO", "RMLO (set by the reader)")
        with pytest.raises(ValueError, match="laterality"):
            image.set_view("X", "CC")

    def test_real_files(self, shared_data: Path) -> None:
        """Real files with proper attributes stay 'dicom'; one without any stays unknown."""
        ge = MammoImage.open(shared_data / "fodicom_GH133_GE_SenographeEssential_MG.dcm")
        assert (ge.view_label, ge.view_source) == ("RMLO", "dicom")
        jply = MammoImage.open(shared_data / "wg04_RG2_JPLY.dcm")
        assert (jply.laterality, jply.view, jply.view_source) == (None, None, None)


class TestQuarterTurn:
    """Patient Orientation that a left-right mirror cannot put right turns the image, and says so."""

    def test_siemens_stereo_file(self, shared_data: Path) -> None:
        """The Siemens stereo file (L CC, R\\P) is turned a quarter clockwise with a note; a normal
        P\\L mammogram gets no note."""
        siemens = MammoImage.open(
            shared_data / "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm"
        )
        assert siemens.hanging_transform == DisplayTransform(1)
        assert siemens.orientation_note == (
            "Patient Orientation R\\P: stored a quarter turn from the reading orientation; "
            "turned 90° clockwise to read"
        )
        notzaki = MammoImage.open(shared_data / "notzaki_MG_Explicit_Little.dcm")
        assert notzaki.orientation_note is None
