"""The workstation under a radiologist's hands: the real window driven by keys and clicks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import open_window, screen_point
from tests.fixtures.synthetic_study import write_study
from viewer.core.annotations import Calcification
from viewer.core.commands import AddCalcification
from viewer.qt.hanging import HANGING_ORDER
from viewer.qt.main_window import MainWindow
from viewer.qt.marks_panel import COLUMN
from viewer.qt.settings import Preferences


def _cell_sizes(window: MainWindow) -> list[tuple[int, int]]:
    return [(window.hanging.views[n].width(), window.hanging.views[n].height()) for n in HANGING_ORDER]


def _equal_quarters(window: MainWindow) -> bool:
    sizes = _cell_sizes(window)
    widths, heights = [w for w, _ in sizes], [h for _, h in sizes]
    return max(widths) - min(widths) <= 1 and max(heights) - min(heights) <= 1


class TestGrid:
    def test_cells_return_to_equal_quarters(self, qtbot: QtBot, demo_folder: Path, tmp_path: Path) -> None:
        """Maximise, ], 4, restore, another study: every cell is a quarter again."""
        window = open_window(qtbot, demo_folder)
        assert _equal_quarters(window), _cell_sizes(window)
        full = window.hanging.size()
        qtbot.keyClick(window, Qt.Key.Key_1)
        view = window.hanging.maximised
        assert view is not None
        qtbot.waitUntil(lambda: view.width() >= full.width() - 2 and view.height() >= full.height() - 2)
        qtbot.keyClick(window, Qt.Key.Key_BracketRight)
        lcc = window.hanging.views["LCC"]
        assert window.hanging.maximised is lcc
        qtbot.waitUntil(lambda: lcc.width() >= full.width() - 2 and lcc.height() >= full.height() - 2)
        qtbot.keyClick(window, Qt.Key.Key_4)  # another cell: maximise that one
        qtbot.keyClick(window, Qt.Key.Key_4)  # and back to the four
        assert window.hanging.maximised is None
        qtbot.waitUntil(lambda: _equal_quarters(window), timeout=2000)
        window.showMaximized()
        qtbot.wait(50)
        window.showNormal()
        other = tmp_path / "other"
        write_study(other, reader="someone else")
        rcc = window.hanging.views["RCC"]
        qtbot.mouseMove(rcc.viewport(), rcc.viewport().rect().center())
        qtbot.waitUntil(lambda: "value" in window.view_controls.cursor_label.text(), timeout=2000)
        assert window.open_paths([other])
        qtbot.wait(50)
        assert _equal_quarters(window), _cell_sizes(window)
        assert window.view_controls.cursor_label.text() == ""  # no read-out of the last study's pixel


class TestKeyboardFocus:
    def test_view_keys_never_type_into_the_filter(self, qtbot: QtBot, demo_folder: Path) -> None:
        """1-4, ], [ and tool letters act on the views; the filter stays empty and unfocused."""
        window = open_window(qtbot, demo_folder)
        edit = window.marks_panel.filter_edit
        for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_BracketRight, Qt.Key.Key_BracketLeft):
            qtbot.keyClick(QApplication.focusWidget() or window, key)
            assert QApplication.focusWidget() is not edit
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_C)
        assert window.tool is not None and window.tool.name == "calcification"
        assert edit.text() == ""
        assert QApplication.focusWidget() is not edit

    def test_filter_key_and_escape(self, qtbot: QtBot, demo_folder: Path) -> None:
        """/ gives the filter the keyboard; Esc gives it back to the views."""
        window = open_window(qtbot, demo_folder)
        edit = window.marks_panel.filter_edit
        window.set_tool("calcification")
        qtbot.keyClick(window.hanging.active, Qt.Key.Key_Slash)
        assert QApplication.focusWidget() is edit
        qtbot.keyClicks(edit, "amorph")
        assert edit.text() == "amorph"
        qtbot.keyClick(edit, Qt.Key.Key_Escape)
        assert QApplication.focusWidget() is window.hanging.active
        assert window.tool is not None and window.tool.name == "calcification"  # Esc was not "pan"
        qtbot.keyClick(window.hanging.active, Qt.Key.Key_Slash)
        assert QApplication.focusWidget() is edit


class TestShortcuts:
    def test_no_key_belongs_to_two_actions(self, qtbot: QtBot, demo_folder: Path) -> None:
        """Every shortcut is registered once (Qt does nothing for an ambiguous one)."""
        window = open_window(qtbot, demo_folder)
        keys = Counter(
            key.toString()
            for action in window.findChildren(type(window.undo_action))
            if action.isEnabled() or action in (window.undo_action, window.redo_action)
            for key in action.shortcuts()
            if not key.isEmpty()
        )
        assert [k for k, n in keys.items() if n > 1] == []
        assert keys["Ctrl+Shift+Z"] == 1 and keys["Ctrl+Y"] == 1

    def test_redo_from_the_keyboard(self, qtbot: QtBot, demo_folder: Path) -> None:
        """Ctrl+Z undoes; Ctrl+Shift+Z and Ctrl+Y each redo."""
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        assert view.image is not None
        key = (view.image.sop_instance_uid, 0)
        window.push(AddCalcification(key, Calcification.create((100.0, 100.0), None, view.image.spacing)))
        ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
        for redo in ((Qt.Key.Key_Z, ctrl | shift), (Qt.Key.Key_Y, ctrl)):
            qtbot.keyClick(window, Qt.Key.Key_Z, ctrl)
            assert window.model.count()[0] == 0
            qtbot.keyClick(window, redo[0], redo[1])
            assert window.model.count()[0] == 1, redo


class TestMagnifier:
    def test_held_m_does_not_flicker(
        self, qtbot: QtBot, demo_folder: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Auto-repeated M (release+press pairs) leaves the loupe shown; the real release hides it."""
        window = open_window(qtbot, demo_folder)
        view = window.hanging.views["LCC"]
        loupe = window.view_controls.loupes["LCC"]
        target = QApplication.focusWidget() or view
        view.setFocus()

        qtbot.mouseMove(view, screen_point(view, 300.0, 400.0))
        toggles: list[bool] = []
        original = window.view_controls._loupe_toggled

        def counted() -> None:
            toggles.append(window.view_controls.loupe_active())
            original()

        monkeypatch.setattr(window.view_controls, "_loupe_toggled", counted)

        def key(kind: QEvent.Type, repeat: bool) -> None:
            QApplication.sendEvent(
                target, QKeyEvent(kind, Qt.Key.Key_M, Qt.KeyboardModifier.NoModifier, "m", repeat)
            )

        key(QEvent.Type.KeyPress, False)
        for _ in range(5):
            key(QEvent.Type.KeyRelease, True)
            key(QEvent.Type.KeyPress, True)
        assert toggles == [True]
        key(QEvent.Type.KeyRelease, False)
        assert toggles == [True, False]
        assert not loupe.isVisible()


class TestMarksList:
    def test_labels_and_cluster_columns(self, qtbot: QtBot, tmp_path: Path) -> None:
        """Rows show the lexicon's texts, and each cluster field sits in its own column."""
        folder = tmp_path / "study"
        write_study(folder, reader="tester")
        window = open_window(qtbot, folder)
        panel = window.marks_panel
        calc = panel.index_for("c0")
        assert calc.siblingAtColumn(COLUMN["Morphology"]).data() == "Fine pleomorphic"
        cluster = panel.index_for("k1")
        assert cluster.isValid()
        assert cluster.siblingAtColumn(COLUMN["Distribution"]).data() == "Grouped"
        assert cluster.siblingAtColumn(COLUMN["Assessment"]).data().startswith("4B")
        assert cluster.siblingAtColumn(COLUMN["Note"]).data() == "call Jane Doe back"
        header = panel.tree.horizontalHeader()
        for name in ("Morphology", "Long axis", "Area", "Spacing source", "Distribution", "Note"):
            column = COLUMN[name]
            assert header.sectionSize(column) >= panel.tree.fontMetrics().horizontalAdvance(
                cluster.siblingAtColumn(column).data() or calc.siblingAtColumn(column).data()
            )
        qtbot.keyClick(window.hanging.active, Qt.Key.Key_Slash)
        qtbot.keyClicks(panel.filter_edit, "pleomorphic")
        assert panel.index_for("c0").isValid() and not panel.index_for("p1").isValid()


class TestWindowGeometry:
    def test_first_start_maximised_then_as_left(self, qtbot: QtBot) -> None:
        """The first window opens maximised; the next one where and as large as the last was."""
        first = MainWindow(Preferences(), reader="tester")
        qtbot.addWidget(first)
        first.show_as_last_time()
        qtbot.waitExposed(first)
        assert first.isMaximized()
        first.showNormal()
        screen = first.screen().availableGeometry()
        first.setGeometry(screen.x() + 20, screen.y() + 30, screen.width() * 3 // 4, screen.height() * 3 // 4)
        qtbot.wait(50)
        expected = first.geometry().size()
        first.close()
        second = MainWindow(Preferences(), reader="tester")
        qtbot.addWidget(second)
        second.show_as_last_time()
        qtbot.waitExposed(second)
        assert not second.isMaximized()
        assert second.geometry().size() == expected
