"""Reading in the window: protocols with the prior, the band on MLO, links, nipple, assessment, report."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import image_of, open_window
from viewer.core.annotations import Calcification
from viewer.core.commands import AddCalcification
from viewer.core.landmarks import LandmarkSource
from viewer.dicom.demo import demo_phantoms
from viewer.dicom.demo_prior import NEW_CLUSTER_SIZE, ensure_demo_prior
from viewer.qt.image_view import image_key
from viewer.qt.main_window import MainWindow
from viewer.qt.report_action import write_window_report


@pytest.fixture(scope="session")
def _prior_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prior-master") / "demo-prior"
    ensure_demo_prior(folder)
    return folder


@pytest.fixture
def reading_window(qtbot: QtBot, demo_folder: Path, _prior_master: Path) -> MainWindow:
    """The demo study open, its prior beside it found, landmarks found."""
    shutil.copytree(_prior_master, demo_folder.parent / "demo-prior")
    window = open_window(qtbot, demo_folder)
    assert window.protocols.wait_for_prior()
    window.finding_reading.wait_for_landmarks()
    assert window.protocols.prior_study is not None, window.last_message
    return window


def _visible(window: MainWindow) -> set[str]:
    return {v.objectName() for v in window.hanging.all_cells() if v.isVisible()}


def _mark_group(window: MainWindow, name: str) -> None:
    """Mark the demo's group of seven on ``name`` (LCC or LMLO) with a round outline each, as marks."""
    phantom = next(p for p in demo_phantoms() if f"{p.laterality}{p.view}" == name)
    view = window.hanging.views[name]
    key = image_key(image_of(view), view.frame)
    spacing = window.model.images[key].spacing
    for truth in phantom.truth[:NEW_CLUSTER_SIZE]:
        (x, y), r = truth.center, truth.diameter_px_x / 2
        ring = [
            (x + r * math.cos(a), y + r * math.sin(a))
            for a in np.linspace(0, 2 * math.pi, 12, endpoint=False)
        ]
        window.push(AddCalcification(key, Calcification.create((x, y), ring, spacing, reader="tester")))


def _cluster_key(window: MainWindow, name: str) -> tuple[tuple[str, int], str]:
    view = window.hanging.views[name]
    key = image_key(image_of(view), view.frame)
    _mark_group(window, name)
    suggestions = window.controller.suggestions_for(key)
    assert suggestions, f"no suggested cluster on {name}"
    return key, suggestions[0].id


def _confirm_cluster(window: MainWindow, name: str) -> tuple[tuple[str, int], str]:
    key, cluster_id = _cluster_key(window, name)
    window.controller.select(key, set(), {cluster_id})
    window.controller.confirm_selected()
    confirmed = [c for c in window.model.images[key].clusters.values() if c.confirmed]
    assert len(confirmed) == 1
    window.controller.select(key, set(), {confirmed[0].id})
    return key, confirmed[0].id


