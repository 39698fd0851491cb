"""Tests of viewer.dicom.folder_studies: which studies a folder's files belong to, headers only."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.dicom_files import MakeDataset
from tests.fixtures.dicom_files import write_dicom as write
from viewer.dicom.folder_studies import folder_studies


class TestFolderStudies:
    def test_studies_of_the_files(self, tmp_path: Path, make_ds: MakeDataset) -> None:
        """Each study UID with the SOP UIDs of its files; a bare dataset (no preamble) counts too."""
        a, b = make_ds(study_uid="1.2.3"), make_ds(study_uid="1.2.4")
        write(a, tmp_path / "a.dcm")
        b.preamble = None
        del b.file_meta
        b.save_as(tmp_path / "b.dcm", enforce_file_format=False, implicit_vr=True, little_endian=True)
        assert folder_studies(tmp_path) == {"1.2.3": {a.SOPInstanceUID}, "1.2.4": {b.SOPInstanceUID}}

    def test_damaged_header_left_out_quietly(self, tmp_path: Path, make_ds: MakeDataset) -> None:
        """A header that ends inside an undefined-length value is left out, with no warning escaping
        (pydicom's 'End of file reached before delimiter' went to stderr, and failed a test run)."""
        good = make_ds(study_uid="1.2.3")
        write(good, tmp_path / "good.dcm")
        (tmp_path / "bad.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 64)
        assert folder_studies(tmp_path) == {"1.2.3": {good.SOPInstanceUID}}
