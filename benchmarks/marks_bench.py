"""Large annotation sets in the window: 10,000 marks (issue 16).

Called by ``run.py`` (Qt offscreen). The demo study (four 2400x1900 views) is written with
an annotation file holding ``n`` outlined marks, then opened in the real main window:

- ``load_10k_ms``: ``open_paths`` until the marks are shown: read (in the background),
  the marks panel and the marks layers built, the suggestions made and everything painted
  (the pixels are decoded in the background meanwhile); baseline: the same file read by the
  store alone plus a full rebuild of the panel. Beside it, from the same open:
  ``study_interactive_10k_ms``: ``open_paths`` until it returned and the study's first paint
  is done (the UI thread is free; the marks are still loading); ``load_10k_max_stall_ms``:
  the longest the UI thread did not run a 5 ms timer from the open until the marks were shown
  (what a reader's gesture meanwhile could wait);
- ``first_save_ui_ms``: the first save of the session: the time ``save()`` holds the UI
  thread plus the longest stall of a 5 ms timer until the write is done;
  baseline: serialising the whole model on the UI thread (what a synchronous save costs);
- ``panel_edit_10k_ms``: one edit (a mark moved, through the undo stack) until the
  panel and the layer are updated and the event loop is idle, median and p90;
  baseline: a full rebuild of the panel (``MarksPanel.refresh``).

The window runs with the application's garbage collection (:class:`viewer.qt.gui_gc.GuiCollector`:
cycles collected on a timer of the UI thread), so its collections are in the figures.

:func:`bench_large` (issue 13) times a 100,000-mark file: ``validate_100k_s``
(``mammo-viewer validate``'s check of it, wall and CPU; target < 5 s) and ``open_100k_s``
(``open_paths`` in the window until panel and layers are built and painted; target < 10 s),
beside the store's load of it alone.
"""

from __future__ import annotations

import itertools
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS = {
    "load_10k_ms": 150.0,
    "first_save_ui_ms": 20.0,
    "panel_edit_10k_ms": 16.0,
    "validate_100k_s": 5.0,
    "open_100k_s": 10.0,
}
READER = "bench reader"


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.9 * (len(ordered) - 1))] if ordered else float("nan")


