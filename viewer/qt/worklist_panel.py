"""The worklist panel: the studies of a folder tree, their status and marks, and the way through them.

Indexing (:class:`viewer.sources.worklist.Worklist`) runs on a QThread with a progress bar;
studies already indexed appear while it runs. The table sorts on any column and filters
by a search text and a status. Keys are QActions (``panel.actions_by_name``) active while
the panel has focus; the main window may put the same actions in its menus and give them
window-wide shortcuts.

The panel never opens a study itself: it emits ``study_chosen(Path)`` with the study's
folder (on Enter / double-click, and from :meth:`next_study`, :meth:`previous_study`,
:meth:`next_unfinished`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    Qt,
    QThread,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from viewer.qt.worklist_model import STATUS_FILTERS, WorklistFilter, WorklistModel
from viewer.sources.worklist import StudyEntry, Worklist
from viewer.sources.worklist_status import Status

RELOAD_EVERY_S = 1.5
"""While indexing, how often the table shows the studies found so far."""


class _IndexWorker(QObject):
    """Runs one indexing pass on its thread, reporting progress now and then."""

    progress = Signal(int, int, str)
    finished = Signal(bool)
    failed = Signal(str)

    def __init__(self, worklist: Worklist) -> None:
        super().__init__()
        self.worklist = worklist
        self.cancel = threading.Event()

    def run(self) -> None:
        last = 0.0
        completed = False
        try:
            for step in self.worklist.scan():
                now = time.monotonic()
                if step.phase != "reading" or now - last > 0.05 or step.done == step.total:
                    self.progress.emit(step.done, step.total, step.phase)
                    last = now
                if self.cancel.is_set():
                    break
            else:
                completed = True
        except Exception as exc:  # a broken disk or cache must not kill the GUI
            self.failed.emit(f"indexing {self.worklist.root} failed: {exc}")
        self.finished.emit(completed)


class WorklistPanel(QWidget):
    """The worklist of a folder tree (see the module docstring)."""

    study_chosen = Signal(Path, str)
    """A study to open: its folder and Study Instance UID (a folder may hold several)."""
    indexing_finished = Signal(int)
    """Emitted with the number of studies when an indexing pass ends (also when cancelled)."""
    status_changed = Signal(Path, str)
    notice = Signal(str)
    """Something to tell the user (a status kept in the index only, an indexing failure)."""

    def __init__(self, reader: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.worklist: Worklist | None = None
        self._thread: QThread | None = None
        self._worker: _IndexWorker | None = None
        self._last_reload = 0.0
        self._sized = False
        self.model = WorklistModel(self)
        self.proxy = WorklistFilter(self)
        self.proxy.setSourceModel(self.model)
        self._build()
        self._build_actions()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("worklist_search")
        self.search_edit.setPlaceholderText("Search patient, study, view, reader, folder...")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._apply_filter)
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("worklist_status_filter")
        for label, _ in STATUS_FILTERS:
            self.status_combo.addItem(label)
        self.status_combo.currentIndexChanged.connect(self._apply_filter)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.status_combo)
        layout.addLayout(top)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("worklist_progress")
        self.progress_bar.setVisible(False)
        layout.addWidget(self.progress_bar)
        self.table = QTableView()
        self.table.setObjectName("worklist_table")
        self.table.setModel(self.proxy)
        header = self.table.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # start in folder order
        header.setSortIndicatorClearable(True)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(self._activated)
        layout.addWidget(self.table, 1)
        self.summary_label = QLabel("No folder open")
        self.summary_label.setObjectName("worklist_summary")
        layout.addWidget(self.summary_label)

    def _build_actions(self) -> None:
        specs = [
            ("next_study", "Next study", "Ctrl+Alt+Down", self.next_study),
            ("previous_study", "Previous study", "Ctrl+Alt+Up", self.previous_study),
            ("next_unfinished", "Next unfinished study", "Ctrl+Alt+N", self.next_unfinished),
            ("mark_done", "Mark study done", "Ctrl+Alt+D", lambda: self.set_status(Status.DONE)),
            ("mark_flagged", "Flag study", "Ctrl+Alt+F", lambda: self.set_status(Status.FLAGGED)),
            (
                "mark_in_progress",
                "Mark study in progress",
                "Ctrl+Alt+I",
                lambda: self.set_status(Status.IN_PROGRESS),
            ),
            ("search", "Search the worklist", "Ctrl+Alt+S", self._focus_search),
        ]
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, keys, slot in specs:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_name[name] = action

    def _focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    # -- indexing --------------------------------------------------------------------------
    def open_root(self, root: Path | str, index_file: Path | None = None) -> None:
        """Show the studies under ``root``: cached ones at once, then index in the background."""
        self.cancel_indexing()
        self.worklist = Worklist(root, index_file)
        self.model.root = self.worklist.root
        self._reload()
        self.refresh()

    def refresh(self) -> None:
        """Index again (only changed files are read)."""
        if self.worklist is None or self._thread is not None:
            return
        self._worker = _IndexWorker(self.worklist)
        self._thread = QThread(self)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.failed.connect(self.notice)
        self._worker.finished.connect(self._on_finished)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("Listing files...")
        self.progress_bar.setVisible(True)
        self._last_reload = time.monotonic()
        self._thread.start()

    @property
    def indexing(self) -> bool:
        return self._thread is not None

    def cancel_indexing(self) -> None:
        """Stop a running pass (what it read is kept) and wait for its thread."""
        if self._worker is not None:
            self._worker.cancel.set()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._finish_thread()

    def _on_progress(self, done: int, total: int, phase: str) -> None:
        if phase == "walking":
            self.progress_bar.setRange(0, 0)
            self.progress_bar.setFormat(f"Listing files... {done} folders")
            return
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done if total else 1)
        self.progress_bar.setFormat(f"Indexing: {done} / {total} files")
        if time.monotonic() - self._last_reload > RELOAD_EVERY_S:
            self._reload()
            self._last_reload = time.monotonic()

    def _on_finished(self, completed: bool) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self._finish_thread()
        self._reload()
        self.indexing_finished.emit(len(self.model.studies))

    def _finish_thread(self) -> None:
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._worker, self._thread = None, None
        self.progress_bar.setVisible(False)

    def _reload(self) -> None:
        """Read the studies from the index, keeping the selected study selected."""
        if self.worklist is None:
            return
        current = self.current_study()
        columns = self.model.columns()
        self.model.set_studies(self.worklist.studies(self.reader or None))
        if self.model.columns() != columns or not self._sized:
            self.table.resizeColumnsToContents()
            self._sized = bool(self.model.studies)
        if current is not None:
            row = self.model.row_of(current.study_instance_uid)
            if row is not None:
                self._select_source_row(row)
        self._update_summary()

    def set_reader(self, reader: str) -> None:
        """Show ``reader``'s statuses (and set theirs from now on)."""
        self.reader = reader
        self._reload()

    # -- selection and navigation ----------------------------------------------------------
    def _apply_filter(self) -> None:
        statuses = STATUS_FILTERS[max(self.status_combo.currentIndex(), 0)][1]
        self.proxy.set_filter(self.search_edit.text(), statuses)
        self._update_summary()

    def _update_summary(self) -> None:
        studies = self.model.studies
        if self.worklist is None:
            self.summary_label.setText("No folder open")
            return
        counts = {s: sum(e.status is s for e in studies) for s in Status}
        shown = self.proxy.rowCount()
        parts = [f"{len(studies)} studies"] + [f"{n} {s.label}" for s, n in counts.items() if n]
        if shown != len(studies):
            parts.insert(1, f"{shown} shown")
        who = f" - reader {self.reader}" if self.reader else ""
        self.summary_label.setText(" - ".join(parts) + who)

    def current_row(self) -> int:
        """The selected row in table order (sorted and filtered), or -1."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def current_study(self) -> StudyEntry | None:
        row = self.current_row()
        if row < 0:
            return None
        source = self.proxy.mapToSource(self.proxy.index(row, 0))
        return self.model.studies[source.row()]

    def visible_studies(self) -> list[StudyEntry]:
        """The studies in table order, as shown (sorted and filtered)."""
        return [
            self.model.studies[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
            for r in range(self.proxy.rowCount())
        ]

    def _select_row(self, row: int) -> None:
        index = self.proxy.index(row, 0)
        self.table.selectRow(row)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)

    def _select_source_row(self, source_row: int) -> None:
        proxy_index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if proxy_index.isValid():
            self._select_row(proxy_index.row())

    def _choose(self, row: int) -> StudyEntry | None:
        if not 0 <= row < self.proxy.rowCount():
            return None
        self._select_row(row)
        study = self.current_study()
        if study is not None:
            self.study_chosen.emit(study.path, study.study_instance_uid)
        return study

    def _activated(self, index: QModelIndex) -> None:
        self._choose(index.row())

    def select_study(self, path: Path, study_uid: str | None = None) -> bool:
        """Select the study in ``path`` (when the main window opened it otherwise); with
        ``study_uid``, that one of the folder's studies."""
        for row, study in enumerate(self.model.studies):
            if study.path == Path(path) and study_uid in (None, study.study_instance_uid):
                self._select_source_row(row)
                return True
        return False

    def next_study(self) -> StudyEntry | None:
        """Choose the study after the selected one (the first when none is selected)."""
        return self._choose(self.current_row() + 1)

    def previous_study(self) -> StudyEntry | None:
        """Choose the study before the selected one (the last when none is selected)."""
        row = self.current_row()
        return self._choose((row if row >= 0 else self.proxy.rowCount()) - 1)

    def next_unfinished(self) -> StudyEntry | None:
        """Choose the next study, after the selected one and wrapping round, not done or flagged."""
        studies = self.visible_studies()
        start = self.current_row()
        for step in range(1, len(studies) + 1):
            row = (start + step) % len(studies)
            if not studies[row].finished:
                return self._choose(row)
        return None

    def set_status(self, status: Status | str) -> StudyEntry | None:
        """Record the reader's status of the selected study; return the updated study."""
        study = self.current_study()
        if study is None or self.worklist is None:
            return None
        position = self.current_row()
        status = status if isinstance(status, Status) else Status.parse(status)
        notice = self.worklist.set_status(study, self.reader, status)
        if notice:
            self.notice.emit(notice)
        updated = next(
            (
                s
                for s in self.worklist.studies(self.reader or None)
                if s.study_instance_uid == study.study_instance_uid
            ),
            None,
        )
        row = self.model.row_of(study.study_instance_uid)
        if updated is not None and row is not None:
            if set(updated.readers) - set(self.model.readers):
                self._reload()  # a new reader column
            else:
                self.model.replace(row, updated)
            self._update_summary()
            if self.current_row() < 0 and self.proxy.rowCount():
                # the status filter hid the study: the one now in its place is selected
                self._select_row(min(position, self.proxy.rowCount() - 1))
            self.status_changed.emit(updated.path, status.value)
        return updated

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel_indexing()
        super().closeEvent(event)
