"""Tests of ``mammo-viewer worklist`` (viewer.headless.worklist)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from viewer.cli import main
from viewer.core.annotations import Calcification, ImageAnnotations, StudyAnnotations
from viewer.core.geometry import Spacing
from viewer.sources.worklist_status import STATUS_FILE
from viewer.store import sidecar

MG = "1.2.840.10008.5.1.4.1.1.1.2"


def write_image(path: Path, study_uid: str, lat: str, view: str, patient: str) -> str:
    """A tiny 4x4 mammogram with just the header the worklist reads."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(MG)
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = MG, ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, generate_uid()
    ds.PatientID, ds.StudyDate, ds.ImageLaterality, ds.ViewPosition = patient, "20240301", lat, view
    ds.Rows = ds.Columns = 4
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = np.zeros((4, 4), "<u2").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return str(ds.SOPInstanceUID)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Two studies; reader Alice marked 3 calcifications on the first."""
    top = tmp_path / "tree"
    for name, patient in (("one", "P1"), ("two", "P2")):
        uid = generate_uid()
        sops = [
            write_image(top / name / f"{lat}{view}.dcm", uid, lat, view, patient)
            for lat, view in (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))
        ]
        if name == "one":
            model = StudyAnnotations("Alice", uid)
            img = ImageAnnotations(sops[0], study_instance_uid=uid, rows=4, columns=4)
            model.images[img.key] = img
            for i in range(3):
                c = Calcification.create((float(i), 0.0), None, Spacing.uncalibrated())
                img.calcifications[c.id] = c
            sidecar.save(model, sidecar.sidecar_path(top / name, "Alice"))
    return top


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["worklist", *args, "--json"]) == 0
    result: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return result


class TestWorklistCommand:
    def test_json_objects(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """One object per study with path, UID, images, status and readers' counts."""
        studies = run_json(capsys, str(root))
        assert [s["path"] for s in studies] == [str(root / "one"), str(root / "two")]
        one, two = studies
        assert one["images"] == 4 and one["views"] == ["RCC", "LCC", "RMLO", "LMLO"]
        assert one["readers"] == {"Alice": {"calcifications": 3, "clusters": 0, "status": "in_progress"}}
        assert (one["status"], two["status"], two["readers"]) == ("in_progress", "new", {})
        assert isinstance(one["study_instance_uid"], str) and one["study_instance_uid"]

    def test_set_status_and_filter(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--set-status records a reader's status (mirrored in the folder); --status filters."""
        assert (
            main(
                [
                    "worklist",
                    str(root),
                    "--reader",
                    "Alice",
                    "--set-status",
                    "done",
                    "--study",
                    str(root / "one"),
                    "--quiet",
                ]
            )
            == 0
        )
        capsys.readouterr()
        assert (root / "one" / STATUS_FILE).exists()
        done = run_json(capsys, str(root), "--reader", "alice", "--status", "done")
        assert [s["path"] for s in done] == [str(root / "one")]
        unfinished = run_json(capsys, str(root), "--reader", "alice", "--status", "unfinished")
        assert [s["path"] for s in unfinished] == [str(root / "two")]

    def test_table_output(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --json a readable table ends with the study count."""
        assert main(["worklist", str(root)]) == 0
        out = capsys.readouterr().out
        assert "Alice 3/0" in out and out.strip().endswith("2 studies (readers: calcifications/clusters)")

    def test_user_errors(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing folder, an unknown status or an unknown study give a message, no traceback."""
        assert main(["worklist", str(root / "nope")]) == 2
        assert "is not a folder" in capsys.readouterr().err
        assert main(["worklist", str(root), "--status", "finished"]) == 2
        assert "unknown status 'finished'" in capsys.readouterr().err
        assert (
            main(
                ["worklist", str(root), "--reader", "a", "--set-status", "done", "--study", "9.9.9", "--json"]
            )
            == 1
        )
        assert "no indexed study is '9.9.9'" in capsys.readouterr().err
