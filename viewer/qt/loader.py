"""Opening a study without freezing the window: frames decoded in worker processes.

Decoders hold the GIL, so a thread would still freeze the event loop; worker
*processes* (one pool for the application's life, started with ``spawn``: forking a
process that runs Qt threads is unsafe) decode instead. For each image the loader
first asks for a reduced-resolution JPEG 2000 decode (a picture on screen in a
fraction of a second), then for the full frame with its display levels
(:mod:`viewer.core.pyramid`).

On Linux the full frame comes back through shared memory (``memfd``): the worker
writes the frame and its levels into a block the UI process maps, so nothing is
copied or unpickled on the UI thread and the study's memory is the pixels plus a third.
Elsewhere the arrays come back pickled (slower, same result).

With a :class:`viewer.sources.pixel_cache.PixelCache` (the default), a frame decoded once
is read back from the cache on the next open, without the original decoder and without
a preview (the full frame is as quick). A worker process that dies (a decoder crash, the
out-of-memory killer) fails only the image it was decoding, with a message; the other
jobs go to a fresh pool (:mod:`viewer.qt.decode_pool`).

Results are polled by a QTimer every few milliseconds and announced on the UI thread:
``preview_ready(image, array, level)``, ``image_ready(image)`` (its pixels are stored in
the image, :meth:`StudyLoader.pyramid` gives its levels), ``failed(image, message)``
and ``finished()`` once nothing is left to do.
"""

from __future__ import annotations

import itertools
import math
import mmap
import os
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, QTimer, Signal

from viewer.core.pyramid import Pyramid
from viewer.dicom.decode import (
    JPEG2000_SYNTAXES,
    DecodeError,
    decode_preview,
    pyramid_layout,
    pyramid_views,
    stored_dtype,
)
from viewer.dicom.image import MammoImage
from viewer.qt.decode_pool import (
    DecodePool,
    decode_pool,
    default_workers,
    restart_decode_pool,
    shutdown_decode_pool,
)
from viewer.sources.decode_jobs import decode_pyramid_cached
from viewer.sources.pixel_cache import CacheKey, PixelCache, default_cache_dir

__all__ = ["StudyLoader", "decode_pool", "default_workers", "preview_level", "shutdown_decode_pool"]

POLL_MS = 5
"""How often finished jobs are collected: the latency a result can wait, at no cost when idle."""
MAX_PREVIEW_LEVEL = 5
"""JPEG 2000 encoders write 5 decomposition levels by default: coarser previews gain nothing."""
MAX_RESUBMITS = 1
"""A job whose pool broke this often without its process being found dead fails anyway."""
DEATH_REASON = (
    "the decoding process stopped unexpectedly while decoding it (out of memory, or a decoder crash)"
)


def default_cache() -> PixelCache | None:
    """The user's pixel cache (``MAMMO_VIEWER_PIXEL_CACHE=0`` turns it off)."""
    if os.environ.get("MAMMO_VIEWER_PIXEL_CACHE", "1") == "0":
        return None
    return PixelCache(default_cache_dir())


def preview_level(shape: tuple[int, int], screen: tuple[int, int]) -> int:
    """The reduction level whose picture still has a pixel per screen pixel.

    ``shape`` is the image's ``(rows, columns)``, ``screen`` the cell's ``(width,
    height)`` in device pixels; the image is fitted into the cell.
    """
    rows, cols = shape
    width, height = max(1, screen[0]), max(1, screen[1])
    per_screen = max(cols / width, rows / height)
    return max(0, min(MAX_PREVIEW_LEVEL, Pyramid.level_for(per_screen)))


