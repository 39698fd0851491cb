"""Selection, live cluster suggestions, cluster edits and descriptors, for the main window.

Everything here turns a reader's gesture into a core command pushed through the
window's undo stack; the model announces the change and the views redraw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal

from viewer.core.annotations import (
    Calcification,
    Change,
    ChangeKind,
    Cluster,
    ClusterState,
    ImageKey,
    StudyAnnotations,
    new_id,
    utc_now,
)
from viewer.core.cluster import ClusterRule
from viewer.core.cluster_edits import (
    ClusterEdit,
    add_member,
    cluster_from_polygon,
    confirm,
    dissolve,
    merge,
    remove_member,
    split,
)
from viewer.core.cluster_grouper import Grouper
from viewer.core.cluster_metrics import ClusterMetrics, cluster_metrics
from viewer.core.commands import Batch, Command, ReplaceCalcification
from viewer.core.geometry import Point


class AnnotationController(QObject):
    """Owns the selection and the program's cluster suggestions of the open study."""

    selection_changed = Signal()
    suggestions_changed = Signal(object)  # image key

    def __init__(
        self, push: Callable[[Command], None], notify: Callable[[str], None], reader: Callable[[], str]
    ) -> None:
        super().__init__()
        self._push = push
        self._notify = notify
        self._reader = reader
        self.model: StudyAnnotations | None = None
        self.rule = ClusterRule()
        self.groupers: dict[ImageKey, Grouper] = {}
        self.suggestions: dict[ImageKey, list[Cluster]] = {}
        self.key: ImageKey | None = None
        self.calc_ids: set[str] = set()
        self.cluster_ids: set[str] = set()
        self.last_added: tuple[ImageKey, str] | None = None
        self._to_group: list[ImageKey] = []
        """Images of a new model whose suggestions are still to be made, one a timer tick."""
        self._group_timer = QTimer(self)
        self._group_timer.setSingleShot(True)
        self._group_timer.setInterval(0)
        self._group_timer.timeout.connect(self._group_next)

    # -- model -----------------------------------------------------------------------
    def set_model(self, model: StudyAnnotations, rule: ClusterRule) -> None:
        if self.model is not None:
            self.model.unsubscribe(self._on_change)
        self.model = model
        self.rule = rule
        self.groupers = {key: Grouper(rule) for key in model.images}
        self.suggestions = {}
        self.clear_selection()
        model.subscribe(self._on_change)
        # one image a turn of the event loop, after the first paint: the suggestions of 10,000
        # marks on four images took ~240 ms of the UI thread at once
        self._to_group = list(model.images)
        self._group_timer.start()

    def regrouping(self) -> bool:
        """True while some image of the model has not had its suggestions made yet."""
        return bool(self._to_group)

    def _group_next(self) -> None:
        if self._to_group:
            self._regroup(self._to_group.pop(0))
        if self._to_group:
            self._group_timer.start()

    def set_rule(self, rule: ClusterRule) -> None:
        if self.model is not None:
            self.set_model(self.model, rule)

    def _on_change(self, change: Change) -> None:
        assert self.model is not None
        if change.kind is ChangeKind.CALCIFICATION_ADDED and change.image and change.item_id:
            self.last_added = (change.image, change.item_id)
        keys = list(self.model.images) if change.image is None else [change.image]
        for key in keys:
            if key in self._to_group:
                self._to_group.remove(key)
            self._regroup(key)
        if change.kind is ChangeKind.CALCIFICATION_REMOVED and change.item_id in self.calc_ids:
            self.calc_ids.discard(change.item_id)
            self.selection_changed.emit()
        elif change.kind is ChangeKind.CLUSTER_REMOVED and change.item_id in self.cluster_ids:
            self.cluster_ids.discard(change.item_id)
            self.selection_changed.emit()
        elif change.image == self.key or (
            # the mark added last is what the Describe panel and quick entry act on: a change of
            # that mark (not of any other on its image) is shown
            self.key is None and self.last_added == (change.image, change.item_id)
        ):
            self.selection_changed.emit()

    def _regroup(self, key: ImageKey) -> None:
        assert self.model is not None
        img = self.model.images.get(key)
        if img is None:
            return
        grouper = self.groupers.setdefault(key, Grouper(self.rule))
        new = grouper.suggest(img)
        if new != self.suggestions.get(key):
            self.suggestions[key] = new
            self.suggestions_changed.emit(key)

    def suggestions_for(self, key: ImageKey) -> list[Cluster]:
        return list(self.suggestions.get(key, []))

    def cluster(self, key: ImageKey, cluster_id: str) -> Cluster | None:
        assert self.model is not None
        found = self.model.image(key).clusters.get(cluster_id)
        if found is not None:
            return found
        return next((c for c in self.suggestions.get(key, []) if c.id == cluster_id), None)

    # -- selection -------------------------------------------------------------------
    def clear_selection(self) -> None:
        self.key, self.calc_ids, self.cluster_ids = None, set(), set()
        self.selection_changed.emit()

    def select(self, key: ImageKey | None, calc_ids: set[str], cluster_ids: set[str]) -> None:
        self.key = key
        self.calc_ids = set(calc_ids) if key else set()
        self.cluster_ids = set(cluster_ids) if key else set()
        self.selection_changed.emit()

    def selected_calcs(self) -> list[Calcification]:
        if self.model is None or self.key is None or self.key not in self.model.images:
            return []
        img = self.model.image(self.key)
        return [img.calcifications[i] for i in self.calc_ids if i in img.calcifications]

    def selected_clusters(self) -> list[Cluster]:
        if self.key is None:
            return []
        found = (self.cluster(self.key, cid) for cid in self.cluster_ids)
        return [c for c in found if c is not None]

    def metrics(self, cluster: Cluster) -> ClusterMetrics | None:
        if self.model is None or self.key is None:
            return None
        try:
            return cluster_metrics(cluster, self.model.image(self.key))
        except ValueError:
            return None

    def descriptor_targets(self) -> tuple[ImageKey, list[Calcification]] | None:
        """Selected marks, else the mark added last (quick entry right after a click)."""
        calcs = self.selected_calcs()
        if calcs and self.key is not None:
            return self.key, calcs
        if self.last_added is not None and self.model is not None:
            key, cid = self.last_added
            calc = self.model.images.get(key, None)
            if calc is not None and cid in calc.calcifications:
                return key, [calc.calcifications[cid]]
        return None

    def _cluster_target(self) -> tuple[ImageKey, Cluster] | None:
        clusters = self.selected_clusters()
        if len(clusters) == 1 and self.key is not None:
            return self.key, clusters[0]
        if self.key is not None and self.model is not None:
            # the cluster holding the selected marks
            img = self.model.image(self.key)
            holders = {
                c.id: c
                for c in [*img.clusters.values(), *self.suggestions_for(self.key)]
                if c.state is not ClusterState.REJECTED and set(c.member_ids) & self.calc_ids
            }
            if len(holders) == 1:
                return self.key, next(iter(holders.values()))
        return None

    # -- descriptors -----------------------------------------------------------------
    def set_morphology(self, label_id: str | None) -> bool:
        target = self.descriptor_targets()
        if target is None:
            self._notify("select a calcification first")
            return False
        key, calcs = target
        now = utc_now()
        commands: list[Command] = [
            ReplaceCalcification(key, c, replace(c, morphology=label_id, modified=now))
            for c in calcs
            if c.morphology != label_id
        ]
        if commands:
            self._push(Batch(commands, f"set morphology of {len(commands)} mark(s)"))
        return True

    def set_cluster_field(self, name: str, value: object) -> bool:
        target = self._cluster_target()
        if target is None or self.model is None:
            self._notify("select a cluster first (in the marks list)")
            return False
        key, cluster = target
        if getattr(cluster, name) == value:
            return True
        base = confirm(cluster, self._reader()) if cluster.state is ClusterState.SUGGESTED else cluster
        updated = replace(base, **{name: value, "modified": utc_now()})  # type: ignore[arg-type]
        edit = ClusterEdit.resolve(self.model.image(key), [updated])
        self._push(edit.command(key, f"set cluster {name}"))
        self.select(key, set(), {updated.id})
        return True

    # -- cluster edits ---------------------------------------------------------------
    def _apply(
        self, key: ImageKey, put: list[Cluster], remove: list[str], text: str, select: set[str] | None = None
    ) -> None:
        assert self.model is not None
        put = [c for c in put if c.state is not ClusterState.SUGGESTED]
        edit = ClusterEdit.resolve(self.model.image(key), put, remove)
        self._push(edit.command(key, text))
        self.select(key, set(), select if select is not None else {c.id for c in put[:1]})

    def confirm_selected(self) -> None:
        if self.key is None:
            self._notify("select a suggested cluster first")
            return
        suggested = [c for c in self.selected_clusters() if c.state is ClusterState.SUGGESTED]
        if not suggested:
            target = self._cluster_target()
            suggested = [target[1]] if target and target[1].state is ClusterState.SUGGESTED else []
        if not suggested:
            self._notify("select a suggested cluster to confirm")
            return
        self._apply(self.key, [confirm(c, self._reader()) for c in suggested], [], "confirm cluster")

    def dissolve_selected(self) -> None:
        target = self._cluster_target()
        if target is None:
            self._notify("select a cluster to dissolve")
            return
        key, cluster = target
        self._apply(key, [dissolve(cluster, self._reader())], [], "dissolve cluster", set())

    def group_selected_marks(self) -> None:
        """Make the selected marks a confirmed cluster (taking them from other clusters)."""
        calcs = self.selected_calcs()
        if self.key is None or len(calcs) < 2:
            self._notify("select two or more marks to group them")
            return
        now = utc_now()
        cluster = Cluster(
            new_id(),
            tuple(c.id for c in calcs),
            ClusterState.CONFIRMED,
            reader=self._reader(),
            created=now,
            modified=now,
        )
        self._apply(self.key, [cluster], [], "group marks into a cluster")

    def merge_selected(self) -> None:
        clusters = self.selected_clusters()
        if self.key is None or len(clusters) < 2:
            self._notify("select two or more clusters to merge")
            return
        merged = clusters[0]
        for other in clusters[1:]:
            merged = merge(merged, other, self._reader())
        removes = [c.id for c in clusters if c.id != merged.id and c.state is not ClusterState.SUGGESTED]
        self._apply(self.key, [merged], removes, "merge clusters")

    def add_selected_marks_to_cluster(self) -> None:
        clusters = self.selected_clusters()
        calcs = self.selected_calcs()
        if self.key is None or len(clusters) != 1 or not calcs:
            self._notify("select one cluster and the marks to add (Ctrl+click in the list)")
            return
        self._apply(
            self.key,
            [add_member(clusters[0], [c.id for c in calcs], self._reader())],
            [],
            "add marks to cluster",
        )

    def remove_selected_marks_from_cluster(self) -> None:
        target = self._cluster_target()
        calcs = self.selected_calcs()
        if target is None or not calcs:
            self._notify("select marks of one cluster to take out of it")
            return
        key, cluster = target
        ids = [c.id for c in calcs if c.id in cluster.member_ids]
        if not ids:
            self._notify("the selected marks are not in that cluster")
            return
        rest = remove_member(cluster, ids, self._reader())
        # the marks taken out stay out of automatic grouping: a reader decision
        now = utc_now()
        excluded = Cluster(
            new_id(), tuple(ids), ClusterState.REJECTED, reader=self._reader(), created=now, modified=now
        )
        put = [rest, excluded] if rest.member_ids else [excluded]
        remove = [] if rest.member_ids else [cluster.id]
        self._apply(key, put, remove, "remove marks from cluster", {rest.id})

    def split_selected(self) -> None:
        target = self._cluster_target()
        calcs = self.selected_calcs()
        if target is None or not calcs:
            self._notify("select some marks of a cluster to split them off")
            return
        key, cluster = target
        try:
            rest, off = split(cluster, [c.id for c in calcs], self._reader())
        except ValueError as exc:
            self._notify(str(exc))
            return
        self._apply(key, [rest, off], [], "split cluster", {off.id})

    def lasso(self, key: ImageKey, polygon: list[Point]) -> None:
        assert self.model is not None
        cluster = cluster_from_polygon(self.model.image(key), polygon, self._reader())
        if not cluster.member_ids:
            self._notify("no marks inside the drawn outline")
            return
        self._apply(key, [cluster], [], "draw cluster")
