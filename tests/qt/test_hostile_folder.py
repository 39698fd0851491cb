"""The GUI on a folder of hostile entries and one good file: the good one shows, the rest are listed."""

from __future__ import annotations

import os
import random
import shutil
import sys
from pathlib import Path

import pytest
from pydicom import dcmread
from pytestqt.qtbot import QtBot

from tests.fixtures.fuzz_inputs import MUTATIONS
from tests.fixtures.qt_driving import open_window
from viewer.qt.main_window import MainWindow


@pytest.mark.slow
def test_good_file_shows(qtbot: QtBot, tmp_path: Path, shared_data: Path) -> None:
    """FIFO, link loop, device link, 60000x60000 RLE and damaged files beside one good image."""
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(shared_data / "notzaki_MG_Explicit_Little.dcm", folder / "good.dcm")
    rle = (shared_data / "wg04_RG3_RLE.dcm").read_bytes()
    rng = random.Random(5)
    for n in range(3):  # damaged beyond opening (a file that still opens would be another study)
        (folder / f"bad{n}.dcm").write_bytes(MUTATIONS["header truncation"](rle, rng))
    huge = dcmread(shared_data / "wg04_RG3_RLE.dcm")
    huge.Rows = huge.Columns = 60000
    huge.save_as(folder / "huge.dcm")
    (folder / "loop").symlink_to(folder / "loop")
    if sys.platform != "win32":
        os.mkfifo(folder / "pipe.dcm")
        (folder / "zero.dcm").symlink_to("/dev/zero")
    window: MainWindow = open_window(qtbot, folder)
    shown = [v.image for v in window.hanging.loaded_views() if v.image is not None]
    assert [i.path.name for i in shown] == ["good.dcm"]
    listed = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any("huge.dcm" in t and "refused before decoding" in t for t in listed)
    assert any("pipe.dcm" in t for t in listed) or sys.platform == "win32"
    assert any("symbolic link loop" in t for t in listed)
