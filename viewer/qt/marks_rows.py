"""The rows of the marks panel as a lazy, flat item model: images, their clusters, their marks.

The panel shows a tree (an image, its clusters with their members, then its loose marks),
but the rows are one flat list, each with its depth, shown by a table view: a tree view
walks every open row through the model on each insertion or removal (10,000 Python calls),
a table view asks only for the rows on screen. The model holds only which row is where
(integer node ids) and asks the panel for a row's texts when a view first shows it,
keeping them until the row changes. An edit inserts or removes the rows whose place
changed and announces the rows whose texts changed. A header row (image, cluster) can be
closed: its rows leave the list until it is opened again.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from viewer.core.annotations import ImageKey
from viewer.qt.marks_columns import COLUMNS, ROLE_ID, ROLE_KEY, ROLE_KIND

IMAGE, CLUSTER, MARK = "image", "cluster", "calcification"
"""The kinds of row (the ``ROLE_KIND`` data of a row)."""
ROLE_DEPTH = Qt.ItemDataRole.UserRole + 3
"""A row's depth in the tree: 0 an image, 1 a cluster or loose mark, 2 a cluster's member."""
ROLE_OPEN = Qt.ItemDataRole.UserRole + 4
"""Of a header row (image, cluster): True if its rows are shown."""

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(slots=True)
class Node:
    """One row: its kind, its image, the mark's or cluster's id, its depth."""

    kind: str
    key: ImageKey
    item_id: str
    depth: int
    texts: tuple[list[str], str] | None = field(default=None, repr=False)
    """The row's column texts and tooltip, once asked for."""


@dataclass
class ImageRows:
    """An image's rows as they should be: its clusters in order, each cluster's members, its loose marks."""

    clusters: list[str]
    members: dict[str, list[str]]
    loose: list[str]


RowTexts = Callable[[Node], tuple[list[str], str]]
"""The panel's answer to "what does this row say": the column texts and the tooltip."""


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """The positions (into ``values``) of one longest strictly increasing run, O(n log n)."""
    tails: list[int] = []
    tail_at: list[int] = []
    before = [-1] * len(values)
    for i, value in enumerate(values):
        j = bisect.bisect_left(tails, value)
        if j == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[j] = value
            tail_at[j] = i
        before[i] = tail_at[j - 1] if j else -1
    out: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        out.add(i)
        i = before[i]
    return out


class _Block:
    """One image's rows, in order, as node ids (the image's header first)."""

    def __init__(self, key: ImageKey, header: int) -> None:
        self.key = key
        self.header = header
        self.rows: list[int] = [header]
        self.wanted = ImageRows([], {}, [])
        """The rows the image has, shown or not (a closed header hides some)."""


