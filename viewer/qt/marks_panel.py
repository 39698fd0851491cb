"""The marks panel: per image, clusters with their members, then unclustered marks.

Selecting a row selects the mark and centres it in its view; selecting in a view
selects the row (an ``_updating`` guard stops the echo).
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
    Cluster,
    ClusterState,
    ImageKey,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing
from viewer.core.lexicon import Lexicon
from viewer.qt.marks_layer import size_label

ROLE_KEY = Qt.ItemDataRole.UserRole
ROLE_ID = Qt.ItemDataRole.UserRole + 1
ROLE_KIND = Qt.ItemDataRole.UserRole + 2

COLUMNS = (
    "Mark",
    "Long axis",
    "Short axis",
    "Area",
    "Morphology",
    "Spacing source",
    "Distribution",
    "Assessment",
    "Recommendation",
    "Note",
)
"""A mark's own fields first, then a cluster's: each field in its own column."""
COLUMN = {name: i for i, name in enumerate(COLUMNS)}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _area_text(calc: Calcification) -> str:
    if calc.sizes is None:
        return "not measured"
    if calc.sizes.area_mm2 is not None:
        return f"{calc.sizes.area_mm2:.3f} mm²"
    return f"{calc.sizes.area_px:.1f} px²"


def _short_text(calc: Calcification) -> str:
    if calc.sizes is None:
        return "not measured"
    s = calc.sizes
    return s.spacing.format_length(s.short_axis_mm, s.short_axis_px)


def _long_text(calc: Calcification) -> str:
    if calc.sizes is None:
        return "not measured"
    s = calc.sizes
    return s.spacing.format_length(s.long_axis_mm, s.long_axis_px)


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
        self._refresh_timer.timeout.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter (morphology, view, size >0.5)...")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.refresh)
        # the view keys (1-4, ], [, letters) must never end up typed into the filter: it takes
        # the keyboard only when clicked or by its own key (Ctrl+L or /)
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
        """Give the keyboard to the filter, its text selected (Ctrl+L, /)."""
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
        # One rebuild per event-loop turn, however many changes a command made.
        self._refresh_timer.start()

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
        if self.model is None:
            return
        selected = self.selected_ids()
        self._updating = True
        self.tree.clear()
        total_calcs = total_clusters = total_suggested = 0
        order = {name: i for i, name in enumerate(("RCC", "LCC", "RMLO", "LMLO"))}
        keys = sorted(
            self.model.images,
            key=lambda k: (order.get(self.view_names.get(k, ""), 9), self.view_names.get(k, k[0])),
        )
        for key in keys:
            img = self.model.images[key]
            view = self.view_names.get(key, key[0][-8:])
            suggestions = self.suggestions_for(key) if self.suggestions_for else []
            clusters = [
                c for c in (*img.clusters.values(), *suggestions) if c.state is not ClusterState.REJECTED
            ]
            n_clusters = len([c for c in clusters if c.confirmed])
            image_item = QTreeWidgetItem(
                [f"{view}: {_count(len(img.calcifications), 'mark')}, {_count(len(clusters), 'cluster')}"]
            )
            image_item.setFirstColumnSpanned(True)
            image_item.setData(0, ROLE_KEY, key)
            image_item.setData(0, ROLE_KIND, "image")
            total_calcs += len(img.calcifications)
            total_clusters += n_clusters
            total_suggested += len(clusters) - n_clusters
            placed: set[str] = set()
            for number, cluster in enumerate(clusters, start=1):
                state = "cluster" if cluster.confirmed else "suggested cluster"
                c_item = QTreeWidgetItem([f"{state} {number} ({len(cluster.member_ids)})"])
                for column, value in (
                    ("Morphology", self._text("morphology", cluster.morphology)),
                    ("Distribution", self._text("distribution", cluster.distribution)),
                    ("Assessment", self._text("assessment", cluster.assessment)),
                    ("Recommendation", self._text("recommendation", cluster.recommendation)),
                    ("Note", cluster.note),
                ):
                    c_item.setText(COLUMN[column], value)
                if cluster.note:
                    c_item.setToolTip(0, cluster.note)  # a suggestion's reason, a reader's note
                c_item.setData(0, ROLE_KEY, key)
                c_item.setData(0, ROLE_ID, cluster.id)
                c_item.setData(0, ROLE_KIND, "cluster")
                for mid in cluster.member_ids:
                    calc = img.calcifications.get(mid)
                    if calc is not None and self._matches(calc, view):
                        c_item.addChild(self._calc_item(key, calc))
                        placed.add(mid)
                image_item.addChild(c_item)
                c_item.setExpanded(True)
            for calc in img.calcifications.values():
                if calc.id not in placed and self._matches(calc, view):
                    image_item.addChild(self._calc_item(key, calc))
            self.tree.addTopLevelItem(image_item)
            image_item.setExpanded(True)
        self._fit_columns()
        self.summary.setText(
            f"Study: {_count(total_calcs, 'calcification')}, "
            f"{_count(total_clusters, 'confirmed cluster')}, "
            f"{total_suggested} suggested"
        )
        self._updating = False
        self.select_ids(selected, emit=False)

    def _calc_item(self, key: ImageKey, calc: Calcification) -> QTreeWidgetItem:
        source = calc.sizes.spacing.label if calc.sizes is not None else ""
        item = QTreeWidgetItem(
            [
                "point mark" if calc.outline is None else "calcification",
                _long_text(calc),
                _short_text(calc),
                _area_text(calc),
                self._text("morphology", calc.morphology),
                source,
            ]
        )
        item.setToolTip(0, size_label(calc))
        item.setData(0, ROLE_KEY, key)
        item.setData(0, ROLE_ID, calc.id)
        item.setData(0, ROLE_KIND, "calcification")
        return item

    def _fit_columns(self) -> None:
        """Each column as wide as its widest text, rows out of sight included (Qt's own
        fit measures only the rows on screen)."""
        metrics = self.tree.fontMetrics()
        header = self.tree.headerItem()
        pad = 3 * metrics.horizontalAdvance("M")
        widths = [metrics.horizontalAdvance(header.text(i)) + pad for i in range(len(COLUMNS))]
        stack = [(self.tree.topLevelItem(i), 1) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item, depth = stack.pop()
            if item is None:
                continue
            for i in range(len(COLUMNS)):
                if i == 0 and item.isFirstColumnSpanned():
                    continue
                indent = depth * self.tree.indentation() if i == 0 else 0
                widths[i] = max(widths[i], metrics.horizontalAdvance(item.text(i)) + pad + indent)
            stack.extend((item.child(c), depth + 1) for c in range(item.childCount()))
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
        for item in self._iter_items():
            kind = item.data(0, ROLE_KIND)
            if (kind == "calcification" and item.data(0, ROLE_ID) in ids) or (
                kind == "cluster" and item.data(0, ROLE_ID) in cluster_ids
            ):
                item.setSelected(True)
                self.tree.scrollToItem(item)
        self._updating = False

    def item_for(self, item_id: str) -> QTreeWidgetItem | None:
        """The row of a mark or cluster, if shown."""
        return next((i for i in self._iter_items() if i.data(0, ROLE_ID) == item_id), None)

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
