"""Make the README pictures: the demo study with its calcifications marked.

    QT_QPA_PLATFORM=offscreen python docs/make_screenshots.py

Writes the demo study to a temporary folder, marks every known calcification with the
headless ``measure --save`` command (the GUI's code path), then takes the overview with
``mammo-viewer --screenshot`` and a close-up of the suggested cluster.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pydicom

from viewer.dicom.demo import demo_phantoms, write_demo_study

HERE = Path(__file__).resolve().parent
READER = "demo reader"


def mark_demo(folder: Path) -> None:
    phantoms = demo_phantoms()
    for path in write_demo_study(folder):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        phantom = next(p for p in phantoms if (p.laterality, p.view) == (ds.ImageLaterality, ds.ViewPosition))
        where = [arg for t in phantom.truth for arg in ("--at", f"{t.center[0]:.1f},{t.center[1]:.1f}")]
        subprocess.run(
            [sys.executable, "-m", "viewer", "measure", str(path), *where, "--save", "--reader", READER],
            check=True,
            capture_output=True,
        )


def close_up(folder: Path, out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from viewer.qt.app import take_screenshot
    from viewer.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(reader=READER)
    window.resize(1500, 950)
    window.show()
    window.open_paths([folder])
    window.wait_until_loaded()
    key = next(k for k in window.model.images if window.controller.suggestions_for(k))
    cluster = window.controller.suggestions_for(key)[0]
    window.controller.select(key, set(), {cluster.id})
    layer = window.layer_for(key)
    assert layer is not None
    members = [window.model.image(key).calcifications[m] for m in cluster.member_ids]
    cx = sum(c.center[0] for c in members) / len(members)
    cy = sum(c.center[1] for c in members) / len(members)
    window.hanging.toggle_maximise(layer.view)
    layer.view.center_on(cx, cy, 6.0)
    take_screenshot(window, out)
    window.close()
    del app


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo-study"
        mark_demo(folder)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "viewer",
                "--reader",
                READER,
                "--screenshot",
                str(HERE / "screenshot.png"),
                str(folder),
            ],
            check=True,
        )
        close_up(folder, HERE / "cluster.png")
    print(f"wrote {HERE / 'screenshot.png'} and {HERE / 'cluster.png'}")


if __name__ == "__main__":
    main()
