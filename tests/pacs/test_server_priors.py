"""A server study's priors found on the server, retrieved into the cache and hung beside it (real Orthanc)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.orthanc_server import OrthancServer
from viewer.dicom.demo_prior import ensure_demo_prior
from viewer.qt.main_window import MainWindow
from viewer.sources.pacs_cache import StudyCache
from viewer.sources.server_priors import priors_on_server
from viewer.store.locations import DATA_DIR_VARIABLE


@pytest.fixture(scope="module")
def prior_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return ensure_demo_prior(tmp_path_factory.mktemp("server-prior") / "demo-prior")


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path], prior_files: list[Path]
) -> Iterator[OrthancServer]:
    """An Orthanc holding the demo study and its prior a year earlier (same patient)."""
    server = OrthancServer(tmp_path_factory.mktemp("prior-orthanc"))
    try:
        server.start()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    try:
        server.upload([*demo_files, *prior_files])
        yield server
    finally:
        server.stop()


def _header(path: Path) -> pydicom.Dataset:
    return pydicom.dcmread(path, stop_before_pixels=True)


class TestServerPriors:
    def test_found_and_retrieved(
        self, archive: OrthancServer, demo_files: list[Path], prior_files: list[Path], tmp_path: Path
    ) -> None:
        """The patient's earlier study comes back with its four images in the cache; not the study itself."""
        current, prior = _header(demo_files[0]), _header(prior_files[0])
        assert current.PatientID == prior.PatientID and prior.StudyDate < current.StudyDate
        found = priors_on_server(
            archive.dicomweb,
            current.PatientID,
            current.StudyDate,
            current.StudyInstanceUID,
            StudyCache(tmp_path / "cache"),
        )
        assert [p.study_instance_uid for p in found] == [prior.StudyInstanceUID]
        assert len(found[0].files) == 4 and all(f.is_file() for f in found[0].files)
        assert {_header(f).SOPInstanceUID for f in found[0].files} == {
            _header(f).SOPInstanceUID for f in prior_files
        }

    def test_none_before_the_first_exam(
        self, archive: OrthancServer, prior_files: list[Path], tmp_path: Path
    ) -> None:
        prior = _header(prior_files[0])
        found = priors_on_server(
            archive.dicomweb,
            prior.PatientID,
            prior.StudyDate,
            prior.StudyInstanceUID,
            StudyCache(tmp_path / "c"),
        )
        assert found == []

    def test_unreachable_server_gives_none(self, tmp_path: Path) -> None:
        assert (
            priors_on_server("http://127.0.0.1:9/dicom-web", "P1", "20240101", "1.2", StudyCache(tmp_path))
            == []
        )

    def test_hung_beside_the_server_study(
        self,
        qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        archive: OrthancServer,
        demo_files: list[Path],
        prior_files: list[Path],
    ) -> None:
        """Opened from the server, the study's prior is found there and offered in the window."""
        monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
        window = MainWindow(reader="Dr Prior")
        window.interactive = False
        qtbot.addWidget(window)
        window.show()
        url = f"{archive.dicomweb}/studies/{_header(demo_files[0]).StudyInstanceUID}"
        assert window.server_opening.open_url(url)
        qtbot.waitUntil(lambda: not window.server_opening.busy, timeout=60000)
        assert window.study is not None, window.last_message
        assert window.protocols.wait_for_prior(60.0)
        assert window.protocols.prior_study is not None, window.last_message
        assert window.protocols.prior_study.study_instance_uid == _header(prior_files[0]).StudyInstanceUID
        window.close()
