"""The session flow through the real window: candidates, views, worklist, other readers, export, help."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from pydicom import dcmread
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTextBrowser
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, open_window, view_name
from tests.fixtures.read_only import make_read_only
from viewer.core.phantom import Phantom
from viewer.qt.main_window import MainWindow
from viewer.store import sidecar


@pytest.fixture
def window(qtbot: QtBot, demo_folder: Path) -> MainWindow:
    return open_window(qtbot, demo_folder)


class TestCandidates:
    def test_find_accept_reject(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Ctrl+F finds the demo's specks; Y outlines the current one as a mark, X drops one."""
        view = window.hanging.views[view_name(demo_truth[1])]
        window.hanging.active = view
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        review = window.workflow.candidates
        qtbot.waitUntil(lambda: not review.busy, timeout=60000)
        found = len(review.candidates)
        truth = [c.center for c in demo_truth[1].truth if c.diameter_mm >= 0.4]
        near = sum(
            any(abs(c.center[0] - x) + abs(c.center[1] - y) < 6 for c in review.candidates) for x, y in truth
        )
        assert near >= 0.9 * len(truth), (near, len(truth))
        current = review.current
        assert current is not None
        qtbot.keyClick(window, Qt.Key.Key_Y)
        marks = [c for _, c in window.model.iter_calcifications()]
        assert len(marks) == 1
        assert abs(marks[0].center[0] - current.center[0]) < 3
        assert len(review.candidates) == found - 1
        qtbot.keyClick(window, Qt.Key.Key_X)
        assert len(review.candidates) == found - 2
        assert window.model.count()[0] == 1  # rejected candidates are never marks
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert window.model.count()[0] == 0


class TestViewsAndHelp:
    def test_next_view_key_cycles_active_view(self, qtbot: QtBot, window: MainWindow) -> None:
        """']' walks RCC -> LCC -> RMLO -> LMLO -> RCC."""
        window.hanging.active = window.hanging.views["RCC"]
        seen = []
        for _ in range(4):
            qtbot.keyClick(window, Qt.Key.Key_BracketRight)
            seen.append(window.hanging.active.cell_label)
        assert seen == ["LCC", "RMLO", "LMLO", "RCC"]

    def test_f1_help_lists_the_real_shortcuts(self, qtbot: QtBot, window: MainWindow) -> None:
        """F1 opens the help; it names the keys of the menus' actions."""
        qtbot.keyClick(window, Qt.Key.Key_F1)
        dialog = window.workflow.help_dialog
        assert dialog.isVisible()
        help_text = dialog.findChild(QTextBrowser, "help_text")
        assert help_text is not None
        text = help_text.toPlainText()
        for expected in ("Calcification (click)", "Ctrl+S", "Next unfinished study", "Accept candidate"):
            assert expected in text
        dialog.close()


