"""Tests of viewer.qt.worklist_panel (and its model): indexing, table, filters, navigation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.fixtures.worklist_tree import write_tree
from viewer.qt.worklist_model import FIXED_COLUMNS
from viewer.qt.worklist_panel import WorklistPanel
from viewer.sources.worklist import StudyEntry
from viewer.sources.worklist_status import STATUS_FILE, Status


def path_of(entry: StudyEntry | None) -> Path | None:
    """The folder of a chosen study, or None when there was none to choose."""
    return None if entry is None else entry.path


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    return write_tree(tmp_path / "tree")


@pytest.fixture
def panel(qtbot: QtBot, folders: list[Path]) -> WorklistPanel:
    """A panel for reader Ann on the five-study tree, indexing finished."""
    widget = WorklistPanel(reader="Ann")
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    with qtbot.waitSignal(widget.indexing_finished, timeout=20000) as blocker:
        widget.open_root(folders[0].parent)
    assert blocker.args == [5]
    return widget


def column(panel: WorklistPanel, name: str) -> int:
    return panel.model.columns().index(name)


def shown(panel: WorklistPanel, name: str) -> list[str]:
    """The texts of one column in table order."""
    c = column(panel, name)
    return [panel.proxy.index(r, c).data() for r in range(panel.proxy.rowCount())]


class TestIndexing:
    def test_studies_and_columns(self, panel: WorklistPanel, folders: list[Path]) -> None:
        """Every study is listed in folder order with views, images and Ann's mark counts."""
        assert not panel.indexing and not panel.progress_bar.isVisible()
        assert panel.model.columns() == [*FIXED_COLUMNS, "Ann: marks", "Ann: clusters", "Folder"]
        assert shown(panel, "Folder") == [f.name for f in folders]  # relative to the root
        assert shown(panel, "Images") == ["4", "3", "2", "1", "4"]
        assert shown(panel, "Ann: marks") == ["", "1", "2", "3", "4"]
        assert shown(panel, "Status") == ["new", "in progress", "in progress", "in progress", "in progress"]
        assert shown(panel, "Date")[0] == "2024-01-02"
        assert "5 studies" in panel.summary_label.text()

    def test_progress_shown_while_indexing(self, qtbot: QtBot, folders: list[Path]) -> None:
        """The progress bar runs during a first index and counts every file."""
        widget = WorklistPanel()
        qtbot.addWidget(widget)
        seen: list[tuple[int, int, str]] = []
        with qtbot.waitSignal(widget.indexing_finished, timeout=20000):
            widget.open_root(folders[0].parent)
            assert widget.progress_bar.isVisibleTo(widget) and widget.indexing
            assert widget._worker is not None
            widget._worker.progress.connect(lambda d, t, p: seen.append((d, t, p)))
        assert not widget.progress_bar.isVisibleTo(widget)
        assert seen and seen[-1] == (18, 18, "done")  # 14 images + 4 annotation files

    def test_reopen_uses_the_cache(self, qtbot: QtBot, panel: WorklistPanel, folders: list[Path]) -> None:
        """A second panel on the same tree lists the studies before indexing, reading nothing."""
        other = WorklistPanel()
        qtbot.addWidget(other)
        totals: list[int] = []
        with qtbot.waitSignal(other.indexing_finished, timeout=20000):
            other.open_root(folders[0].parent)
            assert other.model.rowCount() == 5  # from the cache, at once
            assert other._worker is not None
            other._worker.progress.connect(lambda d, t, p: totals.append(t))
        assert set(totals) <= {0}

    def test_cancel_and_close(self, qtbot: QtBot, folders: list[Path]) -> None:
        """Cancelling stops the thread; closing the panel while indexing is clean."""
        widget = WorklistPanel()
        qtbot.addWidget(widget)
        widget.open_root(folders[0].parent)
        widget.cancel_indexing()
        assert not widget.indexing and not widget.progress_bar.isVisibleTo(widget)
        widget.refresh()
        widget.close()
        assert not widget.indexing


