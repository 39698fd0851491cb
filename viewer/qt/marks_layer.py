"""Graphics of the marks of one image: outlines, size labels, cluster outlines.

The layer listens to the model and redraws only what a change names. The outlines of the
marks not selected are a few paths, one per tile of the image (:mod:`viewer.qt.mark_outlines`);
a selected mark, drawn thicker in its own colour, has an item of its own. Size labels are laid
out on screen (:mod:`viewer.qt.label_placement`) once before each paint that follows a
zoom, a pan that brings marks on screen, or a change of the marks: no label covers another
label, a mark or a cluster's label; one with no room is hidden until there is room. The
clusters' outlines are :mod:`viewer.qt.cluster_outlines`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsPathItem

from viewer.core.annotations import (
    Calcification,
    Change,
    ChangeKind,
    Cluster,
    ClusterState,
    ImageKey,
    StudyAnnotations,
)
from viewer.qt.cluster_outlines import CONFIRMED_CLUSTER_COLOR, SUGGESTED_CLUSTER_COLOR, ClusterOutlines
from viewer.qt.image_view import ImageView
from viewer.qt.label_placement import LabelPlacer
from viewer.qt.mark_labels import MarkArrays, label_scene, screen_obstacles, shown_label_boxes, size_label
from viewer.qt.mark_outlines import (
    MarkDots,
    OutlineTiles,
    Shape,
    closed_outlines,
    cosmetic_pen,
    mark_shape,
    shape_path,
)

CALC_COLOR = QColor(0, 230, 255)
SELECTED_COLOR = QColor(255, 140, 0)
LABEL_MIN_ZOOM_PERCENT = 35.0
"""Below this zoom only selected marks carry their size label (the others would pile up)."""
DOT_HALF_PX = 6.0
"""Half the side of the ring drawn for each mark below the label zoom (device pixels)."""
_MARK_CHANGES = frozenset(
    {ChangeKind.CALCIFICATION_ADDED, ChangeKind.CALCIFICATION_CHANGED, ChangeKind.CALCIFICATION_REMOVED}
)


class MarksLayer:
    """Draws the calcifications and clusters of one image into an :class:`ImageView`."""

    def __init__(
        self, view: ImageView, model: StudyAnnotations, key: ImageKey, color: QColor = CALC_COLOR
    ) -> None:
        self.view = view
        self.model = model
        self.key = key
        self.show_labels = True
        self.color = color
        self.selected: set[str] = set()
        self.selected_clusters: set[str] = set()
        self._preview = QGraphicsPathItem()
        self._preview.setPen(cosmetic_pen(SELECTED_COLOR, 1.5, Qt.PenStyle.DashLine))
        self._preview.setZValue(12)
        self._preview.hide()
        view.vb.addItem(self._preview, ignoreBounds=True)
        self._texts: dict[str, pg.TextItem | None] = {}
        """Each drawn mark's size label, made on first need."""
        self._outlines = OutlineTiles(view.vb, cosmetic_pen(color, 1.3), 10)
        self._selected_items: dict[str, QGraphicsPathItem] = {}
        """The outlines of the selected marks, each an item of its own."""
        self._shape_of: dict[str, Shape] = {}
        """Each drawn mark's closed outline (an array) or centre."""
        self._previewed: str | None = None
        """The mark whose outline is hidden while a drag shows where it would go."""
        self._mark_boxes: dict[str, tuple[float, float, float, float]] = {}
        """Each drawn mark's box in image coordinates (left, top, right, bottom)."""
        self._arrays: MarkArrays | None = None
        self._labelled: dict[str, None] = {}
        """The marks whose label would show but for the layout (ordered: the layout is deterministic)."""
        self._layout_hidden: set[str] = set()
        """Labels the last layout found no room for."""
        self._layout_dirty = False
        self._placer = LabelPlacer(view.vb, color)
        self._clusters = ClusterOutlines(view.vb)
        self.suggestions: list[Cluster] = []
        self._zoomed_in = False
        self._label_rect: QRectF | None = None
        self._update_label_rect()
        self._outlines.set_shown(self._zoomed_in)  # zoomed out the rings stand for the outlines
        # Fixed-size rings so that marks stay visible when the whole breast is on screen.
        self._dots = MarkDots(view.vb, cosmetic_pen(color, 1.5), cosmetic_pen(SELECTED_COLOR, 1.5), 10)
        model.subscribe(self._on_change)
        view.vb.sigRangeChanged.connect(self._range_changed)
        view.scene().sigPrepareForPaint.connect(self._layout_before_paint)
        self.rebuild()

    def _zoom_allows_labels(self) -> bool:
        """Size labels only where marks are big enough on screen not to pile up."""
        return self.view.zoom_percent() >= LABEL_MIN_ZOOM_PERCENT

    def _label_visible(self, calc: Calcification) -> bool:
        if not self.show_labels:
            return False
        if calc.id in self.selected:
            return True
        if not self._zoomed_in:
            return False
        # Only marks on (or near) the screen get a label: labels are made on demand.
        rect = self._label_rect
        return rect is None or rect.contains(QPointF(*calc.center))

    def _update_label_rect(self) -> bool:
        """Note the zoom and the area near the screen; True if labels became allowed or not."""
        zoomed_in = self._zoom_allows_labels()
        flipped = zoomed_in != self._zoomed_in
        self._zoomed_in = zoomed_in
        if zoomed_in:
            rect = self.view.visible_image_rect()
            self._label_rect = rect.adjusted(
                -rect.width() / 2, -rect.height() / 2, rect.width() / 2, rect.height() / 2
            )
        return flipped

    def _range_changed(self) -> None:
        flipped = self._update_label_rect()
        zoomed_in = self._zoomed_in
        if flipped or zoomed_in:
            self._refresh_labels()
        if flipped:
            self._update_dots()
            self._outlines.set_shown(zoomed_in)
        self._layout_dirty = True

    # -- label layout ----------------------------------------------------------------
    def _request_layout(self) -> None:
        """Lay the labels out again before the next paint, even if the view did not move."""
        self._layout_dirty = True
        self._placer.forget()

    def _layout_before_paint(self) -> None:
        if self._layout_dirty:
            self.layout_labels()

    def layout_labels(self) -> None:
        """Place the clusters' labels, then the shown size labels, so that none covers another
        label, a mark or the view's text blocks."""
        self._layout_dirty = False
        img = self.model.images.get(self.key)
        if img is None:
            self._placer.clear()
            return
        ids: list[str] = []
        texts: list[pg.TextItem] = []
        for cid in self._labelled:
            text = self._texts[cid]
            if text is not None and cid in img.calcifications:
                ids.append(cid)
                texts.append(text)
        clusters = self._clusters
        if not ids and (not clusters.items or not self._zoomed_in):
            # nothing to place (zoomed out, the clusters' labels stay over their outlines)
            for cid, (_, label) in clusters.items.items():
                label.setPos(clusters.homes[cid])
            self._placer.clear()
            self._layout_hidden = set()
            return

        scene = label_scene(
            ids,
            texts,
            img.calcifications,
            self.selected,
            self._mark_boxes,
            self._mark_arrays().boxes,
            clusters,
            screen_obstacles(self.view, self.view.viewport()),
            0.0 if self._zoomed_in else DOT_HALF_PX,
        )
        shown = self._placer.place(scene)
        self._layout_hidden = {cid for cid, on in zip(ids, shown, strict=True) if not on}

    def _mark_arrays(self) -> MarkArrays:
        """The drawn marks' boxes and centres, kept until a mark changes."""
        if self._arrays is None:
            img = self.model.images.get(self.key)
            self._arrays = MarkArrays.of(self._mark_boxes, img.calcifications if img is not None else {})
        return self._arrays

    def label_boxes(self) -> dict[str, QRectF]:
        """The shown size labels' boxes in scene coordinates, by mark id (what tests look at)."""
        return shown_label_boxes(self._texts)

    def _refresh_labels(self) -> None:
        """Show or hide every label; labels are made only once they are first shown."""
        img = self.model.images.get(self.key)
        if img is None:
            return
        ids, centres = self._centres()
        if not ids:
            return
        # only the labels that are to appear or disappear are touched (this runs on every
        # pan or zoom step, with thousands of marks)
        wanted = np.zeros(len(ids), dtype=bool)
        if self.show_labels:
            if self._zoomed_in:
                rect = self._label_rect
                wanted[:] = True
                if rect is not None:
                    x, y = centres[:, 0], centres[:, 1]
                    wanted = (
                        (x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom())
                    )
            if self.selected:
                wanted |= np.fromiter((cid in self.selected for cid in ids), dtype=bool, count=len(ids))
        labelled = self._labelled
        now = np.fromiter((cid in labelled for cid in ids), dtype=bool, count=len(ids))
        for i in np.flatnonzero(wanted != now):
            calc = img.calcifications.get(ids[int(i)])
            if calc is not None:
                self._place_label(calc)

    def _centres(self) -> tuple[list[str], np.ndarray]:
        """The drawn marks' ids and centres (N x 2, image coordinates), kept until a mark changes."""
        arrays = self._mark_arrays()
        return arrays.ids, arrays.centres

    def _update_dots(self) -> None:
        img = self.model.images.get(self.key)
        if img is None or self._zoomed_in or not img.calcifications:
            self._dots.clear()
            return
        self._dots.show({cid: c.center for cid, c in img.calcifications.items()}, self.selected)

    def _update_dot(self, calc_id: str) -> None:
        """One mark's ring after it changed, was (de)selected or removed."""
        img = self.model.images.get(self.key)
        if img is None or self._zoomed_in:
            return
        calc = img.calcifications.get(calc_id)
        centre = calc.center if calc is not None else None
        if not self._dots.move(calc_id, centre, calc_id in self.selected):
            self._update_dots()

    def outline_boxes(self) -> dict[str, QRectF]:
        """Each drawn outline's box in scene coordinates, by mark id (what tests look at)."""
        vb = self.view.vb
        return {
            cid: vb.image_frame.mapToScene(QRectF(QPointF(x0, y0), QPointF(x1, y1))).boundingRect()
            for cid, (x0, y0, x1, y1) in self._mark_boxes.items()
        }

    @property
    def drawn_ids(self) -> set[str]:
        """The marks this layer draws now."""
        return set(self._texts)

    def detach(self) -> None:
        self.model.unsubscribe(self._on_change)
        self.view.vb.sigRangeChanged.disconnect(self._range_changed)
        self.view.scene().sigPrepareForPaint.disconnect(self._layout_before_paint)
        self._placer.detach()
        self.view.vb.removeItem(self._preview)
        for scatter in self._dots.items:
            self.view.vb.removeItem(scatter)
        for cid in list(self._texts):
            self._remove_calc(cid)
        self._outlines.detach()
        for cid in list(self._clusters.items):
            self._clusters.remove(cid)

    # -- model events ----------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind is ChangeKind.RESET:
            self.rebuild()
            return
        if change.image != self.key:
            return
        if change.kind in _MARK_CHANGES and change.item_id is not None:
            self._update_dot(change.item_id)
        if change.kind in (ChangeKind.CALCIFICATION_ADDED, ChangeKind.CALCIFICATION_CHANGED):
            assert change.item_id is not None
            before = self._shape_of.get(change.item_id)
            self._draw_calc(self.model.image(self.key).calcifications[change.item_id])
            self._redraw_clusters_of(change.item_id, before)
        elif change.kind is ChangeKind.CALCIFICATION_REMOVED:
            assert change.item_id is not None
            self._remove_calc(change.item_id)
            self.selected.discard(change.item_id)
            self._redraw_clusters()
        elif change.kind is ChangeKind.CALIBRATION_CHANGED:
            self.rebuild()
        else:
            self._redraw_clusters()
        self._outlines.flush()

    def rebuild(self) -> None:
        for cid in list(self._texts):
            self._remove_calc(cid)
        if self.key not in self.model.images:
            self._outlines.flush()
            return
        calcs = list(self.model.image(self.key).calcifications.values())
        outlined = [c for c in calcs if c.outline is not None]
        closed, boxes = closed_outlines([c.outline for c in outlined if c.outline is not None])
        shapes: dict[str, tuple[Shape, tuple[float, float, float, float]]] = {
            c.id: (shape, (box[0], box[1], box[2], box[3]))
            for c, shape, box in zip(outlined, closed, boxes.tolist(), strict=True)
        }
        for calc in calcs:
            shape, box = shapes.get(calc.id) or mark_shape(None, calc.center)
            self._show_calc(calc, shape, box)
        self._redraw_clusters()
        self._update_dots()
        self._outlines.flush()

    # -- calcifications --------------------------------------------------------------
    def _draw_calc(self, calc: Calcification) -> None:
        """Draw a mark that was added, changed or (de)selected (seen at the next flush)."""
        shape, box = mark_shape(calc.outline, calc.center)
        row = self._arrays.rows.get(calc.id) if self._arrays is not None else None
        if self._arrays is not None and row is not None:  # a mark edited: its row, not all
            self._arrays.boxes[row] = box
            self._arrays.centres[row] = calc.center
        else:
            self._arrays = None
        self._show_calc(calc, shape, box)

    def _show_calc(self, calc: Calcification, shape: Shape, box: tuple[float, float, float, float]) -> None:
        cid = calc.id
        self._mark_boxes[cid] = box
        self._shape_of[cid] = shape
        if cid not in self._texts:
            self._texts[cid] = None
            self._arrays = None
        selected = cid in self.selected
        if selected and cid != self._previewed:
            self._outlines.drop(cid)
            item = self._selected_items.get(cid)
            if item is None:
                item = self._selected_items[cid] = QGraphicsPathItem()
                item.setZValue(10)
                item.setPen(cosmetic_pen(SELECTED_COLOR, 2.0))
                self.view.vb.addItem(item, ignoreBounds=True)
            item.setPath(shape_path(shape))
        else:
            item = self._selected_items.pop(cid, None)
            if item is not None:
                self.view.vb.removeItem(item)
            if cid == self._previewed:
                self._outlines.drop(cid)
            else:
                self._outlines.put(cid, shape, calc.center)
        self._place_label(calc, changed=True)

    def _place_label(self, calc: Calcification, changed: bool = False) -> None:
        """Show or hide the size label beside the outline.

        Labels are made on first need (thousands of labels are slow to make) and their
        text and place are set only when made or when the mark ``changed``: this runs for
        every mark on each pan or zoom step.
        """
        text = self._texts[calc.id]
        visible = self._label_visible(calc)
        if text is None:
            if not visible:
                return
            text = pg.TextItem(anchor=(0, 0.5), fill=(0, 0, 0, 150))
            text.setZValue(11)
            self.view.vb.addItem(text, ignoreBounds=True)
            self._texts[calc.id] = text
            changed = True
        if changed:
            # right of the outline until the layout, before the next paint, places it
            left, top, right, bottom = self._mark_boxes[calc.id]
            color = SELECTED_COLOR if calc.id in self.selected else self.color
            text.setText(size_label(calc), color=color)
            text.setPos(*self.view.screen_right_of((left, top, right, bottom)))
            self._request_layout()
        if visible:
            self._labelled[calc.id] = None
        elif calc.id in self._labelled:
            del self._labelled[calc.id]
            self._layout_dirty = True  # its place is free for another label
        text.setVisible(visible and calc.id not in self._layout_hidden)

    def _remove_calc(self, calc_id: str) -> None:
        self._mark_boxes.pop(calc_id, None)
        self._shape_of.pop(calc_id, None)
        self._arrays = None
        self._layout_hidden.discard(calc_id)
        self._labelled.pop(calc_id, None)
        self._request_layout()
        self._outlines.drop(calc_id)
        for item in (self._texts.pop(calc_id, None), self._selected_items.pop(calc_id, None)):
            if item is not None:
                self.view.vb.removeItem(item)

    def set_selected(self, ids: set[str]) -> None:
        changed = self.selected ^ ids
        self.selected = set(ids)
        img = self.model.images.get(self.key)
        if img is None:
            return
        for cid in changed:
            if cid in img.calcifications:
                self._draw_calc(img.calcifications[cid])
        self._outlines.flush()
        for cid in changed:
            self._update_dot(cid)
        if changed:
            self._request_layout()

    def set_selected_clusters(self, ids: set[str]) -> None:
        if ids != self.selected_clusters:
            self.selected_clusters = set(ids)
            self._redraw_clusters()

    def preview_outline(self, calc_id: str, outline: list[tuple[float, float]] | None) -> None:
        """Show a mark's outline (or centre) where a drag would put it; ``None`` hides it."""
        img = self.model.images.get(self.key)
        if outline is None:
            self._preview.hide()
            previewed, self._previewed = self._previewed, None
            if img is not None and previewed in img.calcifications:
                self._draw_calc(img.calcifications[previewed])
                self._outlines.flush()
            return
        if self._previewed != calc_id:
            previewed, self._previewed = self._previewed, calc_id
            for cid in (previewed, calc_id):
                if img is not None and cid is not None and cid in img.calcifications:
                    self._draw_calc(img.calcifications[cid])
            self._outlines.flush()
        points = np.asarray(outline, dtype=np.float64)
        self._preview.setPath(shape_path(points if len(outline) >= 3 else outline[0], 3.0))
        self._preview.show()

    def set_show_labels(self, on: bool) -> None:
        self.show_labels = on
        self._refresh_labels()
        self._request_layout()

    # -- clusters --------------------------------------------------------------------
    def set_suggestions(self, suggestions: list[Cluster]) -> None:
        self.suggestions = suggestions
        self._redraw_clusters()

    @property
    def _cluster_items(self) -> dict[str, tuple[QGraphicsPathItem, pg.TextItem]]:
        """The drawn clusters' outline and label items, by cluster id."""
        return self._clusters.items

    def _redraw_clusters_of(self, calc_id: str, before: Shape | None = None) -> None:
        """After a mark was added or changed (its shape ``before``): redraw the clusters drawn
        around it (their hull follows it); the others stay as they are. A change of the clusters
        themselves comes as a cluster change, or as new suggestions (:meth:`set_suggestions`)."""
        img = self.model.images.get(self.key)
        if img is None:
            return
        for cluster in [*img.clusters.values(), *self.suggestions]:
            drawn = cluster.state is not ClusterState.REJECTED and calc_id in cluster.member_ids
            if drawn and not self._draw_cluster(cluster, (calc_id, before)):
                self._clusters.remove(cluster.id)
        self._request_layout()

    def _redraw_clusters(self) -> None:
        """Draw the clusters again; the items of those that remain are reused (labels are slow to make)."""
        img = self.model.images.get(self.key)
        drawn: set[str] = set()
        if img is not None:
            for cluster in [*img.clusters.values(), *self.suggestions]:
                if cluster.state is not ClusterState.REJECTED and self._draw_cluster(cluster):
                    drawn.add(cluster.id)
        for cid in [c for c in self._clusters.items if c not in drawn]:
            self._clusters.remove(cid)
        self._request_layout()  # the labels keep off the clusters' labels

    def _draw_cluster(self, cluster: Cluster, edited: tuple[str, Shape | None] | None = None) -> bool:
        """Draw (or redraw) ``cluster``; False if it has too few points to draw."""
        color = CONFIRMED_CLUSTER_COLOR if cluster.confirmed else SUGGESTED_CLUSTER_COLOR
        if cluster.id in self.selected_clusters:
            color = SELECTED_COLOR
        return self._clusters.draw(cluster, self.model.image(self.key), self._shape_of, color, edited)
