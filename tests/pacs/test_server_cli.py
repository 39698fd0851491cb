"""The headless commands with DICOMweb URLs, against a real Orthanc."""

from __future__ import annotations

from pathlib import Path

import orjson
import pydicom
import pytest

from tests.fixtures.orthanc_server import OrthancServer
from tests.fixtures.pacs_clients import add_mark, open_from_server, open_store
from viewer.cli import main
from viewer.sources.dicomweb import DicomwebServer
from viewer.sources.orthanc_rest import OrthancRest
from viewer.sources.server_status import set_status
from viewer.sources.worklist_status import Status


@pytest.fixture
def study_uid(demo_files: list[Path]) -> str:
    return str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)


class TestWorklistOfAServer:
    def test_json_rows(
        self, orthanc: OrthancServer, study_uid: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """worklist BASE --json lists the mammography studies with a folder worklist's fields."""
        assert main(["worklist", orthanc.dicomweb, "--json"]) == 0
        rows = orjson.loads(capsys.readouterr().out)
        demo = [r for r in rows if r["study_instance_uid"] == study_uid]
        assert len(demo) == 1
        for field in (
            "path",
            "patient_id",
            "study_id",
            "study_date",
            "description",
            "images",
            "status",
            "readers",
        ):
            assert field in demo[0]
        assert demo[0]["path"] == f"{orthanc.dicomweb}/studies/{study_uid}"
        assert demo[0]["images"] == 4

    def test_status_from_the_server(
        self, own_orthanc: OrthancServer, study_uid: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each reader's status kept on Orthanc is in the row, and the study's over them."""
        set_status(OrthancRest(own_orthanc.dicomweb), study_uid, "Alice", Status.DONE)
        assert main(["worklist", own_orthanc.dicomweb, "--json"]) == 0
        (row,) = orjson.loads(capsys.readouterr().out)
        assert row["status"] == "done"
        assert row["readers"]["Alice"]["status"] == "done"

    def test_unreachable(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A server that does not answer: exit 1 and a sentence naming it."""
        from tests.fixtures.orthanc_server import free_port

        base = f"http://127.0.0.1:{free_port()}/dicom-web"
        assert main(["worklist", base, "--json"]) == 1
        assert "cannot be reached" in capsys.readouterr().err


class TestFileCommandsTakeUrls:
    def test_info_of_a_study_url(
        self, orthanc: OrthancServer, study_uid: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """info takes a study URL: the four images with their views and spacing."""
        assert main(["info", f"{orthanc.dicomweb}/studies/{study_uid}", "--json"]) == 0
        out = orjson.loads(capsys.readouterr().out)
        assert sorted(item["view_label"] for item in out) == ["LCC", "LMLO", "RCC", "RMLO"]

    def test_info_of_an_image_url(
        self, orthanc: OrthancServer, demo_files: list[Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An instance URL names one image."""
        ds = pydicom.dcmread(demo_files[1], stop_before_pixels=True)
        url = (
            f"{orthanc.dicomweb}/studies/{ds.StudyInstanceUID}"
            f"/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
        )
        assert main(["info", url, "--json"]) == 0
        (item,) = orjson.loads(capsys.readouterr().out)
        assert item["sop_instance_uid"] == ds.SOPInstanceUID


class TestExportToServer:
    def test_publish_every_reader(
        self, own_orthanc: OrthancServer, study_uid: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """export URL --format sr --to BASE stores one report per reader kept on the server."""
        study = open_from_server(own_orthanc.dicomweb, study_uid, tmp_path / "cache")
        for i, reader in enumerate(("Alice", "Bob")):
            store = open_store(tmp_path / f"pc{i}", own_orthanc.dicomweb, study_uid, reader)
            model = store.load()
            add_mark(model, study, i)
            assert store.save(model).sent
        url = f"{own_orthanc.dicomweb}/studies/{study_uid}"
        assert main(["export", url, "--format", "sr", "--to", own_orthanc.dicomweb]) == 0
        assert capsys.readouterr().out.count("as DICOM SR") == 2
        kinds = [r.sop_class_uid for r in DicomwebServer(own_orthanc.dicomweb).instances(study_uid)]
        assert kinds.count("1.2.840.10008.5.1.4.1.1.88.34") == 2

    def test_to_needs_sr(self, orthanc: OrthancServer, capsys: pytest.CaptureFixture[str]) -> None:
        """--to with another format is refused with the reason."""
        assert main(["export", "x", "--format", "csv", "--to", orthanc.dicomweb]) == 2
        assert "DICOM SR only" in capsys.readouterr().err