class TestOtherReaderAndExport:
    def test_other_reader_marks_shown_read_only(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Another reader's file is drawn in its own layer; the current reader's model is untouched."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        click_on(qtbot, view, *phantom.truth[0].center)
        other = sidecar.from_dict(sidecar.to_dict(window.model))
        other.reader = "second reader"
        assert window.study is not None
        sidecar.save(other, sidecar.sidecar_path(window.study.folder, "second reader"))
        window.workflow.others.show("second reader", other)
        ((key, mark),) = list(window.model.iter_calcifications())
        layers = [layer for layer in window.workflow.others.layers if layer.key == key]
        assert len(layers) == 1 and layers[0].drawn_ids == {mark.id}
        layer = window.layer_for(key)
        assert layer is not None and layers[0].color != layer.color
        assert window.model.count()[0] == 1

    def test_export_csv_from_menu_code(
        self,
        qtbot: QtBot,
        window: MainWindow,
        tmp_path: Path,
        demo_truth: list[Phantom],
    ) -> None:
        """Export saves pending marks first, then writes one CSV row per calcification."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        for truth in phantom.truth[:2]:
            click_on(qtbot, view, *truth.center)
        assert window.save(wait=True)
        out = tmp_path / "marks.csv"
        assert window.workflow.export_to("csv", out)
        with out.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        calcs = [r for r in rows if r["row_type"] == "calcification"]
        assert len(calcs) == 2
        assert all(r["spacing_source"] == "imager_pixel_spacing_ermf" for r in calcs)

    @pytest.mark.parametrize("fmt", ["sr", "gsps", "inbreast", "csv"])
    def test_export_of_read_only_study(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        tmp_path: Path,
        demo_truth: list[Phantom],
        monkeypatch: pytest.MonkeyPatch,
        fmt: str,
    ) -> None:
        """A study on a read-only folder (marks saved to the fallback) exports every mark in each
        format: the SR and GSPS were '0 files' with no word, their images looked for in the fallback."""
        make_read_only(demo_folder, monkeypatch)
        window = open_window(qtbot, demo_folder)
        assert window.store is not None and window.store.path.parent != demo_folder
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        for truth in phantom.truth[:3]:
            click_on(qtbot, view, *truth.center)
        assert window.save(wait=True)
        out = tmp_path / ("marks.csv" if fmt == "csv" else "out")
        assert window.workflow.export_to(fmt, out)
        assert window.last_message.startswith("Exported 3 calcifications of 1 annotation file to ")
        written = [out] if fmt == "csv" else sorted(out.iterdir())
        assert len(written) == (4 if fmt == "inbreast" else 1)  # INbreast: a file per image
        assert "to 0 files" not in window.last_message
        if fmt in ("sr", "gsps"):
            assert view.image is not None
            ds = dcmread(written[0])
            referenced = {e.value for e in ds.iterall() if e.keyword == "ReferencedSOPInstanceUID"}
            assert referenced == {view.image.sop_instance_uid}
            if fmt == "sr":
                groups = [e for e in ds.iterall() if e.keyword == "GraphicType"]
                assert len(groups) == 3
        assert window.problems.count() == 0 or "export:" not in window.problems.item(0).text()

    def test_export_notes_are_listed(
        self, qtbot: QtBot, window: MainWindow, tmp_path: Path, demo_truth: list[Phantom]
    ) -> None:
        """What an export leaves out is listed in 'Files with problems' and counted in the notice."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        click_on(qtbot, view, *phantom.truth[0].center)
        assert window.save(wait=True)
        assert view.image is not None
        view.image.path.rename(tmp_path / "moved-away.dcm")  # its marks cannot go into the SR
        assert window.workflow.export_to("sr", tmp_path / "out")
        assert "to 0 files" in window.last_message
        assert "1 note(s): see 'Files with problems'" in window.last_message
        listed = [window.problems.item(i).text() for i in range(window.problems.count())]
        assert any(t.startswith("export: ") and "its marks are not in the SR" in t for t in listed)


class TestWorklist:
    def test_next_study_saves_and_opens(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        tmp_path: Path,
        demo_truth: list[Phantom],
        shared_data: Path,
    ) -> None:
        """From a worklist of two studies, Ctrl+Alt+Down saves the marks and opens the next study."""
        root = tmp_path / "tree"
        shutil.copytree(demo_folder, root / "a")
        (root / "b").mkdir()
        name = "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm"
        shutil.copy(shared_data / name, root / "b" / name)
        window = open_window(qtbot, root / "a")
        window.workflow.open_worklist(root)
        panel = window.workflow.worklist
        qtbot.waitUntil(lambda: len(panel.visible_studies()) == 2 and not panel.indexing, timeout=30000)
        assert panel.select_study(root / "a")
        phantom = demo_truth[1]
        window.set_tool("calcification")
        click_on(qtbot, window.hanging.views[view_name(phantom)], *phantom.truth[0].center)
        assert window.model.count()[0] == 1
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        qtbot.keyClick(
            window, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        )
        qtbot.waitUntil(lambda: window.study is not None and window.study.folder == root / "b", timeout=10000)
        saved = sidecar.load(sidecar.sidecar_path(root / "a", "tester"))
        assert saved.count()[0] == 1
        assert window.model.count()[0] == 0


class TestStudyContents:
    def test_two_studies_in_a_folder_are_not_mixed(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        shared_data: Path,
    ) -> None:
        """A folder holding two studies shows one of them and says how to reach the other."""
        name = "fodicom_GH133_GE_SenographeEssential_MG.dcm"
        shutil.copy(shared_data / name, demo_folder / name)
        window = open_window(qtbot, demo_folder)
        assert window.study is not None
        uids = {v.image.study_instance_uid for v in window.hanging.loaded_views() if v.image}
        assert len(uids) == 1
        assert "2 studies in demo-study" in window.last_message

    def test_any_image_can_be_hung_in_the_active_cell(self, qtbot: QtBot, demo_folder: Path) -> None:
        """Study > Images in this study puts another image of the study in the active cell."""
        window = open_window(qtbot, demo_folder)
        assert window.study is not None
        rmlo = next(i for i in window.study.images if i.view_label == "RMLO")
        window.hanging.active = window.hanging.views["RCC"]
        window.show_in_active_cell(rmlo)
        assert window.hanging.views["RCC"].image is rmlo
        assert window.layer_for((rmlo.sop_instance_uid, 0)) is not None
