"""The marks panel: per image, clusters with their members, then unclustered marks.

Selecting a row selects the mark and centres it in its view; selecting in a view
selects the row (an ``_updating`` guard stops the echo).

The rows are a lazy item model (:mod:`viewer.qt.marks_tree`): a row's texts are made when
the view first shows it. An edit updates only the rows it touched: the changed marks' rows,
the clusters of their image and the rows that move between clusters; the tree is set whole
only on a new model, a calibration or view change, or while a filter is typed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

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
from viewer.qt.mark_labels import size_label
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
from viewer.qt.marks_rows import CLUSTER, IMAGE, MARK, ImageRows, MarksRows, Node
from viewer.qt.marks_table import MarksTable

__all__ = ["COLUMN", "COLUMNS", "ROLE_ID", "ROLE_KEY", "ROLE_KIND", "MarksPanel"]
_WHOLE_TREE = frozenset({ChangeKind.RESET, ChangeKind.CALIBRATION_CHANGED, ChangeKind.VIEW_CHANGED})
_MARK_CHANGES = frozenset(
    {ChangeKind.CALCIFICATION_ADDED, ChangeKind.CALCIFICATION_CHANGED, ChangeKind.CALCIFICATION_REMOVED}
)
_VIEW_ORDER = {name: i for i, name in enumerate(("RCC", "LCC", "RMLO", "LMLO"))}


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
        self._clusters: dict[ImageKey, dict[str, tuple[Cluster, int]]] = {}
        """Per image, the clusters shown with their numbers."""
        self._totals: dict[ImageKey, tuple[int, int, int]] = {}
        self.loading = False
        """The marks are being read (the summary says so)."""
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
        self.rows = MarksRows(self._row_texts, self)
        """The rows (what the tree shows)."""
        self.tree = MarksTable(self.rows)
        self.tree.setObjectName("marks_tree")
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)
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
        self._grow_columns(dirty)
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
        """Set the tree whole from the model (keeping the selection)."""
        self._refresh_timer.stop()
        self._full_pending = False
        self._dirty.clear()
        if self.model is None:
            return
        selected = self.selected_ids()
        self._updating = True
        self._clusters.clear()
        self._totals.clear()
        keys = sorted(
            self.model.images,
            key=lambda k: (_VIEW_ORDER.get(self.view_names.get(k, ""), 9), self.view_names.get(k, k[0])),
        )
        self.rows.reset([(key, self._rows_for(key)) for key in keys])
        self._fit_columns(keys)
        self._update_summary()
        self._updating = False
        self.select_ids(selected, emit=False)

    def _rows_for(self, key: ImageKey) -> ImageRows:
        """The rows an image should have: its clusters with their members, then its loose marks
        (those the filter lets through); notes its clusters' numbers and its totals."""
        assert self.model is not None
        img = self.model.images[key]
        view = self.view_names.get(key, key[0][-8:])
        clusters = self._clusters_of(key)
        calcs = img.calcifications
        filtered = bool(self.filter_edit.text().strip())
        placed: set[str] = set()
        members: dict[str, list[str]] = {}
        for cluster in clusters:
            shown = members[cluster.id] = []
            for mid in cluster.member_ids:
                calc = calcs.get(mid)
                if calc is not None and mid not in placed and (not filtered or self._matches(calc, view)):
                    shown.append(mid)
                    placed.add(mid)
        loose = [
            mid
            for mid, calc in calcs.items()
            if mid not in placed and (not filtered or self._matches(calc, view))
        ]
        self._clusters[key] = {c.id: (c, number) for number, c in enumerate(clusters, start=1)}
        n_confirmed = len([c for c in clusters if c.confirmed])
        self._totals[key] = (len(calcs), n_confirmed, len(clusters) - n_confirmed)
        return ImageRows([c.id for c in clusters], members, loose)

    def _clusters_of(self, key: ImageKey) -> list[Cluster]:
        assert self.model is not None
        img = self.model.images[key]
        suggestions = self.suggestions_for(key) if self.suggestions_for else []
        return [c for c in (*img.clusters.values(), *suggestions) if c.state is not ClusterState.REJECTED]

    def set_loading(self, on: bool) -> None:
        """Say the study's marks are still being read (``on``), or show the counts again."""
        self.loading = on
        self._update_summary()

    def _update_summary(self) -> None:
        if self.loading:
            self.summary.setText("Loading marks...")
            return
        calcs = sum(t[0] for t in self._totals.values())
        clusters = sum(t[1] for t in self._totals.values())
        suggested = sum(t[2] for t in self._totals.values())
        self.summary.setText(
            f"Study: {count_text(calcs, 'calcification')}, "
            f"{count_text(clusters, 'confirmed cluster')}, {suggested} suggested"
        )

    def _update_image(self, key: ImageKey, changed: set[str]) -> bool:
        """Update the rows of one image after its marks ``changed``; False if it needs a rebuild."""
        assert self.model is not None
        if key not in self.model.images or key not in self._clusters:
            return False
        selected, selected_clusters = self.selected_ids(), self.selected_cluster_ids()
        self._updating = True
        try:
            self.rows.update_image(key, self._rows_for(key), changed)
            # a row that moved (another cluster, out of one) was deselected by its removal
            again = [self.rows.index_of(MARK, key, i) for i in selected - self.selected_ids()]
            again += [
                self.rows.index_of(CLUSTER, key, i) for i in selected_clusters - self.selected_cluster_ids()
            ]
            model = self.tree.selectionModel()
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            for index in again:
                if index.isValid():
                    model.select(index, flags)
        finally:
            self._updating = False
        return True

    # -- the texts of a row ----------------------------------------------------------
    def _row_texts(self, node: Node) -> tuple[list[str], str]:
        """What a row says (its columns) and its tooltip, asked when a view first shows it."""
        blank = [""] * len(COLUMNS)
        assert self.model is not None
        img = self.model.images.get(node.key)
        if img is None:
            return blank, ""
        if node.kind == IMAGE:
            view = self.view_names.get(node.key, node.key[0][-8:])
            n = len(self._clusters.get(node.key, ()))
            blank[0] = f"{view}: {count_text(len(img.calcifications), 'mark')}, {count_text(n, 'cluster')}"
            return blank, ""
        if node.kind == CLUSTER:
            cluster, number = self._clusters[node.key][node.item_id]
            return self._cluster_texts(cluster, number), cluster.note  # a suggestion's reason, a note
        calc = img.calcifications.get(node.item_id)
        if calc is None:
            return blank, ""
        return self._calc_texts(calc), size_label(calc)

    def _cluster_texts(self, cluster: Cluster, number: int) -> list[str]:
        state = "cluster" if cluster.confirmed else "suggested cluster"
        texts = [""] * len(COLUMNS)
        texts[COLUMN["Mark"]] = f"{state} {number} ({len(cluster.member_ids)})"
        texts[COLUMN["Morphology"]] = self._text("morphology", cluster.morphology)
        texts[COLUMN["Distribution"]] = self._text("distribution", cluster.distribution)
        texts[COLUMN["Assessment"]] = self._text("assessment", cluster.assessment)
        texts[COLUMN["Recommendation"]] = self._text("recommendation", cluster.recommendation)
        texts[COLUMN["Note"]] = cluster.note
        return texts

    def _calc_texts(self, calc: Calcification) -> list[str]:
        return [
            "point mark" if calc.outline is None else "calcification",
            long_text(calc),
            short_text(calc),
            area_text(calc),
            self._text("morphology", calc.morphology),
            calc.sizes.spacing.label if calc.sizes is not None else "",
            *[""] * (len(COLUMNS) - 6),
        ]

    def _widest_marks(self, key: ImageKey) -> list[Calcification]:
        """Marks whose texts are the widest of the image's in each column: per spacing, the
        largest sizes (more digits), each morphology, a point mark and an unmeasured one."""
        assert self.model is not None
        out: dict[object, Calcification] = {}
        largest: dict[tuple[int, int], tuple[float, Calcification]] = {}
        for calc in self.model.images[key].calcifications.values():
            s = calc.sizes
            out.setdefault(("morphology", calc.morphology, calc.outline is None, s is None), calc)
            if s is None:
                continue
            for i, value in enumerate((s.long_axis_px, s.short_axis_px, s.area_px)):
                best = largest.get((id(s.spacing), i))
                if best is None or value > best[0]:
                    largest[(id(s.spacing), i)] = (value, calc)
        return [*out.values(), *(calc for _, calc in largest.values())]

    def _fit_columns(self, keys: list[ImageKey]) -> None:
        """Each column as wide as its widest text, rows out of sight included (Qt's own fit
        measures only the rows on screen). Only the rows that can be the widest are measured:
        10,000 marks' texts are never all made."""
        rows: list[tuple[list[str], int]] = []
        for key in keys:
            rows += self._image_rows_to_measure(key)
            depth = 2 if self._clusters[key] else 1
            rows += [(self._calc_texts(calc), depth) for calc in self._widest_marks(key)]
        self._set_widths(rows, grow=False)

    def _grow_columns(self, dirty: dict[ImageKey, set[str]]) -> None:
        """After an edit: columns widen for the texts of the rows it changed (the image's row,
        its clusters, the marks edited), never narrow; a whole refresh fits them again."""
        assert self.model is not None
        rows: list[tuple[list[str], int]] = []
        for key, ids in dirty.items():
            img = self.model.images.get(key)
            if img is None or key not in self._clusters:
                continue
            rows += self._image_rows_to_measure(key)
            depth = 2 if self._clusters[key] else 1
            rows += [(self._calc_texts(img.calcifications[i]), depth) for i in ids if i in img.calcifications]
        self._set_widths(rows, grow=True)

    def _image_rows_to_measure(self, key: ImageKey) -> list[tuple[list[str], int]]:
        """The image's own row ("RCC: 3 marks, 1 cluster") and its clusters' rows, with their depth."""
        head, _ = self._row_texts(Node(IMAGE, key, "", 0))
        return [(head, 0), *((self._cluster_texts(c, n), 1) for c, n in self._clusters[key].values())]

    def _set_widths(self, rows: list[tuple[list[str], int]], grow: bool) -> None:
        metrics = self.tree.fontMetrics()
        advance = metrics.horizontalAdvance
        pad = 3 * advance("M")
        indent = self.tree.indentation()
        widths = [advance(name) + pad for name in COLUMNS]
        if grow:
            widths = [max(w, self.tree.columnWidth(i)) for i, w in enumerate(widths)]
        for texts, row_depth in rows:
            # the first column holds the branch arrow and one indentation per level
            widths[0] = max(widths[0], advance(texts[0]) + pad + (row_depth + 1) * indent)
            for i in range(1, len(COLUMNS)):
                widths[i] = max(widths[i], advance(texts[i]) + pad)
        for i, width in enumerate(widths):
            if width != self.tree.columnWidth(i):
                self.tree.setColumnWidth(i, width)

    def _text(self, set_name: str, label_id: str | None) -> str:
        """A descriptor's label text as the lexicon names it."""
        if label_id is None:
            return ""
        if self.lexicon is None:
            return label_id
        return str(getattr(self.lexicon, set_name).text_of(label_id))

    # -- selection -------------------------------------------------------------------
    def _selected_nodes(self) -> list[Node]:
        nodes = (self.rows.node(index) for index in self.tree.selectionModel().selectedRows())
        return [node for node in nodes if node is not None]

    def selected_ids(self) -> set[str]:
        return {node.item_id for node in self._selected_nodes() if node.kind == MARK}

    def selected_cluster_ids(self) -> set[str]:
        return {node.item_id for node in self._selected_nodes() if node.kind == CLUSTER}

    def select_ids(self, ids: set[str], cluster_ids: set[str] | None = None, *, emit: bool = False) -> None:
        """Select the rows of these marks (and clusters) without echoing back by default."""
        self._updating = not emit
        selection = QItemSelection()
        last = None
        indexes = [self._index(i, MARK) for i in ids]
        indexes += [self._index(i, CLUSTER) for i in cluster_ids or ()]
        for index in indexes:
            if index.isValid():
                selection.select(index, index)
                last = index
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.tree.selectionModel().select(selection, flags)
        if last is not None:
            self.tree.scrollTo(last)
        self._updating = False

    def _index(self, item_id: str, kind: str) -> QModelIndex:
        for key in self._clusters:
            index = self.rows.index_of(kind, key, item_id)
            if index.isValid():
                return index
        return QModelIndex()

    def index_for(self, item_id: str) -> QModelIndex:
        """The row (column 0) of a mark or cluster; invalid if it is not shown."""
        index = self._index(item_id, MARK)
        return index if index.isValid() else self._index(item_id, CLUSTER)

    def _selection_changed(self) -> None:
        if self._updating:
            return
        nodes = self._selected_nodes()
        keys = {node.key for node in nodes if node.kind != IMAGE}
        key = keys.pop() if len(keys) == 1 else None
        self.selection_changed.emit(
            key, self.selected_ids() if key else set(), self.selected_cluster_ids() if key else set()
        )
        if len(nodes) != 1:
            return
        node = nodes[0]
        if node.kind == MARK:
            self.mark_activated.emit(node.key, node.item_id)
        elif node.kind == CLUSTER:
            self.cluster_activated.emit(node.key, node.item_id)
