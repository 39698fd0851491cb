"""Tests of the INbreast import: the published layout, our own export read back, bad input."""

from __future__ import annotations

import json
import math
import plistlib
from functools import partial
from pathlib import Path

import pytest
from pydicom.uid import generate_uid

from tests.fixtures.synthetic_study import write_image, write_study
from viewer.cli import main
from viewer.core.annotations import Calcification, ImageAnnotations, StudyAnnotations
from viewer.interop.imports import ImportFailedError, import_labels
from viewer.interop.inbreast import export_inbreast
from viewer.interop.options import ExportOptions
from viewer.store.session import AnnotationStore
from viewer.store.sidecar import load, sidecar_path
from viewer.store.study_tree import load_studies


def _roi(name: str, points: list[tuple[float, float]]) -> dict:
    return {
        "Name": name,
        "NumberOfPoints": len(points),
        "Point_px": [f"({x:.6f}, {y:.6f})" for x, y in points],
        "Type": 19 if len(points) == 1 else 15,
    }


def _xml(path: Path, rois: list[dict]) -> Path:
    """An OsiriX ROI plist as INbreast ships it (Images[0].ROIs)."""
    data = {"Images": [{"ImageIndex": 0, "NumberOfROIs": len(rois), "ROIs": rois}]}
    path.write_bytes(plistlib.dumps(data, fmt=plistlib.FMT_XML))
    return path


def _only_image(model: StudyAnnotations) -> ImageAnnotations:
    (img,) = [i for i in model.images.values() if i.calcifications or i.clusters]
    return img


