"""Prefetch: the studies a curator will open next are decoded into the pixel cache beforehand.

While a study is read, the next one in the worklist's order and filter is decoded by one
process at the lowest priority (:func:`viewer.qt.decode_pool.prefetch_pool`) into the
pixel cache, so that opening it reads the cache (a few tens of milliseconds a view)
instead of decoding. Nothing is held in memory and nothing is delivered to the window:
a prefetch that a study switch cancels or overtakes can only leave cache entries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from viewer.qt.decode_pool import prefetch_pool, shutdown_prefetch_pool
from viewer.sources.decode_jobs import fill_study
from viewer.sources.pixel_cache import PixelCache

log = logging.getLogger(__name__)


class Prefetcher:
    """Decodes whole studies (their hung views) into ``cache`` in the background."""

    def __init__(self, cache: PixelCache | None) -> None:
        self.cache = cache
        self._futures: dict[Path, Future[Any]] = {}

    def prefetch(self, folders: Sequence[Path]) -> None:
        """Decode the studies in ``folders`` (in this order); earlier unstarted work is dropped."""
        self.cancel()
        if self.cache is None:
            return
        for folder in folders:
            try:
                _, future = prefetch_pool().submit(fill_study, str(folder), self.cache)
            except BrokenProcessPool:
                shutdown_prefetch_pool()  # the next prefetch starts a new process
                log.info("prefetch: the prefetch process had stopped; restarted")
                return
            self._futures[Path(folder)] = future

    def cancel(self) -> None:
        """Drop the prefetches that have not started (a running one finishes, filling the cache)."""
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()

    @property
    def pending(self) -> list[Path]:
        """Folders whose prefetch has not finished."""
        return [folder for folder, future in self._futures.items() if not future.done()]

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every prefetch has finished (benchmarks and tests)."""
        _, pending = wait(list(self._futures.values()), timeout=timeout)
        return not pending


def studies_after(paths: Sequence[Path], current: Path, count: int) -> list[Path]:
    """The ``count`` study folders after ``current`` in ``paths`` (the worklist's visible order)."""
    if count <= 0:
        return []
    try:
        index = [Path(p) for p in paths].index(Path(current))
    except ValueError:
        return []
    return [Path(p) for p in paths[index + 1 : index + 1 + count]]
