"""Paging through a multi-frame image: PgDn on a 50-frame 2048x2048 12-bit image (issue 16).

``frame_page_ms``: in the real window, a page (``MainWindow.set_frame``, what PgDn does) until
the view shows the new frame and has painted, median over pages at a reading pace (one page
every :data:`DWELL_MS`); frames come from the decoding processes with their neighbours
decoded ahead (:mod:`viewer.qt.frame_pager`). ``ui_call_ms`` in the details is the time the
page call itself holds the UI thread. Baseline, same run: ``ImageView.set_frame`` with the
frame decoded on the UI thread (what paging did before). The file is uncompressed, so the
baseline is reading and levelling a frame; a compressed tomosynthesis frame adds its decode.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FRAMES, SIZE = 50, 2048
TARGETS = {"frame_page_ms": 30.0}
DWELL_MS = 150
"""Between two pages: a reader scrolling a stack at about six frames a second."""


def write_frames(folder: Path) -> Path:
    """A 50-frame MG file: a smooth 12-bit picture that shifts from frame to frame."""
    from viewer.dicom.demo import demo_dataset, demo_phantom

    phantom = demo_phantom(1)
    ds = demo_dataset(phantom, 1)
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    base = 1800 + 700 * np.sin(x / 97.0) * np.cos(y / 131.0)
    frames = np.stack(
        [np.clip(np.roll(base, 9 * k, axis=0) + rng.normal(0, 8, base.shape), 0, 4095) for k in range(FRAMES)]
    ).astype(np.uint16)
    ds.Rows = ds.Columns = SIZE
    ds.NumberOfFrames = FRAMES
    ds.PixelData = frames.tobytes()
    path = folder / "tomo.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def _ui_thread_pages(
    app: Any, paint_watch: Callable[[list[Any]], Any], path: Path, pages: int
) -> list[float]:
    """The baseline: ImageView.set_frame decoding each frame on the UI thread."""
    from viewer.core.pyramid import Pyramid
    from viewer.dicom.image import MammoImage
    from viewer.qt.image_view import ImageView

    image = MammoImage.open(path)
    view = ImageView("LCC")
    view.resize(1920, 1080)
    view.show()
    view.set_full(image, Pyramid(image.pixels(0)))
    for _ in range(3):
        app.processEvents()
    watch = paint_watch([view])
    times = [
        watch.frame(app, lambda f=frame: view.set_frame(f), lambda: False) for frame in range(1, pages + 1)
    ]
    view.close()
    return times


def _dwell(app: Any, ms: float) -> None:
    end = time.perf_counter() + ms / 1000.0
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def bench_frames(app: Any, paint_watch: Callable[[list[Any]], Any], pages: int = 20) -> dict[str, Any]:
    """PgDn ``pages`` times on a fresh 50-frame image, in the window and on the UI thread (ms)."""
    from viewer.qt.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="mammo-viewer-frames-bench-"))
    path = write_frames(folder)
    baseline = _ui_thread_pages(app, paint_watch, path, pages)
    window = MainWindow(reader="bench")
    window.resize(1600, 1000)
    window.show()
    window.open_paths([folder])
    window.wait_until_loaded(120.0)
    view = window.hanging.views["LCC"]
    _dwell(app, 500)  # the neighbours of the first frame are decoded ahead meanwhile
    watch = paint_watch([view])
    times, calls = [], []
    for frame in range(1, pages + 1):

        def page(f: int = frame) -> None:
            t0 = time.perf_counter()
            window.set_frame(view, f)
            calls.append((time.perf_counter() - t0) * 1000.0)

        times.append(watch.frame(app, page, lambda f=frame: view.frame != f))
        _dwell(app, DWELL_MS)
    window.close()
    median = float(statistics.median(times))
    return {
        "frame_page_ms": {"viewer": median, "baseline": float(statistics.median(baseline))},
        "details": {
            "frame_page_max_ms": max(times),
            "ui_call_median_ms": float(statistics.median(calls)),
            "ui_thread_decode_max_ms": max(baseline),
            "frames": FRAMES,
            "size": SIZE,
            "pages_ms": times,
        },
    }
