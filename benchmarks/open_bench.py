"""Opening the 4-view study: the viewer's loader with its decoding processes beside sequential
pydicom decoding (``open_first_paint_s``, ``open_full_s``, ``max_ui_stall_ms``, ``memory_ratio``
of run.py), and what one view costs to decode."""

from __future__ import annotations

import gc
import itertools
import statistics
import time
from pathlib import Path
from typing import Any

from bench_study import COLS, ROWS, SCREEN
from paint_watch import PaintWatch
from process_usage import cpu_seconds, rss, rss_of


def bench_open_viewer(app: Any, paths: list[Path], cache: Any = None) -> dict[str, float]:
    """Open the study as the main window does with the loader; times from the request.

    ``cache``: the pixel cache the loader reads and fills (None: decode every time, cold).
    ``cpu_s`` is the CPU time the decoding processes and this one spent meanwhile.
    """
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from viewer.dicom.decode import pyramid_layout, stored_dtype
    from viewer.dicom.study import open_study
    from viewer.qt.hanging import HangingView
    from viewer.qt.loader import StudyLoader, preview_level

    hanging = HangingView()
    hanging.resize(*SCREEN)
    hanging.show()
    app.processEvents()
    loader = StudyLoader(cache=cache)
    loader.start()
    if not loader.wait_ready(60.0):
        raise RuntimeError("the decoding processes did not start")
    watch = PaintWatch(hanging.views.values())
    cpu_before = cpu_seconds(loader.worker_pids()) + time.process_time()
    gc.collect()
    rss_before = rss()
    workers_before = sum(rss_of(pid).get("VmRSS", 0) for pid in loader.worker_pids())
    marks: dict[str, float] = {}
    ticks: list[float] = []
    shown: dict[str, list[Any]] = {"preview": [], "full": []}
    loop = QEventLoop()
    study_holder: list[Any] = []

    def tick() -> None:
        ticks.append(time.perf_counter())

    def view_of(image: Any) -> Any:
        return next(v for v in hanging.views.values() if v.image is image)

    def on_preview(image: Any, array: Any, level: int) -> None:
        view_of(image).set_preview(image, array, level)
        shown["preview"].append(view_of(image).viewport())

    def on_full(image: Any) -> None:
        view_of(image).set_full(image, loader.pyramid(image))
        shown["full"].append(view_of(image).viewport())

    def on_failed(image: Any, message: str) -> None:
        raise RuntimeError(message)

    def open_it() -> None:
        marks["t0"] = time.perf_counter()
        study = open_study(paths)
        study_holder.append(study)
        by_view = study.by_view()
        for name, view in hanging.views.items():
            view.set_loading(by_view[name])
        cell = hanging.views["RCC"]
        level = preview_level((ROWS, COLS), (cell.width(), cell.height()))
        loader.load(list(by_view.values()), preview_level=level)

    def check() -> None:
        # a picture is on screen once its viewport painted after it was set
        for kind in ("preview", "full"):
            key = f"{kind}_painted"
            if (
                key not in marks
                and len(shown[kind]) == 4
                and all(watch.last_paint.get(v, 0.0) > marks["t0"] for v in shown[kind])
            ):
                marks[key] = time.perf_counter()
        if "full_painted" in marks:
            loop.quit()

    loader.preview_ready.connect(on_preview)
    loader.image_ready.connect(on_full)
    loader.failed.connect(on_failed)
    stall = QTimer()
    stall.setTimerType(Qt.TimerType.PreciseTimer)
    stall.setInterval(5)
    stall.timeout.connect(tick)
    stall.timeout.connect(check)
    stall.start()
    QTimer.singleShot(0, open_it)
    QTimer.singleShot(120_000, loop.quit)
    loop.exec()
    stall.stop()
    cpu = cpu_seconds(loader.worker_pids()) + time.process_time() - cpu_before
    if "full_painted" not in marks:
        raise RuntimeError("the study did not open within two minutes")
    for _ in range(3):
        app.processEvents()
    gc.collect()
    rss_after = rss()
    images = study_holder[0].images
    shared = sum(pyramid_layout((i.rows, i.columns), stored_dtype(i.dataset))[1] for i in images)
    raw_bytes = sum(i.rows * i.columns * 2 for i in images)
    t0 = marks["t0"]
    during = [t for t in ticks if t >= t0 - 0.005 and t <= marks["full_painted"] + 0.005]
    gaps = [(b - a) * 1000.0 for a, b in itertools.pairwise(during)]
    result = {
        "first_paint_s": marks.get("preview_painted", marks["full_painted"]) - t0,
        "full_s": marks["full_painted"] - t0,
        "max_stall_ms": max(gaps) if gaps else float("nan"),
        "cpu_s": cpu,
        "memory_ratio": float("nan"),
        "worker_rss_growth_mb": float("nan"),
    }
    if rss_before and rss_after:
        # Shared blocks are fully resident (the workers wrote them) but count in this
        # process's RSS only where touched: count them whole, and the rest of the growth.
        grown = (rss_after["VmRSS"] - rss_before["VmRSS"]) - (rss_after["RssShmem"] - rss_before["RssShmem"])
        result["memory_ratio"] = (grown + (shared if loader.uses_shared_memory else 0)) / raw_bytes
        workers_after = sum(rss_of(pid).get("VmRSS", 0) for pid in loader.worker_pids())
        result["worker_rss_growth_mb"] = (workers_after - workers_before) / 1e6
    loader.preview_ready.disconnect(on_preview)
    loader.image_ready.disconnect(on_full)
    loader.failed.disconnect(on_failed)
    hanging.close()
    return result


