"""Tests of viewer.dicom.dicomdir: a File-set's DICOMDIR -> its files, unsafe File IDs refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from viewer.dicom.dicomdir import DicomdirError, read_dicomdir
from viewer.dicom.study import open_study

MakeFile = Callable[..., Path]
VIEWS = [("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO")]


def _file_set(make_file: MakeFile, tmp_path: Path) -> Path:
    """Four synthetic views written as a File-set by pydicom; its DICOMDIR."""
    uid = generate_uid()
    fs = FileSet()
    sources = []
    for lat, view in VIEWS:
        path = make_file(f"src_{lat}{view}.dcm", ImageLaterality=lat, ViewPosition=view, study_uid=uid)
        ds = dcmread(path)
        ds.PatientID, ds.PatientName, ds.StudyDate, ds.StudyTime = "ANON", "Anon", "20240101", "120000"
        ds.StudyID, ds.AccessionNumber, ds.SeriesNumber, ds.InstanceNumber = "1", "1", 1, 1
        fs.add(ds)
        sources.append(path)
    out = tmp_path / "cd"
    fs.write(out)
    # FileSet stages in a TemporaryDirectory it never closes: a ResourceWarning otherwise
    fs._stage["t"].cleanup()
    for path in sources:
        path.unlink()
    return out / "DICOMDIR"


def _image_records(dicomdir: Path) -> list[tuple[list[str], str]]:
    """(File ID, Referenced SOP Instance UID) of each record that names a file."""
    ds = dcmread(dicomdir)
    out = []
    for record in ds.DirectoryRecordSequence:
        if "ReferencedFileID" in record:
            value = record.ReferencedFileID
            parts = [value] if isinstance(value, str) else list(value)
            out.append((parts, str(record.ReferencedSOPInstanceUIDInFile)))
    return out


class TestReadDicomdir:
    def test_real_file_set(self) -> None:
        """pydicom's test File-set (another program wrote it): each listed file is its record's instance."""
        dicomdir = Path(str(get_testdata_file("DICOMDIR")))
        listing = read_dicomdir(dicomdir)
        records = _image_records(dicomdir)
        assert len(listing.files) == len(records) == 31 and listing.missing == []
        by_uid = {dcmread(f, stop_before_pixels=True).SOPInstanceUID: f for f in listing.files}
        for parts, uid in records:
            assert by_uid[uid] == dicomdir.parent.joinpath(*parts)

    def test_opens_the_four_views(self, make_file: MakeFile, tmp_path: Path) -> None:
        """A File-set written with pydicom opens through its DICOMDIR: all four views, no problem."""
        study = open_study([_file_set(make_file, tmp_path)])
        assert study.problems == []
        assert list(study.by_view()) == ["RCC", "LCC", "RMLO", "LMLO"]

    def test_missing_file_is_reported_and_the_rest_open(self, make_file: MakeFile, tmp_path: Path) -> None:
        """A listed file that is gone is named; the other three views open."""
        dicomdir = _file_set(make_file, tmp_path)
        parts, _uid = _image_records(dicomdir)[0]
        dicomdir.parent.joinpath(*parts).unlink()
        study = open_study([dicomdir])
        assert len(study.images) == 3
        assert [p.message for p in study.problems] == [
            f"DICOMDIR lists {'/'.join(parts)}, which does not exist"
        ]

    @pytest.mark.parametrize(
        "file_id",
        [
            ["..", "OUTSIDE.DCM"],
            ["PT000000", "..", "..", "OUTSIDE.DCM"],
            ["../OUTSIDE.DCM"],
            ["PT000000", "..", "PT000000", "ST000000", "SE000000", "IM000000"],  # stays inside: refused too
        ],
    )
    def test_dotdot_file_id_refused(self, make_file: MakeFile, tmp_path: Path, file_id: list[str]) -> None:
        """A File ID with '..' is refused with a message naming it; the file it points at is not opened."""
        dicomdir = _file_set(make_file, tmp_path)
        outside = make_file("OUTSIDE.DCM", ImageLaterality="R", ViewPosition="CC")
        target = dicomdir.parent.joinpath(*file_id).resolve()
        assert target.is_file() and target.parent in (
            outside.parent,
            dicomdir.parent / "PT000000" / "ST000000" / "SE000000",
        )
        ds = dcmread(dicomdir)
        record = next(r for r in ds.DirectoryRecordSequence if "ReferencedFileID" in r)
        record.ReferencedFileID = file_id if len(file_id) > 1 else file_id[0]
        ds.save_as(dicomdir)
        with pytest.raises(DicomdirError, match=r"points outside the DICOMDIR's folder"):
            read_dicomdir(dicomdir)
        study = open_study([dicomdir])
        assert study.images == []
        (problem,) = study.problems
        assert problem.path == dicomdir and not problem.skipped
        assert "/".join(file_id) in problem.message and "open the folder instead" in problem.message

    def test_not_a_dicomdir(self, tmp_path: Path) -> None:
        """A file named DICOMDIR that is not DICOM is one error naming it, not a traceback."""
        path = tmp_path / "DICOMDIR"
        path.write_text("not a file-set")
        study = open_study([path])
        assert study.images == []
        assert [p.message.split(" (")[0] for p in study.problems] == ["DICOMDIR: cannot read this DICOMDIR"]