class TestProtocols:
    def test_switching_and_the_reading_sequence(self, qtbot: QtBot, reading_window: MainWindow) -> None:
        """CC pair shows two cells; CC over prior four with the prior's pixels; Alt+Right steps on."""
        window = reading_window
        assert window.protocols.apply("cc_pair")
        assert _visible(window) == {"view_RCC", "view_LCC"}
        assert window.protocols.apply("cc_over_prior")
        assert _visible(window) == {"view_RCC", "view_LCC", "view_prior_RCC", "view_prior_LCC"}
        prior = window.hanging.prior_views["LCC"]
        current = window.hanging.views["LCC"].image
        assert prior.image is not None and current is not None
        assert prior.image.study_date < current.study_date
        assert prior.align == "left" and window.hanging.prior_views["RCC"].align == "right"
        qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        assert window.protocols.current == "mlo_over_prior"
        qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
        assert window.protocols.current == "four_up"
        assert _visible(window) == {"view_RCC", "view_LCC", "view_RMLO", "view_LMLO"}

    def test_prior_zoom_and_pan_follow(self, qtbot: QtBot, reading_window: MainWindow) -> None:
        """In current-over-prior, zooming and panning a current view moves the prior's same view, and back."""
        window = reading_window
        window.protocols.apply("cc_over_prior")
        current, prior = window.hanging.views["LCC"], window.hanging.prior_views["LCC"]
        current.center_on(600.0, 900.0, zoom=1.5)
        cx, cy, zoom = prior.view_state()
        assert (cx, cy) == pytest.approx((600.0, 900.0), abs=2.0) and zoom == pytest.approx(1.5, rel=0.02)
        prior.center_on(300.0, 1200.0, zoom=0.8)
        prior.user_changed_range.emit(prior)
        assert current.view_state()[:2] == pytest.approx((300.0, 1200.0), abs=2.0)

    def test_no_prior_protocols_refused(self, qtbot: QtBot, demo_folder: Path) -> None:
        """Without a prior the prior protocols are disabled and say why."""
        window = open_window(qtbot, demo_folder)
        assert window.protocols.wait_for_prior()
        assert not window.protocols.apply("cc_over_prior")
        assert "this study has no prior exam" in window.last_message
        assert not window.protocols.actions["cc_over_prior"].isEnabled()

    def test_a_prior_anywhere_in_the_worklist_tree_hangs(
        self, qtbot: QtBot, demo_folder: Path, _prior_master: Path
    ) -> None:
        """A prior filed deep in the worklist's tree, far from the study's folder, is found and hangs."""
        archive = demo_folder.parent / "archive"
        shutil.copytree(_prior_master, archive / "2023" / "january" / "week-1" / "p" / "demo-prior")
        window = open_window(qtbot, demo_folder)
        assert window.protocols.wait_for_prior()
        assert window.protocols.prior_study is None  # deeper than the search beside the study goes
        window.workflow.open_worklist(archive)
        panel = window.workflow.worklist
        qtbot.waitUntil(lambda: len(panel.visible_studies()) == 1 and not panel.indexing, timeout=30000)
        assert window.open_paths([demo_folder])
        qtbot.waitUntil(window.images_ready, timeout=60000)
        assert window.protocols.wait_for_prior()
        assert window.protocols.prior_study is not None, window.last_message
        assert "Prior found: 2023-01-02" in window.last_message
        assert window.protocols.apply("cc_over_prior")
        assert window.hanging.prior_views["LCC"].image is not None