class _SharedBlock:
    """Anonymous shared memory a worker writes a frame's levels into (Linux ``memfd``).

    The worker opens it through ``/proc/<pid>/fd/<fd>``; the memory is freed by the
    kernel once the arrays viewing it are gone, even if this process dies.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.name = f"mammo-viewer-{os.getpid()}-{next(_block_numbers)}"
        self.fd: int | None = os.memfd_create(self.name)
        os.ftruncate(self.fd, size)

    @property
    def path(self) -> str:
        return f"/proc/{os.getpid()}/fd/{self.fd}"

    def map(self) -> mmap.mmap:
        """Map the block here (the arrays viewing it keep the mapping alive) and close it."""
        assert self.fd is not None
        try:
            return mmap.mmap(self.fd, self.size)
        finally:
            self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


_block_numbers = itertools.count()


def _shared_memory_works() -> bool:
    return hasattr(os, "memfd_create") and os.path.isdir(f"/proc/{os.getpid()}/fd")


@dataclass(eq=False)
class _Job:
    image: MammoImage
    frame: int
    kind: str  # "preview", "full" (worker process) or "local" (decoded here)
    future: Future[Any]
    block: _SharedBlock | None = None
    dtype: np.dtype[Any] = field(default_factory=lambda: np.dtype(np.uint16))
    token: int = 0
    call: tuple[Any, tuple[Any, ...], dict[str, Any]] | None = None
    """``(function, args, kwargs)`` of the worker job, to submit it again to a new pool."""
    resubmits: int = 0
    clipped_to: tuple[int, int] | None = None
    """The stored range the worker clipped the full frame to (it need not be scanned again here)."""


class StudyLoader(QObject):
    """Decodes the images of a study in worker processes; results arrive as signals.

    Parameters
    ----------
    parent
        The owning QObject (the main window).
    workers
        Worker processes of the shared pool when this is the first loader (default:
        one per core, at most four).
    cache
        The pixel cache to read and fill (default: the user's, :func:`default_cache`);
        None decodes every time.
    """

    preview_ready = Signal(object, object, int)
    """``(image, array, level)``: stored values at 1/2**level of the size, clipped to the
    image's stored range; pixel (x, y) of the array covers full-size pixels
    ``x * 2**level ..`` (x = column, y = row)."""
    image_ready = Signal(object)
    """``(image)``: full-resolution pixels stored in the image (``image.pixels(frame)``)."""
    frame_ready = Signal(object, int)
    """``(image, frame)``: as ``image_ready``, saying which frame; :meth:`pyramid` holds its
    levels while the slot runs (the next frame of the same image replaces them)."""
    failed = Signal(object, str)
    """``(image, message)``: the message names the file and the reason."""
    finished = Signal()
    """Every job of the last :meth:`load` is done (delivered, failed or cancelled)."""

    _DEFAULT: Any = object()

    def __init__(
        self, parent: QObject | None = None, workers: int | None = None, cache: Any = _DEFAULT
    ) -> None:
        super().__init__(parent)
        self._workers = workers
        self.cache: PixelCache | None = default_cache() if cache is StudyLoader._DEFAULT else cache
        self._jobs: list[_Job] = []
        self._orphans: list[_Job] = []
        self._delivered: set[int] = set()
        self._pyramids: weakref.WeakKeyDictionary[MammoImage, Pyramid] = weakref.WeakKeyDictionary()
        self._shared = _shared_memory_works()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # -- public API ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker processes now (they warm up while the user picks a study)."""
        decode_pool(self._workers)

    def load(self, images: Sequence[MammoImage], *, preview_level: int | None = 3, frame: int = 0) -> None:
        """Decode ``frame`` of each image; earlier unfinished work is cancelled.

        JPEG 2000 images get a preview at ``preview_level`` first (None: no previews),
        unless the cache holds their frame; all previews are asked for before any full
        frame. Images whose file is not on disk (built in memory) are decoded here, on
        the next event loop turn.
        """
        self.cancel()
        pool = decode_pool(self._workers)
        on_disk = [img for img in images if img.path.is_file()]
        local = [img for img in images if not img.path.is_file()]
        try:
            if preview_level is not None and preview_level > 0:
                for image in on_disk:
                    if image.transfer_syntax in JPEG2000_SYNTAXES and not self.is_cached(image, frame):
                        call: tuple[Any, tuple[Any, ...], dict[str, Any]] = (
                            decode_preview,
                            (str(image.path), frame, preview_level, image.stored_range),
                            {},
                        )
                        job = _Job(image, frame, "preview", Future(), call=call)
                        self._jobs.append(self._submit(pool, job))
            for image in on_disk:
                self._jobs.append(self._submit(pool, self._full_job(image, frame)))
        except BrokenProcessPool:
            restart_decode_pool()
            self.cancel()
            local = list(images)
        for image in local:
            self._jobs.append(_Job(image, frame, "local", Future()))
        if self._jobs:
            self._timer.start()
        else:
            QTimer.singleShot(0, self.finished.emit)

    def is_cached(self, image: MammoImage, frame: int = 0) -> bool:
        """True if the pixel cache holds ``frame`` of ``image``'s file as it is now."""
        if self.cache is None or not image.sop_instance_uid:
            return False
        try:
            return self.cache.contains(CacheKey.of(image.path, image.sop_instance_uid, frame))
        except OSError:
            return False

    def fetch(self, image: MammoImage, frames: Sequence[int]) -> None:
        """Decode these frames of ``image`` (full resolution, no previews); this loader's other
        jobs are cancelled, those already asked for these frames kept."""
        wanted = list(dict.fromkeys(frames))
        keep = [j for j in self._jobs if j.image is image and j.kind != "preview" and j.frame in wanted]
        self._forget([j for j in self._jobs if j not in keep])
        self._jobs = keep
        asked = {j.frame for j in keep}
        pool = decode_pool(self._workers)
        for frame in wanted:
            if frame in asked:
                continue
            if not image.path.is_file():
                self._jobs.append(_Job(image, frame, "local", Future()))
                continue
            try:
                self._jobs.append(self._submit(pool, self._full_job(image, frame)))
            except BrokenProcessPool:
                restart_decode_pool()
                self._jobs.append(_Job(image, frame, "local", Future()))
        if self._jobs:
            self._timer.start()

    def cancel(self) -> None:
        """Forget every unfinished job (running ones finish in the workers, unheard)."""
        self._forget(self._jobs)
        self._jobs = []
        self._delivered.clear()
        if not self._orphans:
            self._timer.stop()

    def _forget(self, jobs: Sequence[_Job]) -> None:
        for job in jobs:
            if job.future.cancel() or job.block is None:
                if job.block is not None:
                    job.block.close()
            else:
                # A worker may be writing into the block: keep its descriptor (so that the
                # number is not reused) until the job ends.
                self._orphans.append(job)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the worker processes have started and imported the decoders.

        For benchmarks and tests; the application never needs to wait.
        """
        pool = decode_pool(self._workers)
        done, pending = wait(list(pool.warming), timeout=timeout)
        return not pending and all(f.exception() is None for f in done)

    def worker_pids(self) -> list[int]:
        """Process ids of the decoding processes (to measure their memory)."""
        return decode_pool(self._workers).pids()

    @property
    def uses_shared_memory(self) -> bool:
        """True when full frames come back through shared memory (Linux), not pickled."""
        return self._shared

    def pyramid(self, image: MammoImage) -> Pyramid | None:
        """The display levels built with ``image``'s full frame, once it is ready."""
        return self._pyramids.get(image)

    @property
    def pending(self) -> int:
        """Jobs not yet delivered."""
        return len(self._jobs)

    # -- jobs ---------------------------------------------------------------------------

    def _full_job(self, image: MammoImage, frame: int) -> _Job:
        dtype = stored_dtype(image.dataset)
        block = None
        if self._shared:
            _, size = pyramid_layout((image.rows, image.columns), dtype)
            block = _SharedBlock(size)
        call = (
            decode_pyramid_cached,
            (
                str(image.path),
                frame,
                image.stored_range,
                dtype.str,
                block.path if block is not None else None,
            ),
            {
                "block_name": block.name if block is not None else None,
                "sop_instance_uid": image.sop_instance_uid,
                "cache": self.cache,
            },
        )
        return _Job(image, frame, "full", Future(), block, dtype, call=call, clipped_to=image.stored_range)

    @staticmethod
    def _submit(pool: DecodePool, job: _Job) -> _Job:
        assert job.call is not None
        fn, args, kwargs = job.call
        job.token, job.future = pool.submit(fn, *args, **kwargs)
        return job

    def _recover(self) -> None:
        """A worker process died: fail the jobs it was running, submit the others again."""
        broken = [
            j
            for j in self._jobs
            if j.kind != "local" and j.future.done() and isinstance(_exception(j.future), BrokenProcessPool)
        ]
        if not broken:
            return
        pool = decode_pool(self._workers)
        culprits = pool.culprits([j.token for j in broken])
        restart_decode_pool()
        for job in broken:
            guilty = job.token in culprits or (not culprits and job.resubmits >= MAX_RESUBMITS)
            if guilty:
                continue  # delivered below with the pool's exception
            job.resubmits += 1
            try:
                self._submit(decode_pool(self._workers), job)
            except BrokenProcessPool:
                continue

    def _poll(self) -> None:
        """Deliver finished jobs: every preview, but one full frame per tick (bounded stall)."""
        for job in [j for j in self._orphans if j.future.done()]:
            self._orphans.remove(job)
            if job.block is not None:
                job.block.close()
        if not self._jobs:
            if not self._orphans:
                self._timer.stop()
            return
        self._recover()
        delivered_full = False
        for job in list(self._jobs):
            if job.kind == "local":
                if delivered_full:
                    continue
                self._jobs.remove(job)
                self._deliver_local(job)
                delivered_full = True
                continue
            if not job.future.done():
                continue
            if job.kind == "full" and delivered_full:
                continue
            self._jobs.remove(job)
            if job.kind == "preview":
                self._deliver_preview(job)
            else:
                self._deliver_full(job)
                delivered_full = True
        if not self._jobs:
            if not self._orphans:
                self._timer.stop()
            self._delivered.clear()
            self.finished.emit()

    def _error(self, job: _Job, exc: BaseException) -> str:
        image = job.image
        if isinstance(exc, BrokenProcessPool):
            reason = DEATH_REASON
        elif isinstance(exc, DecodeError):
            reason = (
                f"cannot decode the image data ({image.transfer_syntax_name} "
                f"({image.transfer_syntax})): {exc}"
            )
        else:
            reason = f"cannot decode the image data: {exc or type(exc).__name__}"
        return f"{image.path.name}: {reason}"

    def _deliver_preview(self, job: _Job) -> None:
        if job.future.cancelled() or id(job.image) in self._delivered:
            return
        exc = job.future.exception()
        if exc is not None:
            return  # the full decode of the same file reports the problem
        array: NDArray[Any] = job.future.result()
        level = _level_of(job.image.rows, array.shape[0])
        array.flags.writeable = False
        self.preview_ready.emit(job.image, array, level)

    def _deliver_full(self, job: _Job) -> None:
        image = job.image
        block = job.block
        try:
            if job.future.cancelled():
                return
            exc = job.future.exception()
            if exc is not None:
                self.failed.emit(image, self._error(job, exc))
                return
            result = job.future.result()
            if block is not None:
                levels = pyramid_views(block.map(), tuple(result), job.dtype)
            else:
                levels = list(result)
            if levels[0].shape != (image.rows, image.columns):
                rows, cols = levels[0].shape
                self.failed.emit(
                    image,
                    f"{image.path.name}: decoded image is {rows}x{cols} "
                    f"pixels but the header says {image.rows}x{image.columns}",
                )
                return
            levels[0] = image.store_pixels(job.frame, levels[0], clipped_to=job.clipped_to)
            self._pyramids[image] = Pyramid.from_levels(levels)
        finally:
            if block is not None:
                block.close()
            self._delivered.add(id(image))
        self.frame_ready.emit(image, job.frame)
        self.image_ready.emit(image)

    def _deliver_local(self, job: _Job) -> None:
        from viewer.dicom.image import DicomImageError

        self._delivered.add(id(job.image))
        try:
            job.image.pixels(job.frame)
        except DicomImageError as exc:
            self.failed.emit(job.image, str(exc))
            return
        self._pyramids.pop(job.image, None)  # no levels: the slot builds them from the pixels
        self.frame_ready.emit(job.image, job.frame)
        self.image_ready.emit(job.image)


def _exception(future: Future[Any]) -> BaseException | None:
    if future.cancelled():
        return None
    return future.exception()


def _level_of(rows: int, preview_rows: int) -> int:
    """The level ``k`` with ``ceil(rows / 2**k) == preview_rows``."""
    if preview_rows <= 0:
        return 0
    return max(0, round(math.log2(rows / preview_rows)))