class TestInbreastLayout:
    """A file named after the DICOM file's leading id, as in the dataset."""

    @pytest.fixture
    def study(self, tmp_path: Path) -> Path:
        folder = tmp_path / "AllDICOMs"
        folder.mkdir()
        write_image(
            folder, "22678622_d3c2f6e8b1c2a4b5_MG_L_CC_ANON.dcm", generate_uid(), generate_uid(), "L", "CC"
        )
        return folder

    def test_marks_clusters_and_skipped(self, study: Path, tmp_path: Path) -> None:
        """Points and outlines become marks, the cluster holds the marks inside it, a mass is skipped."""
        xml = _xml(
            tmp_path / "22678622.xml",
            [
                _roi("Calcification", [(10.0, 12.0)]),
                _roi("Calcification", [(20.0, 20.0), (21.0, 21.0)]),
                _roi("Calcification", [(30.0, 40.0), (33.0, 40.0), (33.0, 43.0), (30.0, 43.0)]),
                _roi("Cluster", [(5.0, 5.0), (25.0, 5.0), (25.0, 25.0), (5.0, 25.0)]),
                _roi("Mass", [(1.0, 1.0), (4.0, 1.0), (4.0, 4.0)]),
            ],
        )
        result = import_labels(study, "inbreast", xml)
        assert (result.images, result.calcifications, result.clusters) == (1, 3, 1)
        assert [s.reason for s in result.skipped] == ["'Mass' is not a calcification or cluster ROI"]
        img = _only_image(load(sidecar_path(study, "inbreast")))
        centres = sorted(c.center for c in img.calcifications.values())
        assert centres == [(10.0, 12.0), (20.5, 20.5), (31.5, 41.5)]
        outlined = [c for c in img.calcifications.values() if c.outline is not None]
        assert len(outlined) == 1 and outlined[0].sizes is not None
        assert outlined[0].sizes.long_axis_mm == pytest.approx(0.3 * 2**0.5)
        (cluster,) = img.clusters.values()
        inside = {img.calcifications[m].center for m in cluster.member_ids}
        assert inside == {(10.0, 12.0), (20.5, 20.5)}
        assert cluster.confirmed and cluster.imported == "inbreast:22678622.xml"
        assert all(c.imported == "inbreast:22678622.xml" for c in img.calcifications.values())

    def test_reimport_replaces(self, study: Path, tmp_path: Path) -> None:
        """Importing the same file twice leaves one copy of its marks."""
        xml = _xml(tmp_path / "22678622.xml", [_roi("Calcification", [(10.0, 12.0)])])
        import_labels(study, "inbreast", xml)
        import_labels(study, "inbreast", xml)
        assert len(_only_image(load(sidecar_path(study, "inbreast"))).calcifications) == 1

    def test_bad_input(self, study: Path, tmp_path: Path) -> None:
        """Malformed XML, an unknown id, a point off the image: each a line; the rest imported."""
        folder = tmp_path / "AllXML"
        folder.mkdir()
        (folder / "broken.xml").write_text("<plist><dict><key>Images</key>")
        _xml(folder / "99999999.xml", [_roi("Calcification", [(1.0, 1.0)])])
        _xml(
            folder / "22678622.xml",
            [_roi("Calcification", [(1.0, 1.0)]), _roi("Calcification", [(500.0, 9.0)])],
        )
        result = import_labels(study, "inbreast", folder)
        assert result.calcifications == 1
        reasons = {s.where.split(" ")[0]: s.reason for s in result.skipped}
        assert reasons["broken.xml"].startswith("cannot be read as an OsiriX ROI file")
        assert reasons["99999999.xml"] == "no image of AllDICOMs matches 99999999 or 99999999"
        assert reasons["22678622.xml"] == "outside the image (48x64 pixels)"

    def test_locked_file_is_not_touched(self, study: Path, tmp_path: Path) -> None:
        """A reader's file held by another instance: nothing written, the reason said."""
        xml = _xml(tmp_path / "22678622.xml", [_roi("Calcification", [(10.0, 12.0)])])
        import_labels(study, "inbreast", xml)
        before = sidecar_path(study, "inbreast").read_bytes()
        holder = AnnotationStore.open(study, "inbreast", "")
        try:
            with pytest.raises(ImportFailedError, match="cannot write"):
                import_labels(
                    study, "inbreast", _xml(tmp_path / "22678622.xml", [_roi("Calcification", [(3.0, 3.0)])])
                )
        finally:
            holder.close()
        assert sidecar_path(study, "inbreast").read_bytes() == before

    def test_cli_json(self, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """``mammo-viewer import --json`` prints the counts and the skipped lines."""
        xml = _xml(
            tmp_path / "22678622.xml", [_roi("Calcification", [(10.0, 12.0)]), _roi("Mass", [(1.0, 1.0)])]
        )
        code = main(
            ["import", str(study), "--format", "inbreast", "--from", str(xml), "--reader", "A", "--json"]
        )
        doc = json.loads(capsys.readouterr().out)
        assert code == 0
        assert (doc["images"], doc["calcifications"], doc["clusters"]) == (1, 1, 0)
        assert doc["skipped"] == [
            {"where": "22678622.xml ROI 2 (Mass)", "reason": "'Mass' is not a calcification or cluster ROI"}
        ]
        assert sidecar_path(study, "A").is_file()


def _distance(a: Calcification, b: Calcification) -> float:
    return math.dist(a.center, b.center)


class TestRoundTrip:
    """export --format inbreast, then import --format inbreast: every mark and membership back."""

    def test_export_then_import(self, tmp_path: Path) -> None:
        """Centres within 0.5 px, outlines kept, the cluster holds the same marks."""
        original = write_study(tmp_path / "study")
        studies, _ = load_studies(tmp_path / "study")
        export_inbreast(studies, tmp_path / "xml", ExportOptions())
        result = import_labels(tmp_path / "study", "inbreast", tmp_path / "xml", reader="back")
        assert result.skipped == []
        back = load(sidecar_path(tmp_path / "study", "back"))
        for key, img in original.images.items():
            got = back.images[key]
            assert len(got.calcifications) == len(img.calcifications)
            pairs = {}
            for calc in img.calcifications.values():
                match = min(got.calcifications.values(), key=partial(_distance, calc))
                assert (
                    abs(match.center[0] - calc.center[0]) <= 0.5
                    and abs(match.center[1] - calc.center[1]) <= 0.5
                )
                assert (match.outline is None) == (calc.outline is None)
                pairs[calc.id] = match.id
            want = [sorted(pairs[m] for m in c.member_ids) for c in img.clusters.values() if c.confirmed]
            have = [sorted(c.member_ids) for c in got.clusters.values()]
            assert have == want
