"""The core, dicom, store and headless packages must work with Qt absent (STYLE.md practice 1)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import viewer

PACKAGE_ROOT = Path(viewer.__file__).resolve().parent
QT_FREE = ("core", "dicom", "store", "interop", "sources", "session", "headless")


def test_qt_free_packages_import_without_pyside6_and_pyqtgraph() -> None:
    """Every module of core/dicom/store/headless imports with PySide6 and pyqtgraph blocked."""
    modules = sorted(
        "viewer." + ".".join(p.relative_to(PACKAGE_ROOT).with_suffix("").parts)
        for pkg in QT_FREE
        for p in (PACKAGE_ROOT / pkg).rglob("*.py")
    )
    modules = [m.removesuffix(".__init__") for m in modules]
    assert len(modules) >= 5, modules
    script = textwrap.dedent(
        f"""
        import importlib, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6"):
                    raise ImportError("Qt is blocked in this test: " + name)
                return None

        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        import viewer.cli
        loaded = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph")]
        assert not loaded, loaded
        print("ok", len({modules!r}))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_block_really_blocks() -> None:
    """The blocking trick used above does stop a Qt import (so the test above can fail)."""
    script = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "PySide6":
                    raise ImportError("blocked")
                return None
        sys.meta_path.insert(0, Block())
        import viewer.qt.app
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode != 0
    assert "blocked" in result.stderr
