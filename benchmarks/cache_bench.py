"""Reopening and the next study: the decoded-pixel cache and prefetch (issue 16).

Called by ``run.py`` with its 4-view JPEG 2000 study and its ``bench_open_viewer``:

- ``reopen_cached_s``: the study opened a second time, its frames in the pixel cache;
- ``open_next_study_s``: the study opened after the prefetcher decoded it into an empty
  cache (what the worklist's next study gets);
- ``cache_ratio``: bytes of the cache entries / raw pixel bytes (16 bits a pixel);
- CPU seconds: one view's JPEG 2000 decode and its cache read, here on one core, and the
  CPU of each open (the decoding processes and the UI process).

The baseline of each is the cold ``open_full_s`` of the same run (no cache).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from viewer.dicom.decode import decode_frame
from viewer.dicom.image import MammoImage
from viewer.qt.decode_pool import prefetch_pool
from viewer.qt.prefetch import Prefetcher
from viewer.sources.pixel_cache import CacheKey, PixelCache

TARGETS = {"open_next_study_s": 0.3, "reopen_cached_s": 0.6, "cache_ratio": 0.6}


def _decode_cpu(path: Path, cache: PixelCache) -> dict[str, float]:
    """Wall and CPU seconds of one view: JPEG 2000 decode, and the read of its cache entry."""
    t0, c0 = time.perf_counter(), time.process_time()
    decode_frame(path)
    t1, c1 = time.perf_counter(), time.process_time()
    key = CacheKey.of(path, MammoImage.open(path).sop_instance_uid, 0)
    if cache.get(key) is None:
        raise RuntimeError(f"{path.name} is not in the cache")
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "j2k_decode_s": t1 - t0,
        "j2k_decode_cpu_s": c1 - c0,
        "cache_read_s": t2 - t1,
        "cache_read_cpu_s": c2 - c1,
    }


def bench_cache(
    app: Any,
    paths: list[Path],
    open_viewer: Callable[..., dict[str, float]],
    cpu_seconds: Callable[[list[int]], float],
    runs: int = 2,
) -> dict[str, Any]:
    """The cache and prefetch figures for the study ``paths`` (one folder of J2K files)."""
    folder = Path(tempfile.mkdtemp(prefix="mammo-viewer-cache-bench-"))
    raw_bytes = 0
    for path in paths:
        image = MammoImage.open(path)
        raw_bytes += image.rows * image.columns * 2
    # reopen: the first open fills the cache, the next ones read it
    cache = PixelCache(folder / "reopen")
    filling = open_viewer(app, paths, cache)
    reopens = [open_viewer(app, paths, cache) for _ in range(runs)]
    ratio = cache.size_bytes() / raw_bytes
    per_view = _decode_cpu(paths[0], cache)
    # the next study: prefetched into an empty cache by the low-priority process
    ahead = PixelCache(folder / "prefetch")
    pool = prefetch_pool()
    for warming in pool.warming:
        warming.result()
    cpu0, t0 = cpu_seconds(pool.pids()), time.perf_counter()
    prefetcher = Prefetcher(ahead)
    prefetcher.prefetch([paths[0].parent])
    if not prefetcher.wait(600.0):
        raise RuntimeError("the prefetch did not finish within ten minutes")
    prefetch_s, prefetch_cpu = time.perf_counter() - t0, cpu_seconds(pool.pids()) - cpu0
    nexts = [open_viewer(app, paths, ahead) for _ in range(runs)]
    ahead.clear()
    cache.clear()
    return {
        "reopen_cached_s": statistics.median(r["full_s"] for r in reopens),
        "open_next_study_s": statistics.median(r["full_s"] for r in nexts),
        "cache_ratio": ratio,
        "details": {
            "open_filling_cache_s": filling["full_s"],
            "open_filling_cache_cpu_s": filling["cpu_s"],
            "reopen_cached_cpu_s": statistics.median(r["cpu_s"] for r in reopens),
            "reopen_max_ui_stall_ms": max(r["max_stall_ms"] for r in reopens),
            "open_next_study_cpu_s": statistics.median(r["cpu_s"] for r in nexts),
            "open_next_max_ui_stall_ms": max(r["max_stall_ms"] for r in nexts),
            "prefetch_study_s": prefetch_s,
            "prefetch_study_cpu_s": prefetch_cpu,
            "one_view": per_view,
            "reopen_runs": [r["full_s"] for r in reopens],
            "next_runs": [r["full_s"] for r in nexts],
        },
    }
