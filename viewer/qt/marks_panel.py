"""The marks panel: per image, clusters with their members, then unclustered marks.

Selecting a row selects the mark and centres it in its view; selecting in a view
selects the row (an ``_updating`` guard stops the echo).

An edit updates only the rows it touched: the changed marks' rows, the clusters of their
image and the rows that move between clusters; the tree is rebuilt whole only on a new
model, a calibration or view change, or while a filter is typed (10,000 marks take a
second to rebuild, an edit a few milliseconds).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer.core.annotations import (
    Calcification,
    Change,
    ChangeKind,
    Cluster,
    ClusterState,
    ImageKey,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing
from viewer.core.lexicon import Lexicon
from viewer.qt.marks_columns import (
    COLUMN,
    COLUMNS,
    ROLE_ID,
    ROLE_KEY,
    ROLE_KIND,
    area_text,
    count_text,
    long_text,
    short_text,
)
from viewer.qt.marks_layer import size_label

_WHOLE_TREE = frozenset({ChangeKind.RESET, ChangeKind.CALIBRATION_CHANGED, ChangeKind.VIEW_CHANGED})
_MARK_CHANGES = frozenset(
    {ChangeKind.CALCIFICATION_ADDED, ChangeKind.CALCIFICATION_CHANGED, ChangeKind.CALCIFICATION_REMOVED}
)
_NO_ROW = "\0not in the tree"
"""``_parent_of`` value of a mark row that is out of the tree for a moment."""


class _ColumnTexts:
    """The distinct texts of each column, and of the first column by depth (it is indented)."""

    def __init__(self) -> None:
        self.columns: list[set[str]] = [set() for _ in COLUMNS]
        self.first: dict[int, set[str]] = {}

    def add(self, texts: list[str], depth: int) -> None:
        self.first.setdefault(depth, set()).add(texts[0])
        for column, text in zip(self.columns[1:], texts[1:], strict=False):
            column.add(text)


class MarksPanel(QWidget):
    """Tree of the study's marks; emits ``mark_activated(image_key, calc_id)``."""

    mark_activated = Signal(object, str)
    cluster_activated = Signal(object, str)
    selection_changed = Signal(object, object, object)  # image key | None, calc ids, cluster ids
    filter_left = Signal()
    """Esc in the filter: the keyboard goes back to the views."""

    def __init__(self, lexicon: Lexicon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lexicon = lexicon
        """Label texts ("fine pleomorphic", not ``fine_pleomorphic``); ids as they are without."""
        self.model: StudyAnnotations | None = None
        self.view_names: dict[ImageKey, str] = {}
        self.spacings: dict[ImageKey, Spacing] = {}
        self.suggestions_for: Callable[[ImageKey], list[Cluster]] | None = None
        self._updating = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._apply_changes)
        self._full_pending = False
        self._dirty: dict[ImageKey, set[str]] = {}
        """Per image, the marks changed since the tree was last updated."""
        self._image_rows: dict[ImageKey, QTreeWidgetItem] = {}
        self._calc_rows: dict[ImageKey, dict[str, QTreeWidgetItem]] = {}
        self._cluster_rows: dict[ImageKey, dict[str, QTreeWidgetItem]] = {}
        self._parent_of: dict[ImageKey, dict[str, str | None]] = {}
        self._totals: dict[ImageKey, tuple[int, int, int]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter (morphology, view, size >0.5)...")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.refresh)
        # the view keys (1-4, ], [, letters) must never end up typed into the filter: it takes
        # the keyboard only when clicked or by its own key (/)
        self.filter_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.filter_edit.installEventFilter(self)
        top.addWidget(self.filter_edit)
        layout.addLayout(top)
        self.tree = QTreeWidget()
        self.tree.setObjectName("marks_tree")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.tree, 1)
        self.summary = QLabel()
        self.summary.setObjectName("marks_summary")
        layout.addWidget(self.summary)

    def focus_filter(self) -> None:
        """Give the keyboard to the filter, its text selected (/)."""
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc in the filter hands the keyboard back (before any Esc shortcut sees it)."""
        keys = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
        if (
            watched is self.filter_edit and event.type() in keys and event.key() == Qt.Key.Key_Escape  # type: ignore[attr-defined]
        ):
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self.filter_left.emit()
            return True
        return super().eventFilter(watched, event)

    def set_model(self, model: StudyAnnotations, view_names: dict[ImageKey, str]) -> None:
        if self.model is not None:
            self.model.unsubscribe(self._on_change)
        self.model = model
        self.view_names = dict(view_names)
        model.subscribe(self._on_change)
        self.refresh()

    def _on_change(self, change: Change) -> None:
        # One update per event-loop turn, however many changes a command made.
        if change.image is None or change.kind in _WHOLE_TREE:
            self._full_pending = True
        else:
            dirty = self._dirty.setdefault(change.image, set())
            if change.item_id is not None and change.kind in _MARK_CHANGES:
                dirty.add(change.item_id)
        self._refresh_timer.start()

    def clusters_changed(self, key: ImageKey) -> None:
        """The suggested clusters of an image changed: its cluster rows are updated (not the tree)."""
        self._dirty.setdefault(key, set())
        self._refresh_timer.start()

    def _apply_changes(self) -> None:
        """Bring the tree up to date with the changes since the last update."""
        if self._full_pending or self.filter_edit.text().strip() or self.model is None:
            self.refresh()
            return
        dirty, self._dirty = self._dirty, {}
        for key, ids in dirty.items():
            if not self._update_image(key, ids):
                self.refresh()
                return
        self._update_summary()

    # -- filtering -------------------------------------------------------------------
    def _matches(self, calc: Calcification, view: str) -> bool:
        text = self.filter_edit.text().strip().lower()
        if not text:
            return True
        for token in text.split():
            if token[0] in "<>" and token[1:].replace(".", "", 1).isdigit():
                if calc.sizes is None or calc.sizes.long_axis_mm is None:
                    return False
                value = float(token[1:])
                ok = calc.sizes.long_axis_mm > value if token[0] == ">" else (calc.sizes.long_axis_mm < value)
                if not ok:
                    return False
            elif (
                token not in (calc.morphology or "").lower()
                and token not in self._text("morphology", calc.morphology).lower()
                and token not in view.lower()
            ):
                return False
        return True

    # -- building the tree -------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the tree from the model (keeping the selection)."""
        self._refresh_timer.stop()
        self._full_pending = False
        self._dirty.clear()
        if self.model is None:
            return
        selected = self.selected_ids()
        self._updating = True
        self.tree.clear()
        for table in (self._image_rows, self._calc_rows, self._cluster_rows, self._parent_of, self._totals):
            table.clear()
        # the texts are gathered for the column widths as the rows are made (reading 10,000
        # rows back cost ~0.1 s)
        measured = _ColumnTexts()
        order = {name: i for i, name in enumerate(("RCC", "LCC", "RMLO", "LMLO"))}
        keys = sorted(
            self.model.images,
            key=lambda k: (order.get(self.view_names.get(k, ""), 9), self.view_names.get(k, k[0])),
        )
        for key in keys:
            img = self.model.images[key]
            view = self.view_names.get(key, key[0][-8:])
            clusters = self._clusters_of(key)
            image_item = QTreeWidgetItem()
            image_item.setFirstColumnSpanned(True)
            image_item.setData(0, ROLE_KEY, key)
            image_item.setData(0, ROLE_KIND, "image")
            self._image_rows[key] = image_item
            calc_rows = self._calc_rows[key] = {}
            cluster_rows = self._cluster_rows[key] = {}
            parent_of = self._parent_of[key] = {}
            for number, cluster in enumerate(clusters, start=1):
                c_item = self._cluster_item(key, cluster, number)
                cluster_rows[cluster.id] = c_item
                members = []
                for mid in cluster.member_ids:
                    calc = img.calcifications.get(mid)
                    if calc is not None and self._matches(calc, view) and mid not in parent_of:
                        row = calc_rows[mid] = self._calc_item(key, calc, measured, 3)
                        members.append(row)
                        parent_of[mid] = cluster.id
                c_item.addChildren(members)
                image_item.addChild(c_item)
                c_item.setExpanded(True)
                measured.add([c_item.text(i) for i in range(len(COLUMNS))], 2)
            free = []
            for calc in img.calcifications.values():
                if calc.id not in parent_of and self._matches(calc, view):
                    row = calc_rows[calc.id] = self._calc_item(key, calc, measured, 2)
                    free.append(row)
                    parent_of[calc.id] = None
            image_item.addChildren(free)
            self._set_image_text(key, clusters)
            self.tree.addTopLevelItem(image_item)
            image_item.setExpanded(True)
        self._fit_columns(measured)
        self._update_summary()
        self._updating = False
        self.select_ids(selected, emit=False)

    def _clusters_of(self, key: ImageKey) -> list[Cluster]:
        assert self.model is not None
        img = self.model.images[key]
        suggestions = self.suggestions_for(key) if self.suggestions_for else []
        return [c for c in (*img.clusters.values(), *suggestions) if c.state is not ClusterState.REJECTED]

    def _set_image_text(self, key: ImageKey, clusters: list[Cluster]) -> None:
        assert self.model is not None
        img = self.model.images[key]
        view = self.view_names.get(key, key[0][-8:])
        n_clusters = len([c for c in clusters if c.confirmed])
        self._totals[key] = (len(img.calcifications), n_clusters, len(clusters) - n_clusters)
        self._image_rows[key].setText(
            0,
            f"{view}: {count_text(len(img.calcifications), 'mark')}, {count_text(len(clusters), 'cluster')}",
        )

    def _update_summary(self) -> None:
        calcs = sum(t[0] for t in self._totals.values())
        clusters = sum(t[1] for t in self._totals.values())
        suggested = sum(t[2] for t in self._totals.values())
        self.summary.setText(
            f"Study: {count_text(calcs, 'calcification')}, "
            f"{count_text(clusters, 'confirmed cluster')}, {suggested} suggested"
        )

    def _cluster_item(self, key: ImageKey, cluster: Cluster, number: int) -> QTreeWidgetItem:
        c_item = QTreeWidgetItem()
        c_item.setData(0, ROLE_KEY, key)
        c_item.setData(0, ROLE_ID, cluster.id)
        c_item.setData(0, ROLE_KIND, "cluster")
        self._set_cluster_text(c_item, cluster, number)
        return c_item

    def _set_cluster_text(self, c_item: QTreeWidgetItem, cluster: Cluster, number: int) -> None:
        state = "cluster" if cluster.confirmed else "suggested cluster"
        texts = {
            "Mark": f"{state} {number} ({len(cluster.member_ids)})",
            "Morphology": self._text("morphology", cluster.morphology),
            "Distribution": self._text("distribution", cluster.distribution),
            "Assessment": self._text("assessment", cluster.assessment),
            "Recommendation": self._text("recommendation", cluster.recommendation),
            "Note": cluster.note,
        }
        for name, value in texts.items():
            if c_item.text(COLUMN[name]) != value:
                c_item.setText(COLUMN[name], value)
        c_item.setToolTip(0, cluster.note)  # a suggestion's reason, a reader's note

    def _update_image(self, key: ImageKey, changed: set[str]) -> bool:
        """Update the rows of one image after its marks ``changed``; False if it needs a rebuild."""
        assert self.model is not None
        img = self.model.images.get(key)
        image_item = self._image_rows.get(key)
        if img is None or image_item is None:
            return False
        calc_rows, cluster_rows, parent_of = (
            self._calc_rows[key],
            self._cluster_rows[key],
            self._parent_of[key],
        )
        selected = self.selected_ids()
        self._updating = True
        try:
            clusters = self._clusters_of(key)
            wanted: dict[str, str | None] = {}
            for cluster in clusters:
                for mid in cluster.member_ids:
                    if mid in img.calcifications and mid not in wanted:
                        wanted[mid] = cluster.id
            # rows of marks that are gone, or whose parent row goes: out of the tree for now
            new_ids = {c.id for c in clusters}
            homeless: list[str] = []
            for cid in [c for c in cluster_rows if c not in new_ids]:
                row = cluster_rows.pop(cid)
                homeless.extend(mid for mid, parent in parent_of.items() if parent == cid)
                row.takeChildren()  # the mark rows live on (calc_rows holds them), placed below
                image_item.removeChild(row)
            for mid in homeless:
                parent_of[mid] = _NO_ROW
            for mid in changed:
                if mid not in img.calcifications and mid in calc_rows:
                    row = calc_rows.pop(mid)
                    parent = row.parent()
                    if parent is not None:
                        parent.removeChild(row)
                    parent_of.pop(mid, None)
            # cluster rows: in order, first under the image
            for index, cluster in enumerate(clusters):
                c_row = cluster_rows.get(cluster.id)
                if c_row is None:
                    c_row = cluster_rows[cluster.id] = self._cluster_item(key, cluster, index + 1)
                    image_item.insertChild(index, c_row)
                    c_row.setExpanded(True)
                else:
                    self._set_cluster_text(c_row, cluster, index + 1)
                    if image_item.child(index) is not c_row:
                        image_item.takeChild(image_item.indexOfChild(c_row))
                        image_item.insertChild(index, c_row)
                        c_row.setExpanded(True)
            # mark rows: new and changed ones, and those that change cluster
            for mid in changed:
                calc = img.calcifications.get(mid)
                if calc is None:
                    continue
                old = calc_rows.get(mid)
                if old is None:
                    calc_rows[mid] = self._calc_item(key, calc)
                    parent_of[mid] = _NO_ROW
                else:
                    self._set_calc_text(old, calc)
            for mid, row in calc_rows.items():
                target = wanted.get(mid)
                if parent_of.get(mid) == target:
                    continue
                current = row.parent()
                if current is not None:
                    current.removeChild(row)
                (cluster_rows[target] if target is not None else image_item).addChild(row)
                parent_of[mid] = target
                if mid in selected:
                    row.setSelected(True)
            self._set_image_text(key, clusters)
        finally:
            self._updating = False
        return True

    def _calc_texts(self, calc: Calcification) -> list[str]:
        return [
            "point mark" if calc.outline is None else "calcification",
            long_text(calc),
            short_text(calc),
            area_text(calc),
            self._text("morphology", calc.morphology),
            calc.sizes.spacing.label if calc.sizes is not None else "",
        ]

    def _calc_item(
        self, key: ImageKey, calc: Calcification, measured: _ColumnTexts | None = None, depth: int = 0
    ) -> QTreeWidgetItem:
        texts = self._calc_texts(calc)
        if measured is not None:
            measured.add(texts, depth)
        item = QTreeWidgetItem(texts)
        item.setToolTip(0, size_label(calc))
        item.setData(0, ROLE_KEY, key)
        item.setData(0, ROLE_ID, calc.id)
        item.setData(0, ROLE_KIND, "calcification")
        return item

    def _set_calc_text(self, item: QTreeWidgetItem, calc: Calcification) -> None:
        for col, value in enumerate(self._calc_texts(calc)):
            item.setText(col, value)
        item.setToolTip(0, size_label(calc))

    def _fit_columns(self, measured: _ColumnTexts) -> None:
        """Each column as wide as its widest text, rows out of sight included (Qt's own
        fit measures only the rows on screen)."""
        metrics = self.tree.fontMetrics()
        header = self.tree.headerItem()
        pad = 3 * metrics.horizontalAdvance("M")
        columns = range(len(COLUMNS))
        # texts repeat (sizes, labels, the spacing source): each distinct one is measured once,
        # which is what keeps a 10k-mark list quick to open
        texts, first = measured.columns, measured.first
        advance = metrics.horizontalAdvance
        widths = [advance(header.text(i)) + pad for i in columns]
        for depth, names in first.items():
            widths[0] = max([widths[0], *(advance(t) + pad + depth * self.tree.indentation() for t in names)])
        for i in columns[1:]:
            widths[i] = max([widths[i], *(advance(t) + pad for t in texts[i])])
        for i, width in enumerate(widths):
            self.tree.setColumnWidth(i, width)

    def _text(self, set_name: str, label_id: str | None) -> str:
        """A descriptor's label text as the lexicon names it."""
        if label_id is None:
            return ""
        if self.lexicon is None:
            return label_id
        return str(getattr(self.lexicon, set_name).text_of(label_id))

    # -- selection -------------------------------------------------------------------
    def selected_ids(self) -> set[str]:
        return {
            str(item.data(0, ROLE_ID))
            for item in self.tree.selectedItems()
            if item.data(0, ROLE_KIND) == "calcification"
        }

    def selected_cluster_ids(self) -> set[str]:
        return {
            str(item.data(0, ROLE_ID))
            for item in self.tree.selectedItems()
            if item.data(0, ROLE_KIND) == "cluster"
        }

    def select_ids(self, ids: set[str], cluster_ids: set[str] | None = None, *, emit: bool = False) -> None:
        """Select the rows of these marks (and clusters) without echoing back by default."""
        cluster_ids = cluster_ids or set()
        self._updating = not emit
        self.tree.clearSelection()
        rows = [self._row(i, self._calc_rows) for i in ids]
        rows += [self._row(i, self._cluster_rows) for i in cluster_ids]
        for item in rows:
            if item is not None:
                item.setSelected(True)
                self.tree.scrollToItem(item)
        self._updating = False

    @staticmethod
    def _row(item_id: str, table: dict[ImageKey, dict[str, QTreeWidgetItem]]) -> QTreeWidgetItem | None:
        for rows in table.values():
            row = rows.get(item_id)
            if row is not None:
                return row
        return None

    def item_for(self, item_id: str) -> QTreeWidgetItem | None:
        """The row of a mark or cluster, if shown."""
        return self._row(item_id, self._calc_rows) or self._row(item_id, self._cluster_rows)

    def _iter_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        top = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        stack = [item for item in top if item is not None]
        while stack:
            item = stack.pop()
            out.append(item)
            children = (item.child(i) for i in range(item.childCount()))
            stack.extend(child for child in children if child is not None)
        return out

    def _selection_changed(self) -> None:
        if self._updating:
            return
        items = self.tree.selectedItems()
        keys = {item.data(0, ROLE_KEY) for item in items if item.data(0, ROLE_KIND) != "image"}
        key = keys.pop() if len(keys) == 1 else None
        self.selection_changed.emit(
            key, self.selected_ids() if key else set(), self.selected_cluster_ids() if key else set()
        )
        if len(items) != 1:
            return
        item = items[0]
        kind = item.data(0, ROLE_KIND)
        if kind == "calcification":
            self.mark_activated.emit(item.data(0, ROLE_KEY), str(item.data(0, ROLE_ID)))
        elif kind == "cluster":
            self.cluster_activated.emit(item.data(0, ROLE_KEY), str(item.data(0, ROLE_ID)))