class TestFindingsAcrossViews:
    def test_nipples_found_and_band_drawn_on_mlo(self, qtbot: QtBot, reading_window: MainWindow) -> None:
        """Every view has a found nipple; selecting the LCC cluster draws the +-1 cm band on LMLO."""
        window = reading_window
        for name, layer in window.finding_reading.layers.items():
            assert layer.landmarks is not None and layer.target.isVisible(), name
        _confirm_cluster(window, "LCC")
        band = window.finding_reading.layers["LMLO"]
        assert band.band_shown
        inner, outer = (ring.rect().width() / 2 for ring in band.band)
        spacing = image_of(window.hanging.views["LMLO"]).spacing
        assert spacing.col_mm is not None
        assert (outer - inner) * spacing.col_mm == pytest.approx(20.0, abs=0.01)
        assert "cm from the nipple" in window.last_message

    def test_link_and_unlink_are_undo_steps(self, qtbot: QtBot, reading_window: MainWindow) -> None:
        """Ctrl+L links the LCC and LMLO clusters (clock face told); undo and redo; Ctrl+Shift+L unlinks."""
        window = reading_window
        _confirm_cluster(window, "LCC")
        _confirm_cluster(window, "LMLO")
        window.hanging._activate(window.hanging.views["LMLO"])
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert len(window.model.reading.links) == 1, window.last_message
        assert "left breast" in window.last_message and "o'clock" in window.last_message
        window.undo()
        assert window.model.reading.links == {}
        window.redo()
        assert len(window.model.reading.links) == 1
        qtbot.keyClick(
            window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
        assert window.model.reading.links == {}
        window.undo()
        assert len(window.model.reading.links) == 1

    def test_nipple_drag_is_one_undo_step(self, qtbot: QtBot, reading_window: MainWindow) -> None:
        """Dropping the nipple elsewhere records the reader's nipple; undo puts the found one back."""
        window = reading_window
        view = window.hanging.views["RCC"]
        key = image_key(image_of(view), view.frame)
        found = window.model.reading.landmarks[key]
        layer = window.finding_reading.layers["RCC"]
        layer.target.setPos(found.landmarks.nipple[0] - 40, found.landmarks.nipple[1] + 25)
        layer.target.sigPositionChangeFinished.emit(layer.target)
        moved = window.model.reading.landmarks[key].landmarks
        assert moved.source is LandmarkSource.READER
        assert moved.nipple == pytest.approx((found.landmarks.nipple[0] - 40, found.landmarks.nipple[1] + 25))
        window.undo()
        assert window.model.reading.landmarks[key] == found


class TestAssessmentAndReport:
    def test_assessment_panel_edits_through_commands(self, qtbot: QtBot, reading_window: MainWindow) -> None:
        """Choosing 4B for the left breast sets the model's assessment; undo clears it."""
        window = reading_window
        panel = window.assessment_panel
        panel.left.setCurrentIndex(panel.left.findData("4B"))
        assert window.model.reading.assessment.left == "4B"
        assert window.model.reading.assessment.overall_category == "4B"
        window.undo()
        assert window.model.reading.assessment.left is None
        assert panel.left.currentData() is None

    def test_report_html_and_pdf(self, qtbot: QtBot, reading_window: MainWindow, tmp_path: Path) -> None:
        """File > Report writes an HTML page naming the linked finding and a PDF of it."""
        window = reading_window
        _confirm_cluster(window, "LCC")
        _confirm_cluster(window, "LMLO")
        window.hanging._activate(window.hanging.views["LCC"])
        window.finding_reading.link_last()
        html_out, pdf_out = tmp_path / "r.html", tmp_path / "r.pdf"
        assert write_window_report(window, html_out), window.last_message
        text = html_out.read_text(encoding="utf-8")
        assert "Left breast, " in text and "o&#x27;clock" in text and "data:image/png;base64," in text
        assert "DEMO^MAMMO" not in text and "DEMO-0001" not in text
        assert write_window_report(window, pdf_out), window.last_message
        assert pdf_out.read_bytes().startswith(b"%PDF")


class TestOlderPriors:
    def test_the_reader_picks_which_prior_hangs(
        self, qtbot: QtBot, demo_folder: Path, _prior_master: Path
    ) -> None:
        """Two earlier exams: the most recent hangs; View > Hanging protocol > Prior exam hangs the other."""
        import pydicom
        from pydicom.uid import generate_uid

        shutil.copytree(_prior_master, demo_folder.parent / "demo-prior")
        older = demo_folder.parent / "older-prior"
        older.mkdir()
        study_uid, series_uid = generate_uid(), generate_uid()
        for src in sorted(_prior_master.glob("*.dcm")):
            ds = pydicom.dcmread(src)
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            ds.StudyDate = "20220102"
            ds.save_as(older / src.name)
        window = open_window(qtbot, demo_folder)
        assert window.protocols.wait_for_prior()
        protocols = window.protocols
        assert [p.study_date for p in protocols.priors] == ["20230102", "20220102"]
        assert "1 older" in window.last_message
        assert [a.isChecked() for a in protocols.prior_actions] == [True, False]
        assert protocols.apply("cc_over_prior")
        assert image_of(window.hanging.prior_views["LCC"]).study_date == "20230102"
        protocols.prior_actions[1].trigger()
        assert [a.isChecked() for a in protocols.prior_actions] == [False, True]
        assert image_of(window.hanging.prior_views["LCC"]).study_date == "20220102"
        assert "PRIOR 2022-01-02" in window.hanging.prior_views["LCC"].note
        assert protocols.current == "cc_over_prior"
