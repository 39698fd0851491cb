"""Issue 11's workstation items driven in the real window: the ruler, the double click."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import image_of, open_window, pick, screen_point, view_name
from viewer.core.phantom import Phantom
from viewer.dicom.demo import ERMF
from viewer.qt.image_view import ImageView


def _drag(qtbot: QtBot, view: ImageView, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    for t in (0.1, 0.3, 0.6, 1.0):
        qtbot.mouseMove(view.viewport(), start + (end - start) * t)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)


def _double_click(qtbot: QtBot, view: ImageView, pos: QPoint) -> None:
    """What a mouse sends for a double click: press, release, double-click press, release
    (QTest's mouseDClick sends the double-click event alone)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    qtbot.mouseMove(view.viewport(), pos)
    for kind, buttons in (
        (QEvent.Type.MouseButtonPress, left),
        (QEvent.Type.MouseButtonRelease, none),
        (QEvent.Type.MouseButtonDblClick, left),
        (QEvent.Type.MouseButtonRelease, none),
    ):
        local = QPointF(pos)
        event = QMouseEvent(
            kind, local, view.viewport().mapToGlobal(local), left, buttons, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(view.viewport(), event)
    qtbot.wait(10)


class TestRuler:
    def test_ruler_names_its_spacing_source(self, qtbot: QtBot, demo_folder: Path) -> None:
        """R, drag: the ruler's length carries the source, "(ERMF 1.08)", like the marks."""
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["RCC"]
        view.center_on(600, 600, zoom=1.0)
        view.render()
        qtbot.keyClick(window, Qt.Key.Key_R)
        assert window.tool is not None and window.tool.name == "ruler"
        _drag(qtbot, view, screen_point(view, 500, 600), screen_point(view, 700, 600))
        text = view.sketch.ruler_text.toPlainText()
        spacing = window.model.image((image_of(view).sop_instance_uid, 0)).spacing
        assert text.endswith(f"mm (ERMF {ERMF:.2f})"), text
        assert spacing.col_mm is not None
        assert abs(float(text.split()[0]) - 200 * spacing.col_mm) < 0.02 + 4 * spacing.col_mm

    def test_the_length_stays_in_the_cell_on_a_dark_backdrop(self, qtbot: QtBot, demo_folder: Path) -> None:
        """A line dragged to the cell's right edge keeps its length inside the cell, backed."""
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["RCC"]
        view.center_on(600, 600, zoom=1.0)
        view.render()
        qtbot.keyClick(window, Qt.Key.Key_R)
        (_, x1), _ = view.vb.viewRange()
        right_edge, _ = view.display_to_image(x1 - 1, view.vb.viewRect().center().y())
        _drag(qtbot, view, screen_point(view, 600, 600), screen_point(view, right_edge, 600))
        label = view.sketch.ruler_text
        assert label.isVisible() and label.fill.color().alpha() > 150
        box = view.mapFromScene(label.mapRectToScene(label.boundingRect())).boundingRect()
        assert view.viewport().rect().contains(box), (box, view.viewport().rect())


class TestDoubleClick:
    def test_double_click_in_the_calcification_tool_maximises_and_adds_nothing(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        demo_truth: list[Phantom],
    ) -> None:
        """C, double click on a speck: no mark (nothing to undo or redo), the view maximised;
        a double click again restores the four, and a single click still marks."""
        window = open_window(qtbot, demo_folder)
        phantom = demo_truth[0]
        view = window.hanging.views[view_name(phantom)]
        truth = pick(phantom)
        qtbot.keyClick(window, Qt.Key.Key_C)
        assert window.tool is not None and window.tool.name == "calcification"
        view.center_on(*truth.center, zoom=4.0)
        view.render()
        pos = screen_point(view, *truth.center)
        _double_click(qtbot, view, pos)
        assert window.hanging.maximised is view
        assert list(window.model.iter_calcifications()) == []
        assert window.session.history.undo_text is None and window.session.history.redo_text is None
        assert not window.session.dirty
        qtbot.wait(50)
        view.center_on(*truth.center, zoom=4.0)
        view.render()
        pos = screen_point(view, *truth.center)
        _double_click(qtbot, view, pos)
        assert window.hanging.maximised is None
        assert list(window.model.iter_calcifications()) == []
        qtbot.wait(700)  # past the double-click time: the next click is a single one
        view.center_on(*truth.center, zoom=4.0)
        view.render()
        pos = screen_point(view, *truth.center)
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        assert len(list(window.model.iter_calcifications())) == 1


class TestWorklistTwoStudiesInOneFolder:
    def test_each_study_of_a_folder_opens_from_the_worklist(
        self,
        qtbot: QtBot,
        tmp_path: Path,
        shared_data: Path,
    ) -> None:
        """GE and Siemens files in one folder: two worklist rows, and Ctrl+Alt+Down opens each."""
        root = tmp_path / "tree"
        folder = root / "mixed"
        folder.mkdir(parents=True)
        for name in (
            "fodicom_GH133_GE_SenographeEssential_MG.dcm",
            "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm",
        ):
            shutil.copy(shared_data / name, folder / name)
        window = open_window(qtbot, folder)
        window.workflow.open_worklist(root)
        panel = window.workflow.worklist
        qtbot.waitUntil(lambda: len(panel.visible_studies()) == 2 and not panel.indexing, timeout=30000)
        rows = panel.visible_studies()
        assert {r.path for r in rows} == {folder}
        assert len({r.study_instance_uid for r in rows}) == 2
        opened = []
        for row in rows:
            window.activateWindow()
            qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
            qtbot.keyClick(
                window, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            )
            uid = row.study_instance_uid

            def opened_it(uid: str = uid) -> bool:
                return window.study is not None and window.study.study_instance_uid == uid

            qtbot.waitUntil(opened_it, timeout=20000)
            assert panel.current_study() == row
            shown = {v.image.study_instance_uid for v in window.hanging.loaded_views() if v.image}
            assert shown == {row.study_instance_uid}
            assert window.study is not None
            opened.append(window.study.study_instance_uid)
        assert opened == [r.study_instance_uid for r in rows]


def _right_drag(qtbot: QtBot, view: ImageView, dx: int) -> None:
    start = view.viewport().rect().center()
    end = start + QPoint(dx, 0)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.RightButton, pos=start)
    for t in (0.2, 0.5, 1.0):
        qtbot.mouseMove(view.viewport(), start + (end - start) * t)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.RightButton, pos=end)


