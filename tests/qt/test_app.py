"""The program as a user starts it: `mammo-viewer --screenshot`, with and without a path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
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


def assert_four_views_back_to_back(grey: np.ndarray) -> None:
    """The picture shows a 2x2 hanging of four breasts, chest walls meeting at the middle seam.

    An empty or grey window fails: each cell must hold breast tissue (mid to bright grey) beside
    black background, and the tissue must sit against the seam (right breasts on the left of the
    screen, facing the patient), which is what the demo study's hanging shows.
    """
    g = grey.astype(float)
    h, w = g.shape
    band = slice(int(0.2 * w), int(0.5 * w))
    seam_x = band.start + int(np.argmax(g[int(0.1 * h) : int(0.9 * h), band].mean(axis=0)))
    half = int(0.2 * w)
    left, right = g[:, seam_x - half : seam_x - 3], g[:, seam_x + 4 : seam_x + half]
    seam_y = int(0.3 * h) + int(np.argmax(left[int(0.3 * h) : int(0.7 * h)].mean(axis=1)))
    top, bottom = slice(int(0.07 * h), seam_y - 3), slice(seam_y + 4, int(0.95 * h))
    cells = {
        "RCC": (left[top], "right"),
        "LCC": (right[top], "left"),
        "RMLO": (left[bottom], "right"),
        "LMLO": (right[bottom], "left"),
    }
    for view, (cell, chest_side) in cells.items():
        assert 0.15 < (cell > 60).mean() < 0.9, f"{view}: no breast tissue in its cell"
        assert (cell < 15).mean() > 0.1, f"{view}: no black background around the breast"
        third = cell.shape[1] // 3
        near, far = (
            (cell[:, -third:], cell[:, :third])
            if chest_side == "right"
            else (cell[:, :third], cell[:, -third:])
        )
        assert near.mean() > 3 * far.mean() + 10, f"{view}: the chest wall is not at the seam"


@pytest.mark.slow
class TestScreenshot:
    def test_demo_screenshot(self, tmp_path: Path) -> None:
        """With no path the demo study is written and shown; the picture has the four views."""
        out = tmp_path / "demo.png"
        result = run_viewer("--reader", "tester", "--screenshot", str(out), data_dir=tmp_path / "data")
        assert result.returncode == 0, result.stderr
        grey = picture(out)
        assert grey.shape[0] > 500 and grey.shape[1] > 800
        assert_four_views_back_to_back(grey)
        assert (tmp_path / "data" / "demo-study").is_dir()

    def test_screenshot_of_a_folder_with_a_bad_file(self, tmp_path: Path, demo_folder: Path) -> None:
        """A file that is not DICOM does not stop the others from opening and being pictured."""
        (demo_folder / "notes.dcm").write_text("this is not DICOM")
        out = tmp_path / "study.png"
        result = run_viewer(
            "--reader", "tester", "--screenshot", str(out), str(demo_folder), data_dir=tmp_path / "data"
        )
        assert result.returncode == 0, result.stderr
        assert_four_views_back_to_back(picture(out))

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