class MarksRows(QAbstractTableModel):
    """The rows of the marks panel; :meth:`reset` sets them whole, :meth:`update_image` one image's."""

    def __init__(self, row_texts: RowTexts, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._row_texts = row_texts
        self._nodes: dict[int, Node] = {}
        self._ids: dict[tuple[str, ImageKey, str], int] = {}
        self._blocks: list[_Block] = []
        self._closed: set[tuple[str, ImageKey, str]] = set()
        """The headers closed by the reader (kept across updates and resets)."""
        self._next = 1
        self._moved_in: list[int] = []
        """Rows whose depth changed while their place did not (announced after an update)."""

    # -- Qt's questions --------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else sum(len(b.rows) for b in self._blocks)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not 0 <= column < len(COLUMNS) or row < 0:
            return QModelIndex()
        within = row
        for block in self._blocks:
            if within < len(block.rows):
                return self.createIndex(row, column, block.rows[within])
            within -= len(block.rows)
        return QModelIndex()

    def data(self, index: AnyIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        node = self._nodes[index.internalId()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts(node)[0][index.column()]
        if role == ROLE_KIND:
            return node.kind
        if role == ROLE_ID:
            return node.item_id if node.kind != IMAGE else None
        if role == ROLE_KEY:
            return node.key
        if role == ROLE_DEPTH:
            return node.depth
        if role == ROLE_OPEN and node.kind != MARK:
            return (node.kind, node.key, node.item_id) not in self._closed
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return self._texts(node)[1] or None
        return None

    def _texts(self, node: Node) -> tuple[list[str], str]:
        if node.texts is None:
            node.texts = self._row_texts(node)
        return node.texts

    # -- what the panel asks ---------------------------------------------------------
    def node(self, index: AnyIndex) -> Node | None:
        return self._nodes.get(index.internalId()) if index.isValid() else None

    def index_of(self, kind: str, key: ImageKey, item_id: str = "") -> QModelIndex:
        """The row (column 0) of an image, cluster or mark; invalid if it is not shown."""
        node_id = self._ids.get((kind, key, item_id))
        offset = 0
        for block in self._blocks:
            if block.key == key:
                if node_id is None or node_id not in block.rows:  # a C scan: ~10 us for 2,500 rows
                    return QModelIndex()
                return self.createIndex(offset + block.rows.index(node_id), 0, node_id)
            offset += len(block.rows)
        return QModelIndex()

    def headers(self) -> list[QModelIndex]:
        """The image rows (column 0), in order."""
        out, offset = [], 0
        for block in self._blocks:
            out.append(self.createIndex(offset, 0, block.header))
            offset += len(block.rows)
        return out

    def rows_of(self, key: ImageKey) -> ImageRows:
        """The rows the image has, shown or not (what :meth:`update_image` was last given)."""
        return next(b.wanted for b in self._blocks if b.key == key)

    def reset(self, images: list[tuple[ImageKey, ImageRows]]) -> None:
        """Set every row (no text is made until a view asks)."""
        self.beginResetModel()
        self._nodes.clear()
        self._ids.clear()
        self._blocks = []
        for key, rows in images:
            block = _Block(key, self._node(IMAGE, key, "", 0))
            block.wanted = rows
            block.rows = self._flat(block)
            self._blocks.append(block)
        self.endResetModel()

    def update_image(self, key: ImageKey, rows: ImageRows, changed: set[str]) -> None:
        """Bring one image's rows to ``rows``; the texts of the ``changed`` marks, of every cluster
        row and of the image row are asked again."""
        block = next(b for b in self._blocks if b.key == key)
        block.wanted = rows
        self._sync(block)
        for mid in changed:
            self._texts_changed(block, self._ids.get((MARK, key, mid)))
        for cid in rows.clusters:
            self._texts_changed(block, self._ids.get((CLUSTER, key, cid)))
        self._texts_changed(block, block.header)

    def set_open(self, index: AnyIndex, on: bool) -> None:
        """Show (``on``) or hide the rows under a header row."""
        node = self.node(index)
        if node is None or node.kind == MARK:
            return
        name = (node.kind, node.key, node.item_id)
        if (name not in self._closed) == on:
            return
        if on:
            self._closed.discard(name)
        else:
            self._closed.add(name)
        block = next(b for b in self._blocks if b.key == node.key)
        self._sync(block)
        self._texts_changed(block, index.internalId(), always=True)  # its arrow turns

    # -- keeping the rows ------------------------------------------------------------
    def _node(self, kind: str, key: ImageKey, item_id: str, depth: int) -> int:
        name = (kind, key, item_id)
        node_id = self._ids.get(name)
        if node_id is not None:
            node = self._nodes[node_id]
            if node.depth != depth:
                node.depth = depth
                self._moved_in.append(node_id)
            return node_id
        node_id = self._next
        self._next += 1
        self._nodes[node_id] = Node(kind, key, item_id, depth)
        self._ids[name] = node_id
        return node_id

    def _flat(self, block: _Block) -> list[int]:
        """The block's rows as they should be shown (node ids made as needed)."""
        key, rows = block.key, block.wanted
        out = [block.header]
        if (IMAGE, key, "") in self._closed:
            return out
        for cluster_id in rows.clusters:
            out.append(self._node(CLUSTER, key, cluster_id, 1))
            if (CLUSTER, key, cluster_id) not in self._closed:
                out += [self._node(MARK, key, m, 2) for m in rows.members[cluster_id]]
        out += [self._node(MARK, key, m, 1) for m in rows.loose]
        return out

    def _sync(self, block: _Block) -> None:
        """Remove the rows that leave or are out of order, then insert the rows that arrive."""
        old, new = block.rows, self._flat(block)
        if old == new:
            self._moved_texts_changed(block)
            return
        offset = 0
        for other in self._blocks:
            if other is block:
                break
            offset += len(other.rows)
        position = {n: i for i, n in enumerate(new)}
        common = [i for i, n in enumerate(old) if n in position]
        keep = {old[common[i]] for i in _longest_increasing([position[old[i]] for i in common])}
        leaving = [i for i, n in enumerate(old) if n not in keep]
        runs: list[list[int]] = []
        for i in leaving:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        for run in reversed(runs):  # last first: the rows before a run keep their numbers
            self.beginRemoveRows(QModelIndex(), offset + run[0], offset + run[-1])
            for n in old[run[0] : run[-1] + 1]:
                if n not in position:  # gone (it is made again if it comes back)
                    node = self._nodes.pop(n)
                    del self._ids[(node.kind, node.key, node.item_id)]
            del old[run[0] : run[-1] + 1]
            self.endRemoveRows()
        have = set(old)
        i = 0
        while i < len(new):
            if new[i] in have:
                i += 1
                continue
            j = i
            while j < len(new) and new[j] not in have:
                j += 1
            self.beginInsertRows(QModelIndex(), offset + i, offset + j - 1)
            old[i:i] = new[i:j]
            self.endInsertRows()
            i = j
        self._moved_texts_changed(block)

    def _moved_texts_changed(self, block: _Block) -> None:
        """The rows that changed depth are asked for their texts again, in one signal.

        One ``dataChanged`` a row looked each row up in the block: suggestions arriving for
        2,500 marks of an image moved them all, ~0.4 s of the UI thread.
        """
        moved_in, self._moved_in = self._moved_in, []
        if not moved_in:
            return
        moved = set(moved_in)
        for n in moved:
            node = self._nodes.get(n)
            if node is not None:
                node.texts = None
        offset = 0
        for other in self._blocks:
            if other is block:
                break
            offset += len(other.rows)
        runs: list[list[int]] = []  # the moved rows, a run of neighbours a signal
        for i, n in enumerate(block.rows):
            if n in moved:
                if runs and runs[-1][1] == i - 1:
                    runs[-1][1] = i
                else:
                    runs.append([i, i])
        for first, last in runs:
            self.dataChanged.emit(
                self.createIndex(offset + first, 0, block.rows[first]),
                self.createIndex(offset + last, len(COLUMNS) - 1, block.rows[last]),
            )

    def _texts_changed(self, block: _Block, node_id: int | None, *, always: bool = False) -> None:
        node = self._nodes.get(node_id) if node_id is not None else None
        if node is None or (node.texts is None and not always):
            return
        node.texts = None
        if node_id not in block.rows:
            return
        row = block.rows.index(node_id)
        for other in self._blocks:
            if other is block:
                break
            row += len(other.rows)
        self.dataChanged.emit(
            self.createIndex(row, 0, node_id), self.createIndex(row, len(COLUMNS) - 1, node_id)
        )
