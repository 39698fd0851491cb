"""Tests of viewer.sources.pixel_cache and the cached decode jobs: same pixels, torn entries, eviction."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom import dcmread

from viewer.dicom.decode import DecodeError, decode_frame
from viewer.sources import decode_jobs
from viewer.sources.decode_jobs import decode_cached, decode_pyramid_cached, fill_cache
from viewer.sources.pixel_cache import ENTRY_SUFFIX, STALE_TEMP_S, CacheKey, PixelCache


def _decodable(folder: Path) -> list[Path]:
    """The files of ``folder`` with pixel data this machine decodes."""
    found = []
    for path in sorted(folder.glob("*.dcm")):
        ds = dcmread(path, stop_before_pixels=True)
        if "SOPInstanceUID" not in ds or "Rows" not in ds:
            continue
        try:
            decode_frame(path)
        except DecodeError:
            continue
        found.append(path)
    return found


def _uid(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def _image(seed: int, shape: tuple[int, int] = (300, 260)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    base = 1800 + 700 * np.sin(x / 31.0 + seed) * np.cos(y / 47.0)
    return np.clip(base + rng.normal(0, 9, shape), 0, 4095).astype(np.uint16)


def _written(cache: PixelCache, key: CacheKey, timeout: float = 30.0) -> None:
    """Wait for the loader job's deferred cache write of ``key`` (decode_jobs.store_later)."""
    deadline = time.monotonic() + timeout
    while not cache.contains(key):
        assert time.monotonic() < deadline, "the cache entry was never written"
        time.sleep(0.01)


def _key(n: int) -> CacheKey:
    return CacheKey(f"1.2.3.{n}", 0, 1, n, 1000 + n, 10**18 + n)


@pytest.fixture
def cache(tmp_path: Path) -> PixelCache:
    return PixelCache(tmp_path / "cache", limit_bytes=1 << 30)


