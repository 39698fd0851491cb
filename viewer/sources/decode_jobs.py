"""Worker-process jobs that go through the pixel cache, and the worker's start-up.

:func:`decode_cached` gives a frame from the cache when it holds it, otherwise decodes
it and stores it; :func:`decode_pyramid_cached` is the loader's full-frame job on top of
it; :func:`fill_cache` is the prefetch job (decode into the cache, deliver nothing).

:func:`init_worker` runs as each decoding process starts; :func:`run_tracked` wraps a job
so that the process says which job it starts (a queue the UI process reads): when a
process dies, only the job it was running fails.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from viewer.dicom.decode import decode_frame, warm_up, write_pyramid
from viewer.sources.pixel_cache import CacheKey, PixelCache

log = logging.getLogger(__name__)

_started: Any = None
"""This worker's queue of ``(job token, process id)``, set by :func:`init_worker`."""

_writer: ThreadPoolExecutor | None = None
"""This process's cache writer (:func:`store_later`), started by its first deferred write."""
_writer_lock = threading.Lock()


def init_worker(started: Any = None, nice: int = 0) -> None:
    """Start-up of a decoding process: lower its priority by ``nice``, import the decoders."""
    global _started
    _started = started
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(nice)
    warm_up()


def run_tracked(token: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)`` after telling the UI process this process starts ``token``."""
    if _started is not None:
        _started.put((token, os.getpid()))
    return fn(*args, **kwargs)


def store_later(cache: PixelCache, key: CacheKey, frame: NDArray[Any]) -> Future[bool]:
    """Write ``frame`` to the cache on this process's writer thread; the write's future.

    The loader's job returns the decoded levels without waiting for the ~0.1 s of compressing
    and writing the cache entry. The thread is not a daemon: a process that ends normally
    finishes its writes first; one killed mid-write leaves only a temporary file, which is
    never read as an entry (:meth:`PixelCache.put`).
    """
    global _writer
    with _writer_lock:
        if _writer is None:
            _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pixel-cache-writer")
        return _writer.submit(cache.put, key, frame)


def decode_cached(
    path: Path | str,
    frame: int,
    sop_instance_uid: str,
    cache: PixelCache | None,
    *,
    store: Callable[[PixelCache, CacheKey, NDArray[Any]], object] | None = None,
) -> tuple[NDArray[Any], bool]:
    """Stored values of ``frame`` as :func:`decode_frame` gives them, and whether the cache had them.

    A miss decodes the file and writes the frame to the cache (with ``store`` when given,
    e.g. :func:`store_later`; else at once). Without a cache or a SOP Instance UID (nothing
    to key it by) this is :func:`decode_frame`.
    """
    key = None
    if cache is not None and sop_instance_uid:
        try:
            key = CacheKey.of(path, sop_instance_uid, frame)
        except OSError:
            key = None
        if key is not None:
            cached = cache.get(key)
            if cached is not None:
                return cached, True
    arr = decode_frame(str(path), frame)
    if key is not None and cache is not None:
        if store is None:
            cache.put(key, arr)
        else:
            store(cache, key, arr)
    return arr, False


def decode_pyramid_cached(
    path: str,
    frame: int,
    stored_range: tuple[int, int],
    dtype: str,
    target: str | None = None,
    min_size: int = 256,
    block_name: str | None = None,
    *,
    sop_instance_uid: str = "",
    cache: PixelCache | None = None,
) -> list[NDArray[Any]] | tuple[int, int]:
    """Worker job: :func:`viewer.dicom.decode.decode_pyramid` reading and filling the cache.

    A decoded frame is written to the cache after the job has returned (:func:`store_later`):
    the levels reach the view without waiting for the write.
    """
    arr, _ = decode_cached(path, frame, sop_instance_uid, cache, store=store_later)
    return write_pyramid(arr, stored_range, dtype, target, min_size, block_name)


def fill_cache(path: str, cache: PixelCache, frames: int | None = None) -> int:
    """Prefetch job: decode the first ``frames`` frames of ``path`` (all: None) into the cache.

    Frames already cached are not decoded again. Returns how many frames were decoded;
    a file that cannot be read or decoded is skipped (opening it reports the problem).
    """
    from pydicom import dcmread

    try:
        ds = dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID", "NumberOfFrames"])
    except Exception as exc:  # not DICOM, unreadable: opening it says why
        log.info("prefetch: %s skipped: %s", Path(path).name, exc)
        return 0
    uid = str(ds.get("SOPInstanceUID", "") or "")
    count = max(1, int(ds.get("NumberOfFrames", 1) or 1))
    decoded = 0
    for frame in range(count if frames is None else min(count, frames)):
        try:
            key = CacheKey.of(path, uid, frame)
        except OSError:
            return decoded
        if not uid or cache.contains(key):
            continue
        try:
            decode_cached(path, frame, uid, cache)
        except Exception as exc:  # the open reports decoding problems, with the file's name
            log.info("prefetch: %s frame %d not decoded: %s", Path(path).name, frame, exc)
            return decoded
        decoded += 1
    return decoded


def fill_study(folder: str, cache: PixelCache) -> int:
    """Prefetch job: decode the first frame of each image a study hangs (its four views) into the cache.

    ``folder`` is opened as the viewer opens a study (:func:`viewer.dicom.study.open_study`).
    Returns how many frames were decoded.
    """
    from viewer.dicom.study import open_study

    study = open_study([folder])
    return sum(fill_cache(str(image.path), cache, frames=1) for image in study.by_view().values())