def bench_open_baseline(app: Any, paths: list[Path]) -> dict[str, float]:
    """Sequential pydicom decoding into four ImageItems; every view shown as it is decoded."""
    import numpy as np
    import pydicom
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGridLayout, QWidget

    grid = QWidget()
    layout = QGridLayout(grid)
    cells = []
    for i in range(4):
        gv = pg.GraphicsView(background="k")
        vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        gv.setCentralItem(vb)
        item = pg.ImageItem(axisOrder="row-major")
        vb.addItem(item)
        layout.addWidget(gv, i // 2, i % 2)
        cells.append((gv, vb, item))
    grid.resize(*SCREEN)
    grid.show()
    app.processEvents()
    watch = PaintWatch([c[0] for c in cells])
    t0 = time.perf_counter()
    longest = 0.0
    for path, (_, vb, item) in zip(paths, cells, strict=True):
        t1 = time.perf_counter()
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        center, width = float(ds.WindowCenter[0]), float(ds.WindowWidth[0])
        item.setImage(np.asarray(arr), levels=(center - width / 2, center + width / 2))
        vb.autoRange(padding=0.01)
        longest = max(longest, (time.perf_counter() - t1) * 1000.0)
        app.processEvents()
    before = [0] * 4
    for _ in range(100):
        app.processEvents()
        if all(a > b for a, b in zip(watch.snapshot(), before, strict=True)):
            break
    done = time.perf_counter() - t0
    grid.close()
    return {"first_paint_s": done, "full_s": done, "max_stall_ms": longest}


def bench_decode_one_j2k(path: Path) -> float:
    """Seconds one full JPEG 2000 view takes to decode, here, on one core."""
    from viewer.dicom.decode import decode_frame

    t0 = time.perf_counter()
    decode_frame(path)
    return time.perf_counter() - t0


def bench_raw_inprocess(paths: list[Path]) -> float:
    """Milliseconds to decode one uncompressed view and build its levels on the UI thread."""
    from viewer.core.pyramid import build_levels
    from viewer.dicom.decode import decode_frame

    times = []
    for path in paths:
        t0 = time.perf_counter()
        build_levels(decode_frame(path))
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)
