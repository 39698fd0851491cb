"""A study folder whose name is not valid UTF-8 (a Latin-1 machine's bytes), in the window.

Qt drops the surrogates such a name reaches Python with: ``caf\\xe9`` showed as ``caf``, the
same as a folder called ``caf``. Every place the window shows a name shows the odd bytes as
``\\xNN`` (:mod:`viewer.core.printable`), as the ``worklist`` command does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import open_window
from tests.fixtures.worklist_tree import write_study
from viewer.qt.worklist_panel import WorklistPanel

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="names are Unicode there")


def _odd(parent: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.fsencode(parent) + b"/" + name))


class TestOddFolderName:
    def test_title_problems_and_notice(self, qtbot: QtBot, tmp_path: Path) -> None:
        """The title, 'Files with problems' and the notice name the folder and file with \\xNN."""
        folder = _odd(tmp_path, b"caf\xe9")
        write_study(folder, "P1")
        _odd(folder, b"bad\xff.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 64)
        window = open_window(qtbot, folder)
        assert window.windowTitle().startswith("caf\\xe9[*]")
        listed = [window.problems.item(i).text() for i in range(window.problems.count())]
        assert any("bad\\xff.dcm" in t for t in listed), listed
        window.notify(f"saved to {folder}")
        assert window.statusBar().currentMessage().endswith("caf\\xe9")

    def test_worklist_folder_column(self, qtbot: QtBot, tmp_path: Path) -> None:
        """The worklist lists both studies; the odd folder reads caf\\xe9, not caf."""
        root = tmp_path / "tree"
        write_study(root / "caf", "P1")
        write_study(_odd(root, b"caf\xe9"), "P2")
        panel = WorklistPanel(reader="Ann")
        qtbot.addWidget(panel)
        with qtbot.waitSignal(panel.indexing_finished, timeout=20000):
            panel.open_root(root)
        column = panel.model.columns().index("Folder")
        shown = sorted(panel.proxy.index(r, column).data() for r in range(panel.proxy.rowCount()))
        assert shown == ["caf", "caf\\xe9"]