class TestNavigation:
    def test_next_and_previous(self, qtbot: QtBot, panel: WorklistPanel, folders: list[Path]) -> None:
        """Next from nothing chooses the first study; previous goes back; the ends stop."""
        with qtbot.waitSignal(panel.study_chosen) as chosen:
            panel.next_study()
        assert chosen.args[0] == folders[0]
        assert path_of(panel.next_study()) == folders[1]
        assert path_of(panel.previous_study()) == folders[0]
        assert panel.previous_study() is None and path_of(panel.current_study()) == folders[0]
        for _ in range(4):
            panel.next_study()
        assert panel.next_study() is None and path_of(panel.current_study()) == folders[4]

    def test_keys(self, qtbot: QtBot, panel: WorklistPanel, folders: list[Path]) -> None:
        """Ctrl+Alt+Down chooses the next study; Enter opens the selected one."""
        panel.show()
        qtbot.waitExposed(panel)
        panel.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is panel)  # so shortcuts work
        panel.table.setFocus()
        with qtbot.waitSignal(panel.study_chosen) as chosen:
            qtbot.keyClick(
                panel.table,
                Qt.Key.Key_Down,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
            )
        assert chosen.args[0] == folders[0]
        qtbot.keyClick(panel.table, Qt.Key.Key_Down)  # plain arrow: select only
        with qtbot.waitSignal(panel.study_chosen) as chosen:
            qtbot.keyClick(panel.table, Qt.Key.Key_Return)
        assert chosen.args[0] == folders[1]
        assert panel.actions_by_name["next_unfinished"].shortcut().toString() == "Ctrl+Alt+N"

    def test_status_and_next_unfinished(
        self, qtbot: QtBot, panel: WorklistPanel, folders: list[Path]
    ) -> None:
        """Done and flagged studies are skipped by next-unfinished, which wraps round."""
        panel.next_study()
        with qtbot.waitSignal(panel.status_changed) as changed:
            panel.set_status(Status.DONE)
        assert changed.args == [folders[0], "done"]
        assert (folders[0] / STATUS_FILE).exists()
        panel.next_study()
        panel.set_status("flagged")
        assert shown(panel, "Status")[:2] == ["done", "flagged"]
        assert path_of(panel.next_unfinished()) == folders[2]
        for path in folders[2:]:
            panel.select_study(path)
            panel.set_status(Status.DONE)
        assert panel.next_unfinished() is None
        panel.select_study(folders[3])
        panel.set_status(Status.IN_PROGRESS)
        panel.select_study(folders[4])
        assert path_of(panel.next_unfinished()) == folders[3]
        assert "3 done" in panel.summary_label.text() and "1 flagged" in panel.summary_label.text()

    def test_status_of_another_reader(self, panel: WorklistPanel, folders: list[Path]) -> None:
        """Switching reader shows that reader's statuses; a new reader gets columns once they act."""
        panel.next_study()
        panel.set_status(Status.DONE)
        panel.set_reader("Bo")
        assert shown(panel, "Status") == ["new"] * 5
        panel.select_study(folders[2])
        panel.set_status(Status.FLAGGED)
        assert "Bo: marks" in panel.model.columns()
        assert path_of(panel.current_study()) == folders[2]

    def test_notice_when_folder_cannot_take_the_status(
        self, qtbot: QtBot, panel: WorklistPanel, folders: list[Path]
    ) -> None:
        """A study folder gone since indexing: the status is kept on this computer, the user is told where."""
        panel.next_study()
        shutil.rmtree(folders[0])
        with qtbot.waitSignal(panel.notice) as notice:
            panel.set_status(Status.FLAGGED)
        assert "kept in" in notice.args[0] and "on this computer" in notice.args[0]
        assert shown(panel, "Status")[0] == "flagged"


class TestFilterAndSort:
    def test_search_and_status_filter(self, panel: WorklistPanel, folders: list[Path]) -> None:
        """Search matches any column; the status filter keeps only matching studies."""
        panel.search_edit.setText("p3")
        assert shown(panel, "Folder") == [folders[3].name]
        panel.search_edit.setText("RCC lmlo")
        assert shown(panel, "Folder") == [folders[0].name, folders[4].name]
        panel.search_edit.clear()
        panel.next_study()
        panel.set_status(Status.DONE)
        panel.status_combo.setCurrentText("Done")
        assert shown(panel, "Folder") == [folders[0].name]
        panel.status_combo.setCurrentText("Unfinished")
        assert len(shown(panel, "Folder")) == 4
        assert "4 shown" in panel.summary_label.text()

    def test_marking_done_under_unfinished_filter_moves_on(
        self, panel: WorklistPanel, folders: list[Path]
    ) -> None:
        """With "Unfinished" shown, a study marked done leaves and the next one is selected."""
        panel.status_combo.setCurrentText("Unfinished")
        panel.select_study(folders[1])
        panel.set_status(Status.DONE)
        assert path_of(panel.current_study()) == folders[2]

    def test_numeric_sort(self, panel: WorklistPanel) -> None:
        """Counts sort as numbers, both ways; studies without a file sort first."""
        panel.table.sortByColumn(column(panel, "Ann: marks"), Qt.SortOrder.DescendingOrder)
        assert shown(panel, "Ann: marks") == ["4", "3", "2", "1", ""]
        panel.table.sortByColumn(column(panel, "Images"), Qt.SortOrder.AscendingOrder)
        assert shown(panel, "Images") == ["1", "2", "3", "4", "4"]
        entry = panel.next_study()
        assert entry is not None and entry.images == 1
