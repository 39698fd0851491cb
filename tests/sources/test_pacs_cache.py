"""The cache of retrieved studies: complete or not, least recently used out, never the one opened."""

from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest

from viewer.dicom.demo import write_demo_study
from viewer.sources.pacs_cache import COMPLETE_MARKER, StudyCache

KEY = "server-1"


@pytest.fixture(scope="module")
def demo_datasets(tmp_path_factory: pytest.TempPathFactory) -> list[pydicom.Dataset]:
    files = write_demo_study(tmp_path_factory.mktemp("cache-demo"))
    return [pydicom.dcmread(f) for f in files]


def _fill(cache: StudyCache, study: str, datasets: list[pydicom.Dataset]) -> Path:
    for ds in datasets:
        cache.store_instance(KEY, study, ds.SeriesInstanceUID, ds.SOPInstanceUID, ds)
    return cache.mark_complete(KEY, study, [ds.SOPInstanceUID for ds in datasets])


class TestStudyCache:
    def test_complete_only_when_every_instance_is_there(
        self, tmp_path: Path, demo_datasets: list[pydicom.Dataset]
    ) -> None:
        """A study is reused only when its marker lists files that all exist."""
        cache = StudyCache(tmp_path)
        assert cache.complete_folder(KEY, "1.2.3") is None
        folder = _fill(cache, "1.2.3", demo_datasets[:2])
        assert cache.complete_folder(KEY, "1.2.3") == folder
        next(folder.glob("*/*.dcm")).unlink()
        assert cache.complete_folder(KEY, "1.2.3") is None

    def test_files_are_the_datasets(self, tmp_path: Path, demo_datasets: list[pydicom.Dataset]) -> None:
        """What the cache holds reads back as the same image, pixel for pixel."""
        folder = _fill(StudyCache(tmp_path), "1.2.3", demo_datasets[:1])
        (path,) = folder.glob("*/*.dcm")
        back = pydicom.dcmread(path)
        assert back.SOPInstanceUID == demo_datasets[0].SOPInstanceUID
        assert (back.pixel_array == demo_datasets[0].pixel_array).all()

    def test_least_recently_used_goes_first(
        self, tmp_path: Path, demo_datasets: list[pydicom.Dataset]
    ) -> None:
        """Past the limit the study used longest ago is removed; the one just used stays."""
        one = len(demo_datasets[0].PixelData) + 4096
        cache = StudyCache(tmp_path, limit_bytes=int(2.5 * one))
        a = _fill(cache, "1.1", demo_datasets[:1])
        b = _fill(cache, "1.2", demo_datasets[1:2])
        os.utime(b / COMPLETE_MARKER, (1, 1))  # b used long ago
        os.utime(a / COMPLETE_MARKER, (2, 2))
        assert cache.complete_folder(KEY, "1.1") == a  # and a is used now
        c = _fill(cache, "1.3", demo_datasets[2:3])
        assert not b.exists()
        assert a.exists() and c.exists()
        assert cache.size() <= cache.limit_bytes

    def test_the_study_opened_is_kept_even_over_the_limit(
        self, tmp_path: Path, demo_datasets: list[pydicom.Dataset]
    ) -> None:
        """A study larger than the whole limit is still kept while it is being opened."""
        cache = StudyCache(tmp_path, limit_bytes=1)
        folder = _fill(cache, "1.9", demo_datasets[:1])
        assert folder.exists()
