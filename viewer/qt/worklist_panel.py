"""The worklist panel: the studies of a folder tree, their status and marks, and the way through them.

Indexing (:class:`viewer.store.worklist.Worklist`) runs on a QThread with a progress bar;
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
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QThread,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QKeySequence
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

from viewer.store.worklist import StudyEntry, Worklist, natural_key
from viewer.store.worklist_status import Status

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FIXED_COLUMNS = ("Patient", "Study ID", "Date", "Views", "Images", "Status")
STATUS_COLOURS = {Status.NEW: "#5f6b7a", Status.IN_PROGRESS: "#1f6fd1",
                  Status.DONE: "#1d8a3a", Status.FLAGGED: "#c2571a"}
STATUS_FILTERS = (("All statuses", None), ("Unfinished", {Status.NEW, Status.IN_PROGRESS}),
                  *((s.label.capitalize(), {s}) for s in Status))
_ROOT = QModelIndex()
RELOAD_EVERY_S = 1.5
"""While indexing, how often the table shows the studies found so far."""


class WorklistModel(QAbstractTableModel):
    """Rows are studies; after the fixed columns, two per reader (marks, clusters), then the folder."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.studies: list[StudyEntry] = []
        self.readers: list[str] = []
        self.root: Path | None = None
        """Folders are shown relative to this."""

    def set_studies(self, studies: list[StudyEntry]) -> None:
        self.beginResetModel()
        self.studies = list(studies)
        self.readers = sorted({name for s in studies for name in s.readers}, key=str.lower)
        self.endResetModel()

    def replace(self, row: int, study: StudyEntry) -> None:
        """Update one row in place (after a status change)."""
        self.studies[row] = study
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def row_of(self, uid: str) -> int | None:
        for row, study in enumerate(self.studies):
            if study.study_instance_uid == uid:
                return row
        return None

    def columns(self) -> list[str]:
        per_reader = [f"{r}: {what}" for r in self.readers for what in ("marks", "clusters")]
        return [*FIXED_COLUMNS, *per_reader, "Folder"]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.studies)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(FIXED_COLUMNS) + 2 * len(self.readers) + 1

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns()[section]
        return None

    def _cell(self, study: StudyEntry, column: int) -> tuple[str, Any, str]:
        """(text, sort key, tooltip) of one cell."""
        fixed = len(FIXED_COLUMNS)
        if column == 0:
            return study.patient_id, study.patient_id.lower(), study.study_instance_uid
        if column == 1:
            return study.study_id, study.study_id.lower(), ""
        if column == 2:
            d = study.study_date
            text = f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 and d.isdigit() else d
            return text, d, ""
        if column == 3:
            return " ".join(study.views), " ".join(study.views), ""
        if column == 4:
            return str(study.images), study.images, f"{study.frames} frame(s)"
        if column == 5:
            return study.status.label, list(Status).index(study.status), ""
        if column == self.columnCount() - 1:
            shown = str(study.path)
            if self.root is not None and study.path.is_relative_to(self.root):
                shown = str(study.path.relative_to(self.root)) or "."
            return shown, natural_key(shown), str(study.path)
        reader = self.readers[(column - fixed) // 2]
        marks = study.readers.get(reader)
        if marks is None:
            return "", -1, ""
        if marks.error:
            return "!", -2, marks.error
        value = marks.calcifications if (column - fixed) % 2 == 0 else marks.clusters
        return str(value), value, f"{reader}: {marks.status.label}"

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        study = self.studies[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 5:
            return QBrush(QColor(STATUS_COLOURS[study.status]))
        if role == Qt.ItemDataRole.TextAlignmentRole and (
                index.column() == 4 or len(FIXED_COLUMNS) <= index.column() < self.columnCount() - 1):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role not in (Qt.ItemDataRole.DisplayRole, SORT_ROLE, Qt.ItemDataRole.ToolTipRole):
            return None
        text, key, tip = self._cell(study, index.column())
        if role == SORT_ROLE:
            return key
        return text if role == Qt.ItemDataRole.DisplayRole else (tip or None)


class WorklistFilter(QSortFilterProxyModel):
    """Search text (any column, case-insensitive) and a set of statuses."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.statuses: set[Status] | None = None
        self.setSortRole(SORT_ROLE)

    def set_filter(self, text: str, statuses: set[Status] | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10 deprecates invalidateFilter
            self.beginFilterChange()
            self.text, self.statuses = text.strip().lower(), statuses
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.text, self.statuses = text.strip().lower(), statuses
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, WorklistModel)
        study = model.studies[source_row]
        if self.statuses is not None and study.status not in self.statuses:
            return False
        if not self.text:
            return True
        haystack = " ".join([study.study_instance_uid, study.description,
                             *(str(model.data(model.index(source_row, c)) or "")
                               for c in range(model.columnCount()))]).lower()
        return all(word in haystack for word in self.text.split())


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

    study_chosen = Signal(Path)
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
            ("mark_in_progress", "Mark study in progress", "Ctrl+Alt+I",
             lambda: self.set_status(Status.IN_PROGRESS)),
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
        return [self.model.studies[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
                for r in range(self.proxy.rowCount())]

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
            self.study_chosen.emit(study.path)
        return study

    def _activated(self, index: QModelIndex) -> None:
        self._choose(index.row())

    def select_study(self, path: Path) -> bool:
        """Select the study in ``path`` (when the main window opened it otherwise)."""
        for row, study in enumerate(self.model.studies):
            if study.path == Path(path):
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
        updated = next((s for s in self.worklist.studies(self.reader or None)
                        if s.study_instance_uid == study.study_instance_uid), None)
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
