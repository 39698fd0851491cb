"""Multi-frame images (breast tomosynthesis): page through the frames, mark on one frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.fixtures.qt_driving import click_on, open_window
from viewer.dicom.demo import demo_dataset, demo_phantom
from viewer.qt.main_window import MainWindow

FRAMES = 3


@pytest.fixture
def tomo_folder(tmp_path: Path) -> Path:
    """A 3-frame MG file: frame k is the demo LCC shifted down by 40 k rows."""
    phantom = demo_phantom(1)
    ds = demo_dataset(phantom, 1)
    frames = np.stack([np.roll(phantom.pixels, 40 * k, axis=0) for k in range(FRAMES)])
    ds.NumberOfFrames = FRAMES
    ds.PixelData = frames.astype(np.uint16).tobytes()
    folder = tmp_path / "tomo"
    folder.mkdir()
    ds.save_as(folder / "tomo.dcm", enforce_file_format=True)
    return folder


def test_page_down_shows_next_frame_and_marks_stay_on_their_frame(qtbot, tomo_folder: Path) -> None:  # type: ignore[no-untyped-def]
    """PgDown moves to frame 2; a mark made there belongs to frame 2 and is not drawn on frame 1."""
    window: MainWindow = open_window(qtbot, tomo_folder)
    view = window.hanging.views["LCC"]
    assert view.image is not None and view.image.frames == FRAMES
    window.hanging.active = view
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert view.frame == 1
    assert "frame 2/3" in view.overlay_bottom.text()
    truth = demo_phantom(1).truth[-1]
    window.set_tool("calcification")
    click_on(qtbot, view, truth.center[0], truth.center[1] + 40)
    ((key, calc),) = list(window.model.iter_calcifications())
    assert key[1] == 1
    assert abs(calc.center[1] - (truth.center[1] + 40)) < 2
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert view.frame == 0
    assert window.layer_for(key) is None
    assert window.layer_for((key[0], 0)) is not None
    assert window.layer_for((key[0], 0)).drawn_ids == set()  # type: ignore[union-attr]