def write_study(folder: Path, n: int) -> Path:
    """The demo study in ``folder`` with an annotation file of ``n`` marks; returns the file."""
    from viewer.core.annotations import Calcification, Intensity, StudyAnnotations
    from viewer.dicom.demo import write_demo_study
    from viewer.dicom.study import open_study
    from viewer.store.atomic import write_atomic
    from viewer.store.serialize import serialize
    from viewer.store.sidecar import sidecar_path

    write_demo_study(folder)
    study = open_study([folder])
    model = StudyAnnotations(READER, study.study_instance_uid)
    records = [image.annotation_record(0) for image in study.images]
    for record in records:
        model.images[record.key] = record
    for i in range(n):
        record = records[i % len(records)]
        j = i // len(records)
        cx, cy = 150.0 + (j % 40) * 40.0, 150.0 + (j // 40 % 55) * 38.0
        r = 2.0 + (i % 7) * 0.5
        turns = [t * math.pi / 8 for t in range(16)]
        outline = [(cx + r * math.cos(t), cy + r * math.sin(t)) for t in turns]
        calc = Calcification.create(
            (cx, cy),
            outline,
            record.dicom_spacing,
            intensity=Intensity(3000.0, 2800.0, 2400.0, 400.0),
            morphology="punctate",
            reader=READER,
        )
        record.calcifications[calc.id] = calc
    path = sidecar_path(folder, READER)
    write_atomic(path, serialize(model))
    return path


def _settle(app: Any, busy: Any, limit_s: float = 30.0) -> None:
    deadline = time.perf_counter() + limit_s
    app.processEvents()
    while busy() and time.perf_counter() < deadline:
        app.processEvents()


def bench_marks(app: Any, n: int = 10_000, edits: int = 30) -> dict[str, Any]:
    """The three figures for ``n`` marks, each beside its baseline."""
    from viewer.qt.gui_gc import GuiCollector

    collector = GuiCollector()
    try:
        return _bench_marks(app, n, edits)
    finally:
        collector.stop()


def _bench_marks(app: Any, n: int, edits: int) -> dict[str, Any]:
    from PySide6.QtCore import Qt, QTimer

    from viewer.core.commands import ReplaceCalcification
    from viewer.qt.main_window import MainWindow
    from viewer.store.serialize import serialize
    from viewer.store.sidecar import load

    folder = Path(tempfile.mkdtemp(prefix="mammo-viewer-marks-bench-"))
    sidecar = write_study(folder, n)
    # baselines: the store alone, a whole serialisation
    t0 = time.perf_counter()
    loaded = load(sidecar)
    store_load_ms = (time.perf_counter() - t0) * 1000.0
    t0 = time.perf_counter()
    serialize(loaded.snapshot())
    serialize_ms = (time.perf_counter() - t0) * 1000.0

    window = MainWindow(reader=READER)
    window.resize(1600, 1000)
    window.show()
    _settle(app, lambda: False)
    panel = window.marks_panel

    def panel_busy() -> bool:
        return bool(panel._refresh_timer.isActive())

    def marks_busy() -> bool:
        pending = window.controller.regrouping() or window.cells.attaching
        return window.session.reading is not None or panel_busy() or pending

    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    _settle(app, lambda: len(ticks) < 3)
    t0 = time.perf_counter()
    window.open_paths([folder])
    window.repaint()
    interactive_ms = (time.perf_counter() - t0) * 1000.0
    _settle(app, marks_busy)
    window.repaint()
    load_ms = (time.perf_counter() - t0) * 1000.0
    ticks.append(time.perf_counter())
    timer.stop()
    open_gaps = [(b - a) * 1000.0 for a, b in itertools.pairwise(t for t in ticks if t >= t0)]
    open_stall_ms = max([interactive_ms, *open_gaps])
    shown = sum(len(layer.drawn_ids) for layer in window.cells.layers.values())
    window.wait_until_loaded(120.0)
    _settle(app, panel_busy)

    # full rebuilds of the panel (the baseline of an edit)
    rebuilds = []
    for _ in range(3):
        t0 = time.perf_counter()
        panel.refresh()
        rebuilds.append((time.perf_counter() - t0) * 1000.0)

    # edits: move a mark of the active view, through the undo stack
    key = next(iter(window.cells.layers.values())).key
    record = window.model.images[key]
    ids = itertools.cycle(list(record.calcifications)[:edits])
    edit_ms = []
    for _ in range(edits):
        calc = record.calcifications[next(ids)]
        t0 = time.perf_counter()
        window.push(ReplaceCalcification(key, calc, calc.moved(1.0, 0.0)))
        _settle(app, panel_busy)
        edit_ms.append((time.perf_counter() - t0) * 1000.0)
    window.saving.autosave_timer.stop()

    # the first save of the session: UI-thread time and stalls until it is written
    ticks = []
    timer.start()
    _settle(app, lambda: len(ticks) < 3)
    t0 = time.perf_counter()
    window.save()
    call_ms = (time.perf_counter() - t0) * 1000.0
    ticks.append(time.perf_counter())
    _settle(app, lambda: window.session.dirty, 60.0)
    timer.stop()
    gaps = [(b - a) * 1000.0 for a, b in itertools.pairwise(t for t in ticks if t >= t0)]
    saved = not window.session.dirty
    window.close()
    return {
        "load_10k_ms": {"viewer": load_ms, "baseline": store_load_ms + _median(rebuilds)},
        "study_interactive_10k_ms": {"viewer": interactive_ms, "baseline": None},
        "load_10k_max_stall_ms": {"viewer": open_stall_ms, "baseline": None},
        "first_save_ui_ms": {"viewer": max([call_ms, *gaps]), "baseline": serialize_ms},
        "panel_edit_10k_ms": {
            "viewer": _median(edit_ms),
            "p90": _p90(edit_ms),
            "baseline": _median(rebuilds),
        },
        "details": {
            "marks": n,
            "marks_drawn_after_load": shown,
            "store_load_ms": store_load_ms,
            "save_call_ms": call_ms,
            "save_max_stall_ms": max(gaps) if gaps else float("nan"),
            "saved": saved,
            "panel_full_rebuild_ms": rebuilds,
            "edit_ms": edit_ms,
        },
    }


def _open_until_shown(app: Any, folder: Path) -> tuple[float, float, int, Any]:
    """A window opening ``folder``: seconds and UI CPU seconds until marks are shown, marks drawn."""
    from viewer.qt.main_window import MainWindow

    window = MainWindow(reader=READER)
    window.resize(1600, 1000)
    window.show()
    _settle(app, lambda: False)
    panel = window.marks_panel
    t0, c0 = time.perf_counter(), time.process_time()
    window.open_paths([folder])

    def busy() -> bool:
        pending = window.controller.regrouping() or window.cells.attaching
        return window.session.reading is not None or bool(panel._refresh_timer.isActive()) or pending

    _settle(app, busy, 600.0)
    window.repaint()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    shown = sum(len(layer.drawn_ids) for layer in window.cells.layers.values())
    return wall, cpu, shown, window


def bench_large(app: Any, n: int = 100_000) -> dict[str, Any]:
    """``validate_100k_s`` and ``open_100k_s`` for a file of ``n`` marks, beside the store's load."""
    from viewer.headless.validate import check_file
    from viewer.qt.gui_gc import GuiCollector
    from viewer.store.sidecar import load

    folder = Path(tempfile.mkdtemp(prefix="mammo-viewer-marks-large-"))
    sidecar = write_study(folder, n)
    t0, c0 = time.perf_counter(), time.process_time()
    problems, summary = check_file(sidecar)
    validate_s, validate_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    load(sidecar)
    store_load_s = time.perf_counter() - t0
    collector = GuiCollector()
    try:
        open_s, open_cpu_s, shown, window = _open_until_shown(app, folder)
        window.wait_until_loaded(120.0)
        window.close()
    finally:
        collector.stop()
    return {
        "validate_100k_s": {
            "viewer": validate_s,
            "baseline": None,
            "cpu_s": validate_cpu_s,
            "valid": not problems,
        },
        "open_100k_s": {"viewer": open_s, "cpu_s": open_cpu_s, "baseline": store_load_s},
        "details": {"marks": n, "marks_drawn_after_open": shown, "validate_summary": summary},
    }


def main(argv: list[str] | None = None) -> int:
    """Run :func:`bench_marks` alone (Qt offscreen) and print its figures."""
    import argparse
    import json
    import os
    import sys

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser(description="load_10k_ms, first_save_ui_ms, panel_edit_10k_ms")
    parser.add_argument("--marks", type=int, default=10_000, help="marks in the file (default 10,000)")
    parser.add_argument("--edits", type=int, default=30, help="edits timed (default 30)")
    parser.add_argument("--runs", type=int, default=1, help="windows opened one after another")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from viewer.qt.loader import shutdown_decode_pool

    app = QApplication.instance() or QApplication(sys.argv[:1])
    try:
        for _ in range(args.runs):
            result = bench_marks(app, args.marks, args.edits)
            if args.json:
                print(json.dumps(result, indent=2, default=float))
                continue
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            names = ["load_10k_ms", "study_interactive_10k_ms", "load_10k_max_stall_ms"]
            names += ["first_save_ui_ms", "panel_edit_10k_ms"]
            figures = "  ".join(
                f"{name} {result[name]['viewer']:.1f}"
                + (f" (target {TARGETS[name]:g})" if name in TARGETS else "")
                for name in names
            )
            print(f"{figures}  load average {load:.2f}")
    finally:
        shutdown_decode_pool()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
