"""Fixtures of the PACS tests: a real Orthanc with the DICOMweb plugin, loaded with real files.

One server per test session holds the demo study and a few files of ../shared/data; tests
that stop or kill their server get their own (:func:`own_orthanc`). Skips, with the reason,
only where the Orthanc binary or its DICOMweb plugin is not installed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.orthanc_server import OrthancServer, find_orthanc
from viewer.dicom.demo import write_demo_study

SHARED_FILES = (
    "openrem_MG-Im-GE_Seno_1_ForPresentation.dcm",
    "wg04_MG1_J2KI.dcm",
    "fodicom_GH133_GE_SenographeEssential_MG.dcm",
)
"""Real mammograms put on the session's server beside the demo study (one is JPEG 2000)."""


def _require_orthanc() -> None:
    if find_orthanc() is None:
        pytest.skip(
            "Orthanc or its DICOMweb plugin is not installed "
            "(Debian: apt-get install orthanc orthanc-dicomweb; .ci/run does it)"
        )


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The built-in demo study (four views) written once for the session."""
    return write_demo_study(tmp_path_factory.mktemp("pacs-demo") / "demo-study")


@pytest.fixture(scope="session")
def orthanc(
    tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path], shared_data_folder: Path | None
) -> Iterator[OrthancServer]:
    """A running Orthanc holding the demo study and real files from ../shared/data."""
    _require_orthanc()
    server = OrthancServer(tmp_path_factory.mktemp("orthanc"))
    server.start()
    try:
        files = list(demo_files)
        if shared_data_folder is not None:
            files += [
                shared_data_folder / name for name in SHARED_FILES if (shared_data_folder / name).is_file()
            ]
        server.upload(files)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def shared_data_folder() -> Path | None:
    """../shared/data when present (the real-file uploads are left out otherwise)."""
    folder = Path(
        os.environ.get("MAMMO_VIEWER_TEST_DATA")
        or Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    )
    return folder.resolve() if folder.is_dir() else None


@pytest.fixture
def own_orthanc(tmp_path: Path, demo_files: list[Path]) -> Iterator[OrthancServer]:
    """A server of this test alone (to stop, kill or restart), holding the demo study."""
    _require_orthanc()
    server = OrthancServer(tmp_path / "orthanc")
    server.start()
    try:
        server.upload(demo_files)
        yield server
    finally:
        server.stop()
