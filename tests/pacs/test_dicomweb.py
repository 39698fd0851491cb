"""The DICOMweb source against a real Orthanc: search, retrieve into the cache, open as a folder."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from tests.fixtures.orthanc_server import OrthancServer
from viewer.dicom.study import open_study
from viewer.sources.dicomweb import DicomwebServer, ServerError, is_url, parse_url
from viewer.sources.pacs_cache import StudyCache, server_key


def _demo_uid(demo_files: list[Path]) -> str:
    return str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)


class TestParseUrl:
    def test_study_url(self) -> None:
        """A study URL splits into the server's base and the Study Instance UID."""
        address = parse_url("http://127.0.0.1:8042/dicom-web/studies/1.2.840.1")
        assert address.base == "http://127.0.0.1:8042/dicom-web"
        assert address.study_uid == "1.2.840.1"
        assert address.series_uid == ""

    def test_instance_url(self) -> None:
        """An image URL names its study, series and instance."""
        address = parse_url("https://pacs.example/dw/studies/1.2/series/3.4/instances/5.6")
        assert (address.base, address.study_uid, address.series_uid, address.sop_instance_uid) == (
            "https://pacs.example/dw",
            "1.2",
            "3.4",
            "5.6",
        )

    def test_paths_are_not_urls(self, tmp_path: Path) -> None:
        """A folder is not taken for a server address."""
        assert not is_url(str(tmp_path))
        assert is_url("HTTP://host/dicom-web")
        with pytest.raises(ServerError, match="not a DICOMweb address"):
            parse_url(str(tmp_path))

    def test_server_key_drops_credentials(self) -> None:
        """A user:password@ part of a URL never becomes part of a folder name."""
        key = server_key("http://alice:secret@host:8042/dicom-web")
        assert "secret" not in key and "alice" not in key
        assert key.startswith("host_8042_dicom-web-")


class TestSearch:
    def test_lists_mammography_studies(self, orthanc: OrthancServer, demo_files: list[Path]) -> None:
        """QIDO-RS lists the demo study with its patient, date and four images."""
        found = DicomwebServer(orthanc.dicomweb).search_studies()
        demo = _demo_uid(demo_files)
        by_uid = {s.study_instance_uid: s for s in found}
        assert demo in by_uid
        header = pydicom.dcmread(demo_files[0], stop_before_pixels=True)
        assert by_uid[demo].patient_id == header.PatientID
        assert by_uid[demo].images == 4
        assert by_uid[demo].url == f"{orthanc.dicomweb}/studies/{demo}"
        assert "MG" in by_uid[demo].modalities

    def test_filters(self, orthanc: OrthancServer, demo_files: list[Path]) -> None:
        """Filters for patient and date narrow the list; a date with no study gives none."""
        header = pydicom.dcmread(demo_files[0], stop_before_pixels=True)
        server = DicomwebServer(orthanc.dicomweb)
        by_patient = server.search_studies(patient=header.PatientID)
        assert {s.study_instance_uid for s in by_patient} == {header.StudyInstanceUID}
        assert server.search_studies(date="19000101") == []

    def test_paging(self, orthanc: OrthancServer, shared_data: Path) -> None:
        """limit and offset page through the list without repeating a study."""
        # the second study is a real file's: without them (shared_data skips) there is one
        server = DicomwebServer(orthanc.dicomweb)
        every = server.search_studies()
        assert len(every) >= 2
        first = server.search_studies(limit=1)
        rest = server.search_studies(offset=1)
        assert len(first) == 1
        assert {s.study_instance_uid for s in first + rest} == {s.study_instance_uid for s in every}

    def test_unreachable_server_says_so(self) -> None:
        """A server that does not answer gives a message naming it, not a traceback."""
        from tests.fixtures.orthanc_server import free_port

        base = f"http://127.0.0.1:{free_port()}/dicom-web"
        with pytest.raises(ServerError, match="cannot be reached") as caught:
            DicomwebServer(base, connect_timeout=2).search_studies()
        assert base in str(caught.value)


class TestRetrieve:
    def test_study_opens_as_a_local_folder(
        self, orthanc: OrthancServer, demo_files: list[Path], tmp_path: Path
    ) -> None:
        """A retrieved study opens with the four views, the same pixels and spacing as the files."""
        uid = _demo_uid(demo_files)
        steps: list[tuple[int, int]] = []
        folder = DicomwebServer(orthanc.dicomweb).retrieve_study(
            uid, StudyCache(tmp_path / "cache"), progress=lambda d, t: steps.append((d, t))
        )
        assert steps[0] == (0, 4) and steps[-1] == (4, 4)
        remote = open_study([folder])
        local = open_study(demo_files)
        assert not remote.errors
        assert sorted(remote.by_view()) == sorted(local.by_view())
        for view, image in remote.by_view().items():
            twin = local.by_view()[view]
            assert image.sop_instance_uid == twin.sop_instance_uid
            assert image.spacing == twin.spacing
            assert (image.pixels(0) == twin.pixels(0)).all()

    def test_compressed_file_keeps_its_transfer_syntax(
        self, orthanc: OrthancServer, shared_data_folder: Path | None, tmp_path: Path
    ) -> None:
        """A JPEG 2000 mammogram comes back as stored (not transcoded) and decodes as the original."""
        if shared_data_folder is None:
            pytest.skip("../shared/data is missing")
        original = shared_data_folder / "wg04_MG1_J2KI.dcm"
        header = pydicom.dcmread(original, stop_before_pixels=True)
        folder = DicomwebServer(orthanc.dicomweb).retrieve_study(
            header.StudyInstanceUID, StudyCache(tmp_path / "cache")
        )
        (path,) = folder.glob("*/*.dcm")
        assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == header.file_meta.TransferSyntaxUID
        (image,) = open_study([folder]).images
        (twin,) = open_study([original]).images
        assert (image.pixels(0) == twin.pixels(0)).all()

    def test_cached_study_opens_without_the_server(
        self, own_orthanc: OrthancServer, demo_files: list[Path], tmp_path: Path
    ) -> None:
        """Once retrieved, a study reopens from the cache while the server is down."""
        uid = _demo_uid(demo_files)
        cache = StudyCache(tmp_path / "cache")
        server = DicomwebServer(own_orthanc.dicomweb, connect_timeout=2)
        first = server.retrieve_study(uid, cache)
        own_orthanc.stop()
        again = server.retrieve_study(uid, cache)
        assert again == first
        assert len(open_study([again]).by_view()) == 4

    def test_unknown_study(self, orthanc: OrthancServer, tmp_path: Path) -> None:
        """A study the server does not hold is named in the message."""
        with pytest.raises(ServerError, match=r"1\.2\.3\.4\.5 is not on"):
            DicomwebServer(orthanc.dicomweb).retrieve_study("1.2.3.4.5", StudyCache(tmp_path / "c"))
