"""Study > Show another reader's marks with SR reports in the study folder, through the real window."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, open_window, view_name
from viewer.core.phantom import Phantom
from viewer.interop.options import ExportOptions
from viewer.interop.sr import export_sr
from viewer.qt.image_view import image_key
from viewer.qt.main_window import MainWindow
from viewer.store.study_tree import load_studies


@pytest.fixture
def window(qtbot: QtBot, demo_folder: Path) -> MainWindow:
    return open_window(qtbot, demo_folder)


def _menu_names(window: MainWindow) -> list[str]:
    menu = window.workflow.others.menu
    menu.aboutToShow.emit()  # what opening Study > Show another reader's marks does
    return [a.text() for a in menu.actions()]


def _choose(window: MainWindow, name: str) -> None:
    action = next(a for a in window.workflow.others.menu.actions() if a.text() == name)
    action.setChecked(True)


def _retarget(ds: Dataset, sop_uid: str, study_uid: str) -> None:
    """Point every image reference of a report at ``sop_uid`` (dwv's ruler, moved onto our view)."""
    ds.StudyInstanceUID = study_uid
    for elem in ds.iterall():
        if elem.keyword == "ReferencedSOPInstanceUID":
            elem.value = sop_uid


class TestReportsAsOtherReaders:
    def test_our_published_report_drawn(
        self, qtbot: QtBot, window: MainWindow, demo_truth: list[Phantom], demo_folder: Path
    ) -> None:
        """Marks saved, exported as SR into the study folder, then shown from the SR alone."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        for speck in phantom.truth[:2]:
            click_on(qtbot, view, *speck.center)
        assert window.saving.save(wait=True)
        studies, _ = load_studies(demo_folder)
        (study,) = [s for s in studies if s.model.reader == window.mark_reader]
        (sr_path,), _ = export_sr([study], demo_folder, ExportOptions(keep_identity=True))
        name = f"{window.mark_reader} (report {sr_path.name})"
        assert name in _menu_names(window)
        _choose(window, name)
        assert view.image is not None
        key = image_key(view.image, view.frame)
        (layer,) = [layer for layer in window.workflow.others.layers if layer.key == key]
        assert layer.drawn_ids == {c.id for _, c in window.model.iter_calcifications()}
        shown = window.workflow.others.shown[name].model
        for k, calc in window.model.iter_calcifications():
            again = shown.images[k].calcifications[calc.id]
            assert again.center == pytest.approx(calc.center, abs=0.5)
            # re-measured with the view's spacing: the same millimetres as the reader's mark
            assert again.sizes is not None and calc.sizes is not None
            assert again.sizes.spacing == calc.sizes.spacing
            assert again.sizes.area_mm2 == pytest.approx(calc.sizes.area_mm2, rel=1e-4)
        assert window.model.count()[0] == 2  # the reader's own marks untouched

    def test_other_tools_ruler_drawn(
        self, window: MainWindow, demo_truth: list[Phantom], demo_folder: Path, shared_data: Path
    ) -> None:
        """dwv's ruler report, referencing one of our views, is drawn there as lines with their lengths."""
        view = window.hanging.views[view_name(demo_truth[0])]
        assert view.image is not None and window.study is not None
        ds = pydicom.dcmread(shared_data / "dwv_tid1500_sr-ruler.dcm")
        _retarget(ds, view.image.sop_instance_uid, window.study.study_instance_uid)
        ds.save_as(demo_folder / "ruler.dcm")
        name = "Annnotation made with dwv (report ruler.dcm)"  # dwv's series description, as written
        assert name in _menu_names(window)
        _choose(window, name)
        (shapes,) = window.workflow.others.shape_layers
        assert shapes.view is view and len(shapes.items) == 3
        line = shapes.items[0].path()
        start, end = line.elementAt(0), line.elementAt(1)
        assert (start.x, start.y, end.x, end.y) == pytest.approx((3.4114, 5.3481, 7.4367, 5.3481), abs=1e-3)
        assert [t.textItem.toPlainText() for t in shapes.texts] == ["Length 4.03 mm"] * 3
        window.workflow.others.clear()
        assert window.workflow.others.shape_layers == [] and shapes.items == []

    def test_foreign_study_report_not_listed(
        self, window: MainWindow, demo_folder: Path, shared_data: Path
    ) -> None:
        """A report of another study in the folder is not offered for this one."""
        shutil.copy(shared_data / "dwv_tid1500_sr-ruler.dcm", demo_folder / "other.dcm")
        assert not any("other.dcm" in n for n in _menu_names(window))

    def test_reopened_menu_reads_nothing_new(
        self, window: MainWindow, demo_folder: Path, shared_data: Path
    ) -> None:
        """Opening the menu again reads no file it has read; a new report is read, and only it."""
        files = window.workflow.others.report_files
        first = _menu_names(window)
        read = files.reads
        assert _menu_names(window) == first and files.reads == read
        view = next(v for v in window.hanging.loaded_views())
        assert view.image is not None and window.study is not None
        ds = pydicom.dcmread(shared_data / "dwv_tid1500_sr-ruler.dcm")
        _retarget(ds, view.image.sop_instance_uid, window.study.study_instance_uid)
        ds.save_as(demo_folder / "ruler.dcm")
        assert "Annnotation made with dwv (report ruler.dcm)" in _menu_names(window)
        assert files.reads == read + 1