class TestSamePixels:
    """The cache never changes what is displayed."""

    def test_every_syntax_of_the_shared_files(self, shared_data: Path, cache: PixelCache) -> None:
        """For each real file: the second decode comes from the cache and equals a fresh decode exactly."""
        paths = _decodable(shared_data)
        syntaxes = {str(dcmread(p, stop_before_pixels=True).file_meta.TransferSyntaxUID) for p in paths}
        assert len(syntaxes) >= 5, syntaxes  # J2K lossless and lossy, JPEG-LS, JPEG lossless, RLE, raw...
        for path in paths:
            fresh = decode_frame(path)
            first, hit_first = decode_cached(path, 0, _uid(path), cache)
            again, hit_again = decode_cached(path, 0, _uid(path), cache)
            assert not hit_first and hit_again, path.name
            assert again.dtype == fresh.dtype and again.shape == fresh.shape, path.name
            np.testing.assert_array_equal(again, fresh, err_msg=path.name)
            np.testing.assert_array_equal(first, fresh, err_msg=path.name)

    def test_cached_frame_needs_no_decoder(
        self, shared_data: Path, cache: PixelCache, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Once cached, a JPEG 2000 frame is read back with the original decoder out of reach."""
        path = shared_data / "wg04_MG1_J2KI.dcm"
        fresh, _ = decode_cached(path, 0, _uid(path), cache)

        def no_decoder(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the original decoder was used")

        monkeypatch.setattr(decode_jobs, "decode_frame", no_decoder)
        again, hit = decode_cached(path, 0, _uid(path), cache)
        assert hit
        np.testing.assert_array_equal(again, fresh)

    def test_pyramid_job_from_cache_equals_fresh(self, shared_data: Path, cache: PixelCache) -> None:
        """The loader's job gives the same levels from the cache as from the decoder."""
        path = str(shared_data / "wg04_RG3_J2KR.dcm")
        uid = _uid(Path(path))
        args = (path, 0, (0, 4095), "<u2")
        fresh = decode_pyramid_cached(*args, sop_instance_uid=uid, cache=None)
        decode_pyramid_cached(*args, sop_instance_uid=uid, cache=cache)
        _written(cache, CacheKey.of(path, uid, 0))
        cached = decode_pyramid_cached(*args, sop_instance_uid=uid, cache=cache)
        assert isinstance(fresh, list) and isinstance(cached, list) and len(fresh) == len(cached)
        for a, b in zip(fresh, cached, strict=True):
            np.testing.assert_array_equal(a, b)

    def test_pyramid_job_returns_before_the_cache_write(
        self, shared_data: Path, cache: PixelCache, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The loader's job delivers its levels while the cache entry is being written; it lands whole."""
        path = str(shared_data / "wg04_RG3_J2KR.dcm")
        uid = _uid(Path(path))
        release = threading.Event()
        real_put = PixelCache.put

        def slow_put(self: PixelCache, key: CacheKey, frame: np.ndarray) -> bool:
            assert release.wait(30.0)
            return real_put(self, key, frame)

        monkeypatch.setattr(PixelCache, "put", slow_put)
        levels = decode_pyramid_cached(path, 0, (0, 4095), "<u2", sop_instance_uid=uid, cache=cache)
        key = CacheKey.of(path, uid, 0)
        assert isinstance(levels, list) and not cache.contains(key)  # delivered, not yet written
        release.set()
        _written(cache, key)
        np.testing.assert_array_equal(decode_cached(path, 0, uid, cache)[0], levels[0])

    def test_changed_file_misses(self, tmp_path: Path, shared_data: Path, cache: PixelCache) -> None:
        """A file written again (new modification time) is decoded again, not read from the cache."""
        path = tmp_path / "copy.dcm"
        path.write_bytes((shared_data / "wg04_RG3_RLE.dcm").read_bytes())
        uid = _uid(path)
        decode_cached(path, 0, uid, cache)
        assert decode_cached(path, 0, uid, cache)[1]
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert not decode_cached(path, 0, uid, cache)[1]

    def test_prefetch_fills_the_cache(self, shared_data: Path, cache: PixelCache) -> None:
        """fill_cache decodes a file into the cache once; the open then hits."""
        path = shared_data / "wg04_RG3_JLSN.dcm"
        assert fill_cache(str(path), cache) == 1
        assert fill_cache(str(path), cache) == 0
        assert cache.contains(CacheKey.of(path, _uid(path), 0))
        assert decode_cached(path, 0, _uid(path), cache)[1]

    def test_prefetch_of_a_non_dicom_file_is_skipped(self, tmp_path: Path, cache: PixelCache) -> None:
        """A file that is not DICOM is skipped quietly: opening it will say why."""
        path = tmp_path / "notes.dcm"
        path.write_text("not an image")
        assert fill_cache(str(path), cache) == 0
        assert cache.size_bytes() == 0


class TestTornEntries:
    """A torn or corrupt entry is never used: it is deleted and rebuilt."""

    def test_truncated_entry_is_rebuilt(self, shared_data: Path, cache: PixelCache) -> None:
        path = shared_data / "wg04_RG3_JPLL.dcm"
        uid = _uid(path)
        fresh, _ = decode_cached(path, 0, uid, cache)
        entry = cache.path_of(CacheKey.of(path, uid, 0))
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
        assert cache.get(CacheKey.of(path, uid, 0)) is None
        assert not entry.exists()
        again, hit = decode_cached(path, 0, uid, cache)
        assert not hit
        np.testing.assert_array_equal(again, fresh)
        assert decode_cached(path, 0, uid, cache)[1]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(cut=st.integers(min_value=0), flip=st.integers(min_value=0), mode=st.sampled_from(["cut", "flip"]))
    def test_any_damage_is_detected(self, cache: PixelCache, cut: int, flip: int, mode: str) -> None:
        """Cut anywhere, or one byte changed anywhere: get() refuses the entry (never other pixels)."""
        frame = _image(3)
        key = _key(1)
        assert cache.put(key, frame)
        entry = cache.path_of(key)
        data = bytearray(entry.read_bytes())
        if mode == "cut":
            data = data[: cut % len(data)]
        else:
            data[flip % len(data)] ^= 0x5A
        entry.write_bytes(bytes(data))
        got = cache.get(key)
        assert got is None  # the header (key, shape, dtype) and the payload are all checked
        assert not entry.exists()

    def test_leftover_temporary_file_is_ignored_then_removed(self, cache: PixelCache) -> None:
        """A process killed mid-write leaves a temporary file: never read, removed once stale."""
        key = _key(2)
        cache.folder.mkdir(parents=True)
        tmp = cache.folder / f".{key.name}.999.abcd.tmp"
        tmp.write_bytes(b"MVPC half written")
        assert cache.get(key) is None
        cache.evict()
        assert tmp.exists()  # another process may still be writing it
        old = time.time() - STALE_TEMP_S - 10
        os.utime(tmp, (old, old))
        cache.evict()
        assert not tmp.exists()

    def test_entry_of_another_key_is_not_used(self, cache: PixelCache) -> None:
        """An entry renamed to another key's name (a copy mistake) is refused."""
        cache.put(_key(3), _image(3))
        os.replace(cache.path_of(_key(3)), cache.path_of(_key(4)))
        assert cache.get(_key(4)) is None

    def test_unwritable_folder_costs_only_speed(self, tmp_path: Path, shared_data: Path) -> None:
        """A cache folder that cannot be made: decoding works, nothing is cached."""
        blocker = tmp_path / "file"
        blocker.write_text("x")
        cache = PixelCache(blocker / "cache")
        path = shared_data / "wg04_RG3_RLE.dcm"
        arr, hit = decode_cached(path, 0, _uid(path), cache)
        assert not hit and arr.shape == decode_frame(path).shape
        assert not decode_cached(path, 0, _uid(path), cache)[1]


class TestEviction:
    """The folder stays under its limit; the least recently used entries go first."""

    def test_least_recently_used_goes_first(self, tmp_path: Path) -> None:
        probe = PixelCache(tmp_path / "probe")
        probe.put(_key(0), _image(0))
        entry_size = probe.size_bytes()
        cache = PixelCache(tmp_path / "cache", limit_bytes=int(entry_size * 3.5))
        for n in (1, 2, 3):
            assert cache.put(_key(n), _image(n))
            past = time.time() - 100 + n  # distinct, increasing last-use times
            os.utime(cache.path_of(_key(n)), (past, past))
        assert cache.get(_key(1)) is not None  # 1 is now the most recently used
        cache.put(_key(4), _image(4))
        assert cache.contains(_key(1)) and cache.contains(_key(3)) and cache.contains(_key(4))
        assert not cache.contains(_key(2))
        assert cache.size_bytes() <= cache.limit_bytes

    def test_limit_smaller_than_an_entry_keeps_nothing(self, cache: PixelCache, tmp_path: Path) -> None:
        tiny = PixelCache(tmp_path / "tiny", limit_bytes=10)
        tiny.put(_key(1), _image(1))
        assert tiny.size_bytes() == 0 and not list(tiny.folder.glob(f"*{ENTRY_SUFFIX}"))

    def test_compressed_size(self, shared_data: Path, cache: PixelCache) -> None:
        """A real mammogram's entry is well under its raw size (12 bits in 16, and smooth)."""
        path = shared_data / "fodicom_GH133_GE_SenographeEssential_MG.dcm"
        arr, _ = decode_cached(path, 0, _uid(path), cache)
        assert cache.size_bytes() < 0.5 * arr.nbytes
