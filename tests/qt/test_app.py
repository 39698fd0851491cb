"""The program as a user starts it: `mammo-viewer --screenshot`, with and without a path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def run_viewer(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MAMMO_VIEWER_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "-m", "viewer", *args], capture_output=True, text=True, env=env, timeout=180
    )


def picture(path: Path) -> np.ndarray:
    """The PNG as a grey array (read with Pillow, independent of Qt)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


class TestScreenshot:
    def test_demo_screenshot(self, tmp_path: Path) -> None:
        """With no path the demo study is written and shown; the picture has the four views."""
        out = tmp_path / "demo.png"
        result = run_viewer("--reader", "tester", "--screenshot", str(out), data_dir=tmp_path / "data")
        assert result.returncode == 0, result.stderr
        grey = picture(out)
        assert grey.shape[0] > 500 and grey.shape[1] > 800
        assert grey.std() > 20  # images, not an empty window
        assert (tmp_path / "data" / "demo-study").is_dir()

    def test_screenshot_of_a_folder_with_a_bad_file(self, tmp_path: Path, demo_folder: Path) -> None:
        """A file that is not DICOM does not stop the others from opening and being pictured."""
        (demo_folder / "notes.dcm").write_text("this is not DICOM")
        out = tmp_path / "study.png"
        result = run_viewer(
            "--reader", "tester", "--screenshot", str(out), str(demo_folder), data_dir=tmp_path / "data"
        )
        assert result.returncode == 0, result.stderr
        assert picture(out).std() > 20

    def test_nothing_to_open_fails_with_a_message(self, tmp_path: Path) -> None:
        """A folder with no DICOM image gives a non-zero status and says why."""
        empty = tmp_path / "empty"
        empty.mkdir()
        (empty / "readme.txt").write_text("no images here")
        result = run_viewer(
            "--reader",
            "tester",
            "--screenshot",
            str(tmp_path / "x.png"),
            str(empty),
            data_dir=tmp_path / "data",
        )
        assert result.returncode != 0
        assert "mammo-viewer:" in result.stderr
