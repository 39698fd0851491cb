"""Test-wide setup: headless Qt, a private data folder, and the shared real-file folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.real_data import real_data_folder

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The real-file folder: MAMMO_VIEWER_TEST_DATA when set (to run the suite from anywhere),
# otherwise ../shared/data from the project root.
SHARED_DATA = real_data_folder()


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's preferences, fallbacks and caches out of the real user folder."""
    monkeypatch.setenv("MAMMO_VIEWER_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))


@pytest.fixture
def shared_data() -> Path:
    """The folder of real DICOM files; skip with a reason when it is missing."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real DICOM files not found at {SHARED_DATA} "
            "(../shared/data from the project root, or set MAMMO_VIEWER_TEST_DATA)"
        )
    return SHARED_DATA.resolve()
