"""Tests for viewer.sources.priors: the same patient's earlier exams found beside a study."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest

from viewer.dicom.demo import ensure_demo_study
from viewer.dicom.demo_prior import PRIOR_DATE, ensure_demo_prior
from viewer.dicom.study import open_study
from viewer.sources.priors import find_priors


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

    def test_file_cap(self, root: Path, tmp_path: Path) -> None:
        """The walk stops after max_files headers."""
        shutil.copytree(root / "2023" / "demo-prior", tmp_path / "p")
        assert find_priors("DEMO-0001", "20240101", "x", [tmp_path], max_files=0) == []
        assert len(find_priors("DEMO-0001", "20240101", "x", [tmp_path])) == 1
