"""100,000 marks: validating the annotation file, and opening it in the GUI.

Targets (issue 13): ``mammo-viewer validate`` under 5 s, the GUI showing the study with its
marks under 10 s. The marks lie on the four images of the demo study, so the GUI draws them.
Run alone with ``python benchmarks/hostile_bench.py [N]``; the main benchmark script calls
:func:`run`. The GUI part runs in its own process (offscreen Qt), timed from ``open_paths``
until every image is shown and the event loop is idle.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS = {"validate_s": 5.0, "gui_open_s": 10.0}
GUI_TIMEOUT_S = 300

_GUI = """
import sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from viewer.qt.main_window import MainWindow
window = MainWindow(reader=sys.argv[2])
window.resize(1400, 900)
window.show()
app.processEvents()
start = time.perf_counter()
assert window.open_paths([Path(sys.argv[1])])
while not window.images_ready():
    app.processEvents()
    time.sleep(0.005)
for _ in range(5):
    app.processEvents()
elapsed = time.perf_counter() - start
marks = window.session.model.count()[0]
print(f"{elapsed:.3f} {marks}", flush=True)
window.close()
"""


def make_study(folder: Path, n: int, reader: str) -> Path:
    """The demo study in ``folder`` with ``n`` outlined marks over its four images."""
    from viewer.core.annotations import Calcification, StudyAnnotations
    from viewer.dicom.demo import ensure_demo_study
    from viewer.dicom.study import open_study
    from viewer.store.sidecar import save, sidecar_path

    ensure_demo_study(folder)
    study = open_study([folder])
    model = StudyAnnotations(reader, study.study_instance_uid)
    records = [image.annotation_record(0) for image in study.images]
    for record in records:
        model.ensure_image(record)
    for i in range(n):
        record = records[i % len(records)]
        cx = 100.0 + (i // 4 % 300) * 5.5
        cy = 100.0 + (i // 1200 % 300) * 6.5
        outline = [(cx + 2 * math.cos(t * math.pi / 4), cy + 2 * math.sin(t * math.pi / 4)) for t in range(8)]
        calc = Calcification.create((cx, cy), outline, record.spacing, reader=reader)
        model.put_calcification(record.key, calc)
    path = sidecar_path(folder, reader)
    save(model, path)
    return path


def bench_validate(path: Path) -> dict[str, float]:
    from viewer.cli import main

    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        saved, sys.stdout = sys.stdout, sink
        try:
            code = main(["validate", str(path)])
        finally:
            sys.stdout = saved
    return {"validate_s": time.perf_counter() - start, "validate_exit": float(code)}


def bench_gui(folder: Path, reader: str) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", _GUI, str(folder), reader],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if result.returncode != 0:
        return {"gui_error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    elapsed, marks = result.stdout.split()
    return {"gui_open_s": float(elapsed), "gui_marks": float(marks)}


def run(n: int = 100_000, gui: bool = True) -> dict[str, Any]:
    """Validate and GUI-open times for ``n`` marks, beside the same study without marks."""
    reader = "bench-reader"
    out: dict[str, Any] = {
        "marks": n,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    with tempfile.TemporaryDirectory() as tmp:
        baseline = Path(tmp) / "empty"
        make_study(baseline, 0, reader)
        if gui:
            out["baseline_gui_open_s"] = bench_gui(baseline, reader).get("gui_open_s")
        folder = Path(tmp) / "study"
        start = time.perf_counter()
        path = make_study(folder, n, reader)
        out["file_mb"] = path.stat().st_size / 1e6
        out["write_s"] = time.perf_counter() - start
        out.update(bench_validate(path))
        out.update(bench_gui(folder, reader) if gui else {})
    out["targets"] = TARGETS
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(run(n, gui="--no-gui" not in sys.argv), indent=2))
