"""Tests for viewer.sources.priors: the same patient's earlier exams found beside a study."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest

from viewer.dicom.demo import ensure_demo_study
from viewer.dicom.demo_prior import PRIOR_DATE, ensure_demo_prior
from viewer.dicom.study import open_study
from viewer.sources.priors import combine, find_priors, priors_in_index
from viewer.sources.worklist import Worklist
from viewer.sources.worklist_index import FileRecord


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    ensure_demo_study(root / "2024" / "demo-study")
    ensure_demo_prior(root / "2023" / "demo-prior")
    # Another patient's exam of the same earlier day is not a prior.
    other = root / "2023" / "someone-else"
    other.mkdir()
    for src in (root / "2023" / "demo-prior").glob("*.dcm"):
        ds = pydicom.dcmread(src)
        ds.PatientID = "SOMEONE-ELSE"
        ds.StudyInstanceUID = "1.2.3.4.5"
        ds.save_as(other / src.name)
    (other / "notes.txt").write_text("not DICOM")
    return root


class TestFindPriors:
    def test_the_demo_prior_is_found(self, root: Path) -> None:
        """From the current demo study, its prior (and only it) is found, with its four files."""
        current = open_study([root / "2024" / "demo-study"]).images[0]
        priors = find_priors(current.patient_id, current.study_date, current.study_instance_uid, [root])
        assert len(priors) == 1
        (prior,) = priors
        assert prior.study_date == PRIOR_DATE and len(prior.files) == 4
        assert "2023-01-02" in prior.title

    def test_the_prior_has_no_prior(self, root: Path) -> None:
        """The earlier exam finds nothing earlier (the current one is later)."""
        prior = open_study([root / "2023" / "demo-prior"]).images[0]
        assert find_priors(prior.patient_id, prior.study_date, prior.study_instance_uid, [root]) == []

    def test_no_patient_id_no_priors(self, root: Path) -> None:
        """Without a Patient ID or a date nothing can be called a prior."""
        assert find_priors("", "20240101", "1.2", [root]) == []
        assert find_priors("DEMO-0001", "", "1.2", [root]) == []

    def test_a_damaged_file_beside_does_not_end_the_search(self, root: Path, tmp_path: Path) -> None:
        """A truncated DICOM file (pydicom raises its BytesLengthException) is skipped, not fatal."""
        shutil.copytree(root / "2023" / "demo-prior", tmp_path / "p")
        (tmp_path / "a-truncated.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00\x01")
        assert len(find_priors("DEMO-0001", "20240101", "x", [tmp_path])) == 1

    def test_a_symlink_loop_beside_does_not_end_the_search(self, root: Path, tmp_path: Path) -> None:
        """A link pointing at itself (ELOOP when followed) is passed over."""
        shutil.copytree(root / "2023" / "demo-prior", tmp_path / "p")
        (tmp_path / "loop").symlink_to(tmp_path / "loop")
        assert len(find_priors("DEMO-0001", "20240101", "x", [tmp_path])) == 1

    def test_file_cap(self, root: Path, tmp_path: Path) -> None:
        """The walk stops after max_files headers."""
        shutil.copytree(root / "2023" / "demo-prior", tmp_path / "p")
        assert find_priors("DEMO-0001", "20240101", "x", [tmp_path], max_files=0) == []
        assert len(find_priors("DEMO-0001", "20240101", "x", [tmp_path])) == 1


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The current study and, filed far from it (deeper than the walk beside it goes), its prior."""
    root = tmp_path_factory.mktemp("share")
    ensure_demo_study(root / "screening" / "2024" / "demo-study")
    ensure_demo_prior(root / "archive" / "by-year" / "2023" / "january" / "week-1" / "demo-prior")
    return root


class TestIndexedPriors:
    def test_a_prior_filed_far_away_is_found_in_the_index(self, tree: Path, tmp_path: Path) -> None:
        """The walk beside the study misses it; the worklist index of the tree has it, with its files."""
        current = open_study([tree / "screening" / "2024" / "demo-study"]).images[0]
        args = (current.patient_id, current.study_date, current.study_instance_uid)
        assert find_priors(*args, [tree / "screening"]) == []
        worklist = Worklist(tree, index_file=tmp_path / "index.db")
        for _ in worklist.scan():
            pass
        (prior,) = worklist.priors(*args)
        assert prior.study_date == PRIOR_DATE and len(prior.files) == 4
        assert all("week-1" in str(p) for p in prior.files)
        # the prior's own prior: none (the current study is later)
        first = open_study(prior.files).images[0]
        assert worklist.priors(first.patient_id, first.study_date, first.study_instance_uid) == []

    def test_combine_keeps_one_exam_per_study(self, tree: Path, tmp_path: Path) -> None:
        """The same prior found by both searches is one exam with its four files, not eight."""
        current = open_study([tree / "screening" / "2024" / "demo-study"]).images[0]
        args = (current.patient_id, current.study_date, current.study_instance_uid)
        worklist = Worklist(tree, index_file=tmp_path / "index.db")
        for _ in worklist.scan():
            pass
        beside = find_priors(*args, [tree / "archive"])
        (exam,) = combine(beside, worklist.priors(*args))
        assert len(exam.files) == 4 and exam.study_date == PRIOR_DATE

    def test_index_records_of_other_patients_or_later_dates_are_not_priors(self) -> None:
        """Another patient, a later date, the study itself and non-image records are left out."""

        def rec(path: str, uid: str, pid: str, date: str, kind: str = "image") -> FileRecord:
            return FileRecord(path, "f", 0, 0, kind, study_uid=uid, patient_id=pid, study_date=date)

        records = [
            rec("/a/1.dcm", "1.1", "P-7", "20230101"),
            rec("/a/2.dcm", "1.1", "P-7", "20230101"),
            rec("/b/1.dcm", "1.2", "P-8", "20230101"),  # another patient
            rec("/c/1.dcm", "1.3", "P-7", "20250101"),  # later
            rec("/d/1.dcm", "1.9", "P-7", "20240101"),  # the open study itself
            rec("/e/1.dcm", "1.4", "P-7", "20220101", kind="other"),  # a report, not an image
        ]
        (prior,) = priors_in_index(records, "P-7", "20240101", "1.9")
        assert prior.study_instance_uid == "1.1" and [p.name for p in prior.files] == ["1.dcm", "2.dcm"]
        assert priors_in_index(records, "", "20240101", "1.9") == []