class TestLinkedPresets:
    def test_linked_w_a_and_presets_show_each_views_own_named_window(
        self,
        qtbot: QtBot,
        demo_folder: Path,
    ) -> None:
        """Linked W/L: W, A and Ctrl+2 give every view its own file's window, named, and say
        so; a drag back to the start names the preset again; no view says "Custom" then."""
        window = open_window(qtbot, demo_folder)
        controls = window.view_controls
        controls.link_wl_action.setChecked(True)
        views = window.hanging.loaded_views()
        assert len(views) == 4
        rcc = window.hanging.views["RCC"]
        window.hanging.active = rcc

        def names() -> set[str]:
            return {v.voi.name for v in views if v.voi is not None}

        def overlay_says_custom() -> bool:
            return any("Custom" in v.overlays.bottom.text() for v in views)

        _right_drag(qtbot, rcc, 120)
        assert names() == {"Custom"}
        qtbot.keyClick(window, Qt.Key.Key_W)
        for view in views:
            assert view.image is not None and view.voi is view.image.default_voi(view.frame)
        assert names() == {"NORMAL"} and not overlay_says_custom()
        assert "file's window on 4 linked views" in window.last_message
        qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
        for view in views:
            assert view.image is not None and view.voi is view.image.voi_presets[1]
        assert names() == {"HARDER"}
        qtbot.keyClick(window, Qt.Key.Key_A)
        for view in views:
            assert view.image is not None and view.voi is view.image.auto_voi(view.frame)
        assert "automatic window on 4 linked views" in window.last_message
        qtbot.keyClick(window, Qt.Key.Key_W)
        _right_drag(qtbot, rcc, 120)
        assert names() == {"Custom"}
        _right_drag(qtbot, rcc, -120)  # back where it started: every view on its own preset
        assert names() == {"NORMAL"}, [(v.voi.name, v.voi.center, v.voi.width) for v in views if v.voi]
        assert not overlay_says_custom()


class TestQuickEntry:
    def test_choices_listed_second_key_awaited_and_study_keys(self, qtbot: QtBot, demo_folder: Path) -> None:
        """B r 4 b: the panel lists every choice, then the awaited second keys; right breast 4B set."""
        window = open_window(qtbot, demo_folder)
        popup = window.entry_keys.popup
        qtbot.keyClick(window, Qt.Key.Key_B)
        assert popup.isVisible() and [lab.key for lab in popup.shown] == ["c", "r", "l", "o"]
        qtbot.keyClick(window, Qt.Key.Key_R)
        assert len(popup.shown) == 9
        qtbot.keyClick(window, Qt.Key.Key_4)
        assert [lab.key for lab in popup.shown] == ["4a", "4b", "4c"]
        assert "second key is awaited" in window.last_message
        qtbot.keyClick(window, Qt.Key.Key_B)
        assert not popup.isVisible()
        assert window.model.reading.assessment.right == "4B"
        qtbot.keyClick(window, Qt.Key.Key_B)
        qtbot.keyClick(window, Qt.Key.Key_C)
        qtbot.keyClick(window, Qt.Key.Key_D)
        assert window.model.reading.assessment.composition == "d"


class TestNippleMarker:
    def test_a_pan_started_on_the_nipple_label_pans(self, qtbot: QtBot, demo_folder: Path) -> None:
        """A drag that starts on the word "nipple" (not on its cross) pans the view and leaves the
        nipple where it was; a drag that starts on the cross still moves the nipple."""
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["RCC"]
        layer = window.finding_reading.layers["RCC"]
        qtbot.waitUntil(lambda: layer.landmarks is not None and layer.target.isVisible(), timeout=5000)
        assert layer.landmarks is not None
        nx, ny = layer.landmarks.nipple
        view.center_on(nx, ny, zoom=1.0)
        view.render()
        label = layer.caption
        assert label is not None
        on_label = view.mapFromScene(label.mapToScene(label.boundingRect().center()))
        assert (on_label - screen_point(view, nx, ny)).manhattanLength() > 20  # clear of the cross
        before = view.vb.viewRect()
        # the pointer comes to where the drag starts, as a hand's does: pyqtgraph gives a drag to
        # the item the last hover found there
        qtbot.mouseMove(view.viewport(), on_label)
        qtbot.wait(20)
        _drag(qtbot, view, on_label, on_label + QPoint(0, 80))
        landmarks = layer.landmarks
        assert landmarks is not None and landmarks.nipple == (nx, ny)
        assert abs(view.vb.viewRect().top() - before.top()) > 20  # the view panned
        cross = screen_point(view, nx, ny)
        qtbot.mouseMove(view.viewport(), cross)
        qtbot.wait(20)
        _drag(qtbot, view, cross, cross + QPoint(-40, 30))
        landmarks = layer.landmarks
        assert landmarks is not None and landmarks.nipple != (nx, ny)
