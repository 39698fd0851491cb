"""The worklist's table model: one row per study, sortable by value, filtered by text and status.

Columns: patient, study ID, date, views, images, status (of the panel's reader), then a
"marks" and a "clusters" column per reader found, then the study folder (relative to the
indexed root). ``SORT_ROLE`` gives each cell a sort key of the right type, so counts sort
as numbers and folders in natural order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from viewer.core.printable import printable_text
from viewer.sources.worklist import StudyEntry, natural_key
from viewer.sources.worklist_status import Status

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FIXED_COLUMNS = ("Patient", "Study ID", "Date", "Views", "Images", "Status")
STATUS_COLOURS = {
    Status.NEW: "#5f6b7a",
    Status.IN_PROGRESS: "#1f6fd1",
    Status.DONE: "#1d8a3a",
    Status.FLAGGED: "#c2571a",
}
STATUS_FILTERS = (
    ("All statuses", None),
    ("Unfinished", {Status.NEW, Status.IN_PROGRESS}),
    *((s.label.capitalize(), {s}) for s in Status),
)
_ROOT = QModelIndex()


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

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
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
            return printable_text(shown), natural_key(shown), printable_text(str(study.path))
        reader = self.readers[(column - fixed) // 2]
        marks = study.readers.get(reader)
        if marks is None:
            return "", -1, ""
        if marks.error:
            return "!", -2, marks.error
        value = marks.calcifications if (column - fixed) % 2 == 0 else marks.clusters
        return str(value), value, f"{reader}: {marks.status.label}"

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        study = self.studies[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 5:
            return QBrush(QColor(STATUS_COLOURS[study.status]))
        if role == Qt.ItemDataRole.TextAlignmentRole and (
            index.column() == 4 or len(FIXED_COLUMNS) <= index.column() < self.columnCount() - 1
        ):
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

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, WorklistModel)
        study = model.studies[source_row]
        if self.statuses is not None and study.status not in self.statuses:
            return False
        if not self.text:
            return True
        haystack = " ".join(
            [
                study.study_instance_uid,
                study.description,
                *(str(model.data(model.index(source_row, c)) or "") for c in range(model.columnCount())),
            ]
        ).lower()
        return all(word in haystack for word in self.text.split())
