"""The table that shows the marks panel's rows as a tree: indented, with open/close arrows.

The rows are flat (:mod:`viewer.qt.marks_rows`); this view draws each row's first cell
indented by its depth, with an arrow on the image and cluster rows, and lets an image's
row span the columns. A click on an arrow, or Left / Right on a header row, closes or opens it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOption,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from viewer.qt.marks_columns import COLUMNS
from viewer.qt.marks_rows import ROLE_DEPTH, ROLE_OPEN, AnyIndex, MarksRows

INDENT_PX = 16
"""Indentation of a row's first cell per level of depth, the arrow included."""


class _TreeCells(QStyledItemDelegate):
    """Draws a first cell indented by the row's depth, with an arrow on a header row."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        if index.column() != 0:
            super().paint(painter, option, index)
            return
        depth = int(index.data(ROLE_DEPTH) or 0)
        opened = index.data(ROLE_OPEN)
        rect = QRect(option.rect)  # type: ignore[attr-defined]
        cell = QStyleOptionViewItem(option)
        cell.rect = rect.adjusted((depth + 1) * INDENT_PX, 0, 0, 0)  # type: ignore[attr-defined]
        # the row's own background under the arrow too
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else None
        if style is not None:
            whole = QStyleOptionViewItem(option)
            self.initStyleOption(whole, index)
            whole.text = ""  # type: ignore[attr-defined]
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, whole, painter, widget)
        super().paint(painter, cell, index)
        if opened is None or style is None:
            return
        arrow = QStyleOption()
        arrow.rect = QRect(rect.left() + depth * INDENT_PX, rect.top(), INDENT_PX, rect.height())  # type: ignore[attr-defined]
        arrow.palette = option.palette  # type: ignore[attr-defined]
        primitive = (
            QStyle.PrimitiveElement.PE_IndicatorArrowDown
            if opened
            else QStyle.PrimitiveElement.PE_IndicatorArrowRight
        )
        style.drawPrimitive(primitive, arrow, painter, widget)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        size = super().sizeHint(option, index)
        if index.column() == 0:
            size.setWidth(size.width() + (int(index.data(ROLE_DEPTH) or 0) + 1) * INDENT_PX)
        return size


class MarksTable(QTableView):
    """The marks panel's rows: whole rows selected, image rows spanning the columns."""

    def __init__(self, rows: MarksRows, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self.setModel(rows)
        self.setItemDelegate(_TreeCells(self))
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        # one height for every row: the view never measures the rows out of sight
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.horizontalHeader().setStretchLastSection(False)
        self.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        for signal in (rows.modelReset, rows.rowsInserted, rows.rowsRemoved):
            signal.connect(self._span_images)

    def indentation(self) -> int:
        return INDENT_PX

    def _span_images(self, *_: object) -> None:
        """An image's row spans the columns (its text is long); spans follow the rows' numbers."""
        self.clearSpans()
        for index in self.rows.headers():
            self.setSpan(index.row(), 0, 1, len(COLUMNS))

    def set_open(self, index: QModelIndex, on: bool) -> None:
        """Open or close a header row (image, cluster)."""
        self.rows.set_open(index.siblingAtColumn(0), on)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        opened = index.siblingAtColumn(0).data(ROLE_OPEN) if index.isValid() else None
        if opened is not None and index.column() == 0:
            depth = int(index.data(ROLE_DEPTH) or 0)
            left = self.visualRect(index).left() + depth * INDENT_PX
            if left <= event.position().x() < left + INDENT_PX:
                self.set_open(index, not opened)
                return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex().siblingAtColumn(0)
        opened = index.data(ROLE_OPEN) if index.isValid() else None
        if opened is not None and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.set_open(index, event.key() == Qt.Key.Key_Right)
            return
        super().keyPressEvent(event)
