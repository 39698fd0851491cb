"""Tests of viewer.interop.sr: TID 1500 reports that reload and validate with highdicom."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from tests.fixtures.synthetic_study import write_study
from viewer.interop.options import ExportOptions
from viewer.interop.sr import (
    CALCIFICATION_CLUSTER,
    INDIVIDUAL_CALCIFICATION,
    SourceHeaders,
    export_sr,
)
from viewer.store.study_tree import AnnotatedStudy, load_studies


@pytest.fixture
def studies(tmp_path: Path) -> list[AnnotatedStudy]:
    """One synthetic study with 6 marks and a confirmed cluster."""
    write_study(tmp_path / "study")
    return load_studies(tmp_path)[0]


def _export(
    studies: list[AnnotatedStudy], out: Path, options: ExportOptions | None = None
) -> hd.sr.Comprehensive3DSR:
    files, messages = export_sr(studies, out, options or ExportOptions())
    assert messages == [] and len(files) == 1
    sr = hd.sr.srread(files[0])
    assert isinstance(sr, hd.sr.Comprehensive3DSR)
    return sr


def _groups(sr: hd.sr.Comprehensive3DSR, finding: object) -> list:
    assert isinstance(sr.content, hd.sr.MeasurementReport)
    groups = sr.content.get_planar_roi_measurement_groups()
    return [g for g in groups if g.finding_type == finding]


class TestSr:
    def test_reloads_as_tid1500(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """The file reloads as a Comprehensive 3D SR with one group per mark and cluster."""
        sr = _export(studies, tmp_path / "out")
        assert sr.SOPClassUID == pydicom.uid.Comprehensive3DSRStorage
        assert sr.StudyInstanceUID == studies[0].model.study_instance_uid
        assert len(_groups(sr, INDIVIDUAL_CALCIFICATION)) == 6
        assert len(_groups(sr, CALCIFICATION_CLUSTER)) == 1
        # round trip through highdicom's own parser and validation of the content tree
        again = hd.sr.Comprehensive3DSR.from_dataset(pydicom.dcmread(next((tmp_path / "out").iterdir())))
        assert isinstance(again.content, hd.sr.MeasurementReport)
        assert len(again.content.get_planar_roi_measurement_groups()) == 7

    def test_outline_and_lengths(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """A mark's outline is a closed polyline shifted +0.5, its long axis a Length in mm."""
        model = studies[0].model
        cc = next(i for i in model.images.values() if i.view == "CC")
        calc = cc.calcifications["c0"]
        sr = _export(studies, tmp_path / "out")
        group = next(
            g for g in _groups(sr, INDIVIDUAL_CALCIFICATION) if g.tracking_identifier == "calcification c0"
        )
        assert calc.outline is not None and calc.sizes is not None and calc.sizes.long_axis_mm is not None
        expected = np.asarray([*list(calc.outline), calc.outline[0]]) + 0.5
        np.testing.assert_allclose(group.roi.value, expected)
        assert group.roi.graphic_type == hd.sr.GraphicTypeValues.POLYLINE
        ref = group.roi.ContentSequence[0].ReferencedSOPSequence[0]  # the SCOORD's IMAGE item
        assert ref.ReferencedSOPInstanceUID == cc.sop_instance_uid
        lengths = {m.name.meaning: (m.value, m.unit.value) for m in group.get_measurements()}
        assert math.isclose(lengths["Length"][0], calc.sizes.long_axis_mm)
        assert lengths["Length"][1] == "mm" and lengths["Area"][1] == "mm2"

    def test_cluster_group(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """The cluster carries its span in mm and its number of calcifications."""
        sr = _export(studies, tmp_path / "out")
        (group,) = _groups(sr, CALCIFICATION_CLUSTER)
        values = {m.name.meaning: m.value for m in group.get_measurements()}
        assert values["Number of calcifications"] == 5
        assert math.isclose(values["Length"], math.hypot(8, 12) * 0.1)

    def test_point_mark(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """A point-only mark is a POINT without measurements."""
        sr = _export(studies, tmp_path / "out")
        group = next(
            g for g in _groups(sr, INDIVIDUAL_CALCIFICATION) if g.tracking_identifier == "calcification p1"
        )
        assert group.roi.graphic_type == hd.sr.GraphicTypeValues.POINT
        np.testing.assert_allclose(group.roi.value, [[30.5, 40.5]])
        assert group.get_measurements() == []

    def test_deidentified_by_default(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """Patient attributes of the source are emptied unless identity is kept."""
        sr = _export(studies, tmp_path / "a")
        assert str(sr.PatientName) == "" and sr.PatientID == "" and sr.StudyDate == ""
        assert sr.PatientIdentityRemoved == "YES"
        kept = _export(studies, tmp_path / "b", ExportOptions(keep_identity=True))
        assert str(kept.PatientName) == "Doe^Jane" and kept.PatientID == "PID-0001"

    def test_missing_image_reported(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """Marks on an image that is not in the folder are left out with a message naming it."""
        mlo = next(i for i in studies[0].model.images.values() if i.view == "MLO")
        (tmp_path / "study" / "mlo.dcm").unlink()
        files, messages = export_sr(studies, tmp_path / "out", ExportOptions())
        assert len(files) == 1
        assert len(messages) == 1 and mlo.sop_instance_uid in messages[0]

    def test_foreign_sr_in_folder_ignored(self, studies: list[AnnotatedStudy], shared_data: Path) -> None:
        """A real SR file from another viewer in the study folder is not taken for an image."""
        folder = studies[0].folder
        shutil.copy(shared_data / "dwv_tid1500_sr-ruler.dcm", folder / "other-viewer-sr.dcm")
        (folder / "notes.txt").write_text("not DICOM")
        headers = SourceHeaders(folder)
        for img in studies[0].model.images.values():
            assert headers.get(img.sop_instance_uid) is not None
        sr_uid = pydicom.dcmread(folder / "other-viewer-sr.dcm").SOPInstanceUID
        assert headers.get(sr_uid) is None
