"""Tests of viewer.dicom.study: files, folders, DICOMDIR, problems, hanging views."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom.uid import generate_uid

from viewer.dicom.study import open_studies, open_study

MakeFile = Callable[..., Path]


def _four_views(make_file: MakeFile, study_uid: str, prefix: str = "") -> list[Path]:
    views = [("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO")]
    return [
        make_file(f"{prefix}{lat}{view}.dcm", ImageLaterality=lat, ViewPosition=view, study_uid=study_uid)
        for lat, view in views
    ]


class TestOpenStudy:
    """open_study never raises for one bad file and reports every problem."""

    def test_shared_folder(self, shared_data: Path) -> None:
        """The real files: 11 images (the 12-bit JPEG included), SR skipped as a note, three errors."""
        study = open_study([shared_data])
        assert len(study.images) == 11
        notes = {p.path.name for p in study.problems if p.skipped}
        errors = {p.path.name: p.message for p in study.errors}
        assert notes == {"dwv_tid1500_sr-ruler.dcm"}
        assert set(errors) == {
            "openrem_MG-Im-GE_Seno_1_ForPresentation.dcm",
            "openrem_MG-Im-GE_Seno_1_ForProcessing.dcm",
            "openrem_MG-Im-Hologic-PropProj.dcm",
        }
        assert errors["openrem_MG-Im-Hologic-PropProj.dcm"].startswith(
            "openrem_MG-Im-Hologic-PropProj.dcm: this file has no image data"
        )
        assert study.folder == shared_data

    def test_by_view_and_series(self, make_file: MakeFile, tmp_path: Path) -> None:
        """Four synthetic views land in their hanging slots; the sidecar JSON is ignored."""
        uid = generate_uid()
        _four_views(make_file, uid)
        (tmp_path / "annotations.json").write_text("{}")
        study = open_study([tmp_path])
        assert study.problems == []
        assert list(study.by_view()) == ["RCC", "LCC", "RMLO", "LMLO"]
        assert study.study_instance_uid == uid
        assert sum(len(v) for v in study.series().values()) == 4

    def test_files_the_viewer_writes_are_not_reported(self, make_file: MakeFile, tmp_path: Path) -> None:
        """Recovery, lock, temp and worklist-cache files beside the images are no problem at all."""
        _four_views(make_file, generate_uid())
        for name in ("mammo-annotations.dr.json.recovery", "x.json.lock", ".x.json.tmp", "index.db"):
            (tmp_path / name).write_bytes(b"not dicom")
        study = open_study([tmp_path])
        assert study.problems == []
        assert len(study.images) == 4

    def test_bad_file_given_by_name_is_an_error(self, make_file: MakeFile, tmp_path: Path) -> None:
        """A non-DICOM file named explicitly is an error; the good file still opens."""
        good = make_file("good.dcm")
        bad = tmp_path / "bad.dcm"
        bad.write_bytes(b"\x00" * 300)
        study = open_study([good, bad])
        assert [i.path.name for i in study.images] == ["good.dcm"]
        assert [(p.path.name, p.skipped) for p in study.problems] == [("bad.dcm", False)]
        assert study.problems[0].message == "bad.dcm: not a DICOM file"

    def test_stray_file_in_folder_is_a_note(self, make_file: MakeFile, tmp_path: Path) -> None:
        """A non-DICOM file met while walking a folder is a note, not an error."""
        make_file("good.dcm")
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "stray.dat").write_bytes(b"junk" * 100)
        study = open_study([tmp_path])
        assert len(study.images) == 1 and study.errors == []
        assert study.problems[0].skipped

    def test_same_file_twice_opens_once(self, make_file: MakeFile, tmp_path: Path) -> None:
        """A file given directly and through its folder is one image."""
        path = make_file("one.dcm")
        assert len(open_study([path, tmp_path]).images) == 1

    def test_preferred_image_per_view(self, make_file: MakeFile) -> None:
        """A plain For Presentation view wins over a For Processing one of the same view."""
        uid = generate_uid()
        make_file(
            "a_proc.dcm",
            ImageLaterality="R",
            ViewPosition="CC",
            study_uid=uid,
            PresentationIntentType="FOR PROCESSING",
        )
        make_file("b_pres.dcm", ImageLaterality="R", ViewPosition="CC", study_uid=uid)
        study = open_study([make_file("c.dcm").parent])
        assert study.by_view()["RCC"].path.name == "b_pres.dcm"

    def test_empty_input(self, tmp_path: Path) -> None:
        """An empty folder gives an empty study, not an exception."""
        study = open_study([tmp_path])
        assert study.images == [] and study.problems == [] and study.study_instance_uid == ""


class TestOpenStudies:
    """Grouping by Study Instance UID."""

    def test_two_studies(self, make_file: MakeFile, tmp_path: Path) -> None:
        """Images of two studies split into two Study objects."""
        first, second = generate_uid(), generate_uid()
        _four_views(make_file, first, prefix="a_")
        _four_views(make_file, second, prefix="b_")
        studies = open_studies([tmp_path])
        assert sorted(s.study_instance_uid for s in studies) == sorted([first, second])
        assert all(len(s.images) == 4 for s in studies)


def test_copy_of_real_file_with_suffix_opens(shared_data: Path, tmp_path: Path) -> None:
    """A DICOM file without the .dcm suffix in a folder still opens (no suffix rule)."""
    shutil.copy(shared_data / "wg04_RG3_RLE.dcm", tmp_path / "IM0001")
    study = open_study([tmp_path])
    assert len(study.images) == 1
    assert study.images[0].pixels().shape == (1760, 1760)
    assert np.issubdtype(study.images[0].pixels().dtype, np.integer)
