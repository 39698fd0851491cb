"""Tests of viewer.interop.inbreast, read back the way public INbreast parsers read it."""

from __future__ import annotations

import plistlib
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.synthetic_study import COLUMNS, ROWS, write_study
from viewer.interop.inbreast import TYPE_CONTOUR, TYPE_POINT, export_inbreast
from viewer.interop.options import ExportOptions
from viewer.store.study_tree import AnnotatedStudy, load_studies


@pytest.fixture
def studies(tmp_path: Path) -> list[AnnotatedStudy]:
    """One synthetic study with 6 marks and a confirmed cluster."""
    write_study(tmp_path / "study")
    return load_studies(tmp_path)[0]


def _load_point(text: str) -> tuple[float, float]:
    # what the widely copied load_inbreast_mask() does with Point_px
    x, y = (float(v) for v in text.strip("()").split(","))
    return x, y


def _rois(path: Path) -> list[dict]:
    with path.open("rb") as f:
        image = plistlib.load(f, fmt=plistlib.FMT_XML)["Images"][0]
    assert image["NumberOfROIs"] == len(image["ROIs"])
    for roi in image["ROIs"]:
        assert roi["NumberOfPoints"] == len(roi["Point_px"])
    return image["ROIs"]


class TestInbreast:
    def test_one_file_per_image(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """Each annotated image gets <SOP Instance UID>.xml."""
        files = export_inbreast(studies, tmp_path / "out", ExportOptions())
        uids = {img.sop_instance_uid for img in studies[0].model.images.values()}
        assert {f.name for f in files} == {f"{u}.xml" for u in uids}

    def test_contours_points_and_cluster(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """Outlined marks are contours, point marks one point, the cluster a 'Cluster' polygon."""
        model = studies[0].model
        export_inbreast(studies, tmp_path / "out", ExportOptions())
        by_view = {img.view: img for img in model.images.values()}
        cc = _rois(tmp_path / "out" / f"{by_view['CC'].sop_instance_uid}.xml")
        assert [r["Name"] for r in cc] == ["Calcification"] * 5 + ["Cluster"]
        assert all(r["Type"] == TYPE_CONTOUR for r in cc[:5])
        outline = by_view["CC"].calcifications["c0"].outline
        assert outline is not None and [_load_point(p) for p in cc[0]["Point_px"]] == list(outline)
        assert cc[0]["Point_mm"][0] == "(0.850000, 0.850000, 0.000000)"
        mlo = _rois(tmp_path / "out" / f"{by_view['MLO'].sop_instance_uid}.xml")
        assert len(mlo) == 1 and mlo[0]["Type"] == TYPE_POINT
        assert _load_point(mlo[0]["Point_px"][0]) == (30.0, 40.0)

    def test_parser_mask_hits_the_mark(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """The parsers' point handling, mask[int(y), int(x)], lands on the marked pixel."""
        model = studies[0].model
        export_inbreast(studies, tmp_path / "out", ExportOptions())
        mlo = next(i for i in model.images.values() if i.view == "MLO")
        mask = np.zeros((ROWS, COLUMNS))
        for roi in _rois(tmp_path / "out" / f"{mlo.sop_instance_uid}.xml"):
            for x, y in (_load_point(p) for p in roi["Point_px"]):
                mask[int(y), int(x)] = 1
        assert mask[40, 30] == 1 and mask.sum() == 1

    def test_readers_in_subfolders(self, tmp_path: Path) -> None:
        """With two readers, each gets a subfolder so files do not overwrite each other."""
        write_study(tmp_path / "s1", reader="Dr. A")
        write_study(tmp_path / "s2", reader="Dr. B")
        files = export_inbreast(load_studies(tmp_path)[0], tmp_path / "out", ExportOptions())
        assert {f.parent.name for f in files} == {"reader-1", "reader-2"}
        assert len(files) == 4
