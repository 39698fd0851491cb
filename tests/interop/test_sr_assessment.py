"""The BI-RADS category of a cluster in the SR (PS3.16 CID 6027) and read back from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

import highdicom as hd
import pydicom
import pytest
from pydicom.sr._concepts_dict import concepts
from pydicom.sr.codedict import codes

from tests.fixtures.dciodvfy import dciodvfy_errors
from tests.fixtures.synthetic_study import write_study
from viewer.core.reading import CATEGORIES
from viewer.interop.options import ExportOptions
from viewer.interop.sr import ASSESSMENT_CATEGORY, ASSESSMENT_CODES, CALCIFICATION_CLUSTER, export_sr
from viewer.interop.sr_read import read_report
from viewer.store.study_tree import AnnotatedStudy, load_studies


def _with_category(tmp_path: Path, category: str | None) -> tuple[AnnotatedStudy, Path]:
    """The synthetic study with its cluster k1 set to ``category``, and the SR written from it."""
    write_study(tmp_path / "study")
    (study,) = load_studies(tmp_path)[0]
    image = next(i for i in study.model.images.values() if "k1" in i.clusters)
    image.clusters["k1"] = dataclasses.replace(image.clusters["k1"], assessment=category)
    files, messages = export_sr([study], tmp_path / "out", ExportOptions())
    assert messages == [] and len(files) == 1
    return study, files[0]


class TestAssessmentCodes:
    def test_every_category_has_a_code(self) -> None:
        """Each category of the model has one code, no two alike, every meaning fits an LO (64)."""
        assert set(ASSESSMENT_CODES) == set(CATEGORIES)
        pairs = {(c.value, c.scheme_designator) for c in ASSESSMENT_CODES.values()}
        assert len(pairs) == len(CATEGORIES)
        assert all(len(c.meaning) <= 64 for c in ASSESSMENT_CODES.values())

    def test_snomed_codes_are_pydicoms(self) -> None:
        """0, 1, 2, 3 and 5 are pydicom's SNOMED CT "Mammography assessment (Category n)" concepts."""
        for category in ("0", "1", "2", "3", "5"):
            code = ASSESSMENT_CODES[category]
            assert code.scheme_designator == "SCT"
            sct = cast("dict[str, dict[str, object]]", concepts["SCT"])
            (name,) = [n for n, by_value in sct.items() if code.value in by_value]
            assert name.startswith(f"MammographyAssessmentCategory{category}")

    def test_subcategories_and_6_from_the_birads_scheme(self) -> None:
        """4A, 4B, 4C and 6, which SNOMED CT lacks, are CID 6027's BI-RADS codes with the scheme's version."""
        for category in ("4A", "4B", "4C", "6"):
            code = ASSESSMENT_CODES[category]
            assert (code.scheme_designator, code.scheme_version) == ("BI", "4.0")
            assert code.value.startswith("MA.II.A.5.") and code.meaning.startswith(f"{category} - ")

    def test_concept_name(self) -> None:
        """The evaluation is named (111005, DCM, "Assessment Category"), as TID 4002/4203 use CID 6027."""
        assert (ASSESSMENT_CATEGORY.value, ASSESSMENT_CATEGORY.scheme_designator) == ("111005", "DCM")
        assert codes.DCM.AssessmentCategory == ASSESSMENT_CATEGORY


class TestAssessmentInTheReport:
    @pytest.mark.parametrize("category", list(CATEGORIES))
    def test_written_and_read_back(self, tmp_path: Path, category: str) -> None:
        """The cluster's category is in its measurement group, the SR passes dciodvfy, reloads in
        highdicom and reads back as the same category."""
        _, path = _with_category(tmp_path, category)
        sr = hd.sr.srread(path)
        assert isinstance(sr.content, hd.sr.MeasurementReport)
        (group,) = [
            g
            for g in sr.content.get_planar_roi_measurement_groups()
            if g.finding_type == CALCIFICATION_CLUSTER
        ]
        (evaluation,) = group.get_qualitative_evaluations(name=ASSESSMENT_CATEGORY)
        written, code = ASSESSMENT_CODES[category], evaluation.value
        assert isinstance(code, hd.sr.CodedConcept)
        assert (code.value, code.scheme_designator, code.meaning) == (
            written.value,
            written.scheme_designator,
            written.meaning,
        )
        assert dciodvfy_errors(path) == []
        reading = read_report(path)
        (again,) = [c for i in reading.model.images.values() for c in i.clusters.values()]
        assert again.assessment == category

    def test_no_category_no_evaluation(self, tmp_path: Path) -> None:
        """A cluster without a category has no Assessment Category item and reads back without one."""
        _, path = _with_category(tmp_path, None)
        ds = pydicom.dcmread(path)
        names = {i.ConceptNameCodeSequence[0].CodeValue for i in _items(ds) if "ConceptNameCodeSequence" in i}
        assert "111005" not in names
        (again,) = [c for i in read_report(path).model.images.values() for c in i.clusters.values()]
        assert again.assessment is None

    def test_unknown_category_code_reads_as_none(self, tmp_path: Path) -> None:
        """Another tool's plain "4 - Suspicious" (SCT 397144001) has no category here: none, not a guess."""
        _, path = _with_category(tmp_path, "4A")
        ds = pydicom.dcmread(path)
        for item in _items(ds):
            if "ConceptCodeSequence" in item and item.ConceptCodeSequence[0].CodeValue == "MA.II.A.5.4A":
                code = item.ConceptCodeSequence[0]
                code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = (
                    "397144001",
                    "SCT",
                    "4 - Suspicious",
                )
                del code.CodingSchemeVersion
        ds.save_as(tmp_path / "plain4.dcm")
        (again,) = [
            c for i in read_report(tmp_path / "plain4.dcm").model.images.values() for c in i.clusters.values()
        ]
        assert again.assessment is None


def _items(ds: pydicom.Dataset) -> list[pydicom.Dataset]:
    out: list[pydicom.Dataset] = []
    for item in ds.get("ContentSequence", []):
        out.append(item)
        out += _items(item)
    return out
