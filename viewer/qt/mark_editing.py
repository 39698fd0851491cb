"""Editing gestures of the window that are not a pointer tool: delete, point-only,
calibration, selection by click, the grouping rule and the cluster note.

Every change is a core command pushed through :meth:`MainWindow.push` (undoable, autosaved).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog

from viewer.core.annotations import ImageKey
from viewer.core.cluster import ClusterRule
from viewer.core.commands import Batch, RemoveCalcifications, ReplaceCalcification, SetCalibration
from viewer.core.geometry import Point
from viewer.core.tools import hit_test, pick_radius_px
from viewer.qt.image_view import ImageView, image_key

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class MarkEditing:
    """The window's edits of the selected marks, the calibration and the cluster rule."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    # -- marks --------------------------------------------------------------------------
    def delete_selected(self) -> None:
        window = self.window
        ids = set(window.controller.calc_ids)
        by_image: dict[ImageKey, list[str]] = {}
        for key, calc in window.model.iter_calcifications():
            if calc.id in ids:
                by_image.setdefault(key, []).append(calc.id)
        for key, calc_ids in by_image.items():
            window.push(RemoveCalcifications(key, calc_ids, text=f"delete {len(calc_ids)} calcification(s)"))

    def make_point_only(self) -> None:
        window = self.window
        calcs = [c for c in window.controller.selected_calcs() if c.outline is not None]
        key = window.controller.key
        if not calcs or key is None:
            window.notify("select outlined marks to keep as points")
            return
        spacing = window.model.image(key).spacing
        window.push(
            Batch(
                [ReplaceCalcification(key, c, c.with_outline(None, spacing)) for c in calcs],
                "make point-only",
            )
        )

    def select_at(self, view: ImageView, x: float, y: float, toggle: bool = False) -> None:
        """Pan tool click: select the mark under the pointer (or clear the selection)."""
        window = self.window
        assert view.image is not None
        img = window.model.images.get(image_key(view.image, view.frame))
        if img is None:
            return
        hit = hit_test(img, x, y, pick_radius_px(view.zoom_percent() / 100.0))
        key = image_key(view.image, view.frame)
        ids = {hit.id} if hit else set()
        if toggle and window.controller.key == key:
            ids = window.controller.calc_ids ^ ids
        window.controller.select(key if ids else None, ids, set())

    def reveal_mark(self, key: ImageKey, calc_id: str) -> None:
        """Select a mark and centre it in its view (from the marks panel)."""
        layer = self.window.layer_for(key)
        calc = self.window.model.image(key).calcifications.get(calc_id)
        if layer is not None and calc is not None:
            zoom = max(layer.view.zoom_percent() / 100.0, 1.0)
            layer.view.center_on(calc.center[0], calc.center[1], zoom)

    # -- calibration ----------------------------------------------------------------------
    def remove_calibration(self) -> None:
        window = self.window
        view = window.hanging.active
        if view.image is None:
            return
        key = image_key(view.image, view.frame)
        if window.model.image(key).calibration is None:
            window.notify("this image has no manual calibration")
            return
        window.push(SetCalibration(key, None, text="remove calibration"))
        window.notify(f"calibration removed: sizes use {window.model.image(key).spacing.label}")

    def ask_calibration_length(self, key: ImageKey, p1: Point, p2: Point) -> float | None:
        current = self.window.model.image(key).dicom_spacing.distance_mm(p1, p2)
        hint = f" (the file's spacing says {current:.2f} mm)" if current is not None else ""
        value, ok = QInputDialog.getDouble(
            self.window,
            "Calibrate",
            f"True length of the line in mm{hint}:",
            current or 10.0,
            0.01,
            10000.0,
            2,
        )
        return float(value) if ok else None

    # -- clusters -------------------------------------------------------------------------
    def rule(self) -> ClusterRule:
        prefs = self.window.prefs
        try:
            return ClusterRule(
                prefs.cluster_min_count, prefs.cluster_max_distance_mm, prefs.cluster_max_span_mm
            )
        except ValueError:  # edited by hand into nonsense: the BI-RADS defaults
            return ClusterRule()

    def ask_rule(self) -> None:
        window = self.window
        rule = self.rule()
        count, ok = QInputDialog.getInt(
            window, "Grouping rule (1 of 3)", "At least this many calcifications:", rule.min_count, 2, 100
        )
        if not ok:
            return
        dist, ok = QInputDialog.getDouble(
            window,
            "Grouping rule (2 of 3)",
            "in a circle of this diameter (mm):",
            rule.diameter_mm,
            0.5,
            100.0,
            1,
        )
        if not ok:
            return
        span, ok = QInputDialog.getDouble(
            window,
            "Grouping rule (3 of 3)",
            "and the whole group within this span (mm; BI-RADS: larger numbers within 2 cm):",
            max(rule.max_span_mm, dist),
            dist,
            200.0,
            1,
        )
        if not ok:
            return
        window.prefs.cluster_min_count = count
        window.prefs.cluster_max_distance_mm = dist
        window.prefs.cluster_max_span_mm = span
        window.controller.set_rule(self.rule())
        window.notify(
            f"Grouping: at least {count} calcifications in a {dist:g} mm circle, the group within {span:g} mm"
        )

    def ask_note(self) -> None:
        window = self.window
        target = window.controller.selected_clusters()
        if len(target) != 1:
            window.notify("select a cluster first (in the marks list)")
            return
        text, ok = QInputDialog.getText(window, "Cluster note", "Note:", text=target[0].note)
        if ok:
            window.controller.set_cluster_field("note", text)
