"""Tests of viewer.interop.csv_export."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from tests.fixtures.synthetic_study import write_study
from viewer.interop.csv_export import COLUMNS, export_csv
from viewer.interop.options import ExportOptions
from viewer.store.study_tree import AnnotatedStudy, load_studies


@pytest.fixture
def studies(tmp_path: Path) -> list[AnnotatedStudy]:
    """One synthetic study with 6 marks and a confirmed cluster."""
    write_study(tmp_path / "study")
    found, problems = load_studies(tmp_path)
    assert problems == []
    return found


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


class TestCsv:
    def test_one_row_per_mark_and_cluster(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """Six calcification rows and one cluster row, with every column."""
        rows = _read(export_csv(studies, tmp_path / "a.csv", ExportOptions())[0])
        assert [r["row_type"] for r in rows].count("calcification") == 6
        assert [r["row_type"] for r in rows].count("cluster") == 1
        assert list(rows[0]) == COLUMNS

    def test_sizes_uids_and_spacing(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """A mark's row has its UIDs, view, long axis in mm and the spacing source."""
        model = studies[0].model
        rows = _read(export_csv(studies, tmp_path / "a.csv", ExportOptions())[0])
        c0 = next(r for r in rows if r["id"] == "c0")
        img = next(i for i in model.images.values() if "c0" in i.calcifications)
        assert c0["sop_instance_uid"] == img.sop_instance_uid
        assert c0["study_instance_uid"] == model.study_instance_uid
        assert (c0["laterality"], c0["view"]) == ("L", "CC")
        assert math.isclose(float(c0["long_axis_mm"]), math.hypot(3, 3) * 0.1)
        assert c0["spacing_source"] == "imager_pixel_spacing"
        assert c0["spacing_label"] == "mm at the detector"
        assert (c0["cluster_id"], c0["cluster_state"]) == ("k1", "confirmed")
        point = next(r for r in rows if r["id"] == "p1")
        assert point["long_axis_mm"] == "" and point["view"] == "MLO"

    def test_cluster_row(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """The cluster row has its count, span in mm and descriptors."""
        rows = _read(export_csv(studies, tmp_path / "a.csv", ExportOptions())[0])
        k1 = next(r for r in rows if r["row_type"] == "cluster")
        assert k1["count"] == "5"
        # members' outlines reach from (8.5, 8.5) to (16.5, 20.5): the span of the corners
        assert math.isclose(float(k1["span_mm"]), math.hypot(8, 12) * 0.1)
        assert (k1["distribution"], k1["assessment"]) == ("grouped", "4B")

    def test_deidentified_by_default(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """Reader names become pseudonyms and notes are dropped unless identity is kept."""
        rows = _read(export_csv(studies, tmp_path / "a.csv", ExportOptions())[0])
        assert {r["reader"] for r in rows} == {"reader-1"}
        assert all(r["note"] == "" for r in rows)
        kept = _read(export_csv(studies, tmp_path / "b.csv", ExportOptions(keep_identity=True))[0])
        assert {r["reader"] for r in kept} == {"Dr. A"}
        assert "call Jane Doe back" in {r["note"] for r in kept}
