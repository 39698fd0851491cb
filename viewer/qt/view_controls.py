"""How the reader looks at the images: zoom levels, window/level, linking, the magnifier, read-out.

Builds the View and Window menus of the main window and keeps linked views in step. It
never touches annotations.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QTextEdit,
)

from viewer.core.geometry import Spacing
from viewer.core.windowing import VoiPreset
from viewer.qt.hanging import HANGING_ORDER, HangingView
from viewer.qt.image_view import ImageView
from viewer.qt.loupe import Loupe
from viewer.qt.settings import Preferences


class ViewControls(QObject):
    """The View and Window menus, linked zoom and window/level, the loupe, the cursor read-out."""

    def __init__(
        self,
        window: QMainWindow,
        hanging: HangingView,
        prefs: Preferences,
        spacing_of: Callable[[ImageView], Spacing],
        notify: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(window)
        self._notify = notify or (lambda _message: None)
        self.window = window
        self.hanging = hanging
        self.prefs = prefs
        self._spacing_of = spacing_of
        self._linking = False
        self.loupes = {name: Loupe(view) for name, view in hanging.views.items()}
        self._loupe_held = False
        self.cursor_label = QLabel()
        window.statusBar().addPermanentWidget(self.cursor_label)
        for view in hanging.views.values():
            view.cursor_moved.connect(self._cursor_moved)
            view.window_changed.connect(self._window_changed)
            view.user_changed_range.connect(self._range_changed)
        hanging.active_changed.connect(lambda _view: self.rebuild_presets())
        self._preset_actions: list[QAction] = []

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: str | None = None,
        checkable: bool = False,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def _maximise(self, index: int) -> None:
        refused = self.hanging.maximise_index(index)
        if refused:
            self._notify(refused)

    # -- menus -------------------------------------------------------------------------
    def build_menus(self, menubar: object) -> None:
        view_menu: QMenu = menubar.addMenu("&View")  # type: ignore[attr-defined]
        view_menu.addAction(self._action("&Fit to window", self.fit, "F"))
        view_menu.addAction(self._action("&1:1 pixels", lambda: self._each_view("one_to_one"), "Z"))
        view_menu.addAction(
            self._action("&True size (mm on screen)", lambda: self._each_view("true_size"), "T")
        )
        view_menu.addSeparator()
        for i, name in enumerate(HANGING_ORDER):
            view_menu.addAction(
                self._action(f"Maximise {name} / back", partial(self._maximise, i), str(i + 1))
            )
        view_menu.addSeparator()
        self.link_zoom_action = self._action("Link zoom/pan", self._store_links, checkable=True)
        self.link_zoom_action.setChecked(self.prefs.link_views)
        view_menu.addAction(self.link_zoom_action)
        self.link_wl_action = self._action("Link window/level", self._store_links, checkable=True)
        self.link_wl_action.setChecked(self.prefs.link_windowing)
        view_menu.addAction(self.link_wl_action)
        self.loupe_action = self._action(
            "&Magnifier (hold M)",
            self._loupe_toggled,
            checkable=True,
            tip="A lens with full-resolution pixels under the cursor; the wheel changes its power",
        )
        view_menu.addAction(self.loupe_action)
        self.view_menu = view_menu

        self.window_menu: QMenu = menubar.addMenu("&Window")  # type: ignore[attr-defined]
        self.window_menu.addAction(self._action("&Reset to the file's window", self.reset_window, "W"))
        self.window_menu.addAction(
            self._action("&Automatic (breast tissue histogram)", self.auto_window, "A")
        )
        self.window_menu.addAction(self._action("&Invert", self.toggle_invert, "I"))
        self._presets_separator = self.window_menu.addSeparator()
        self.rebuild_presets()

    def rebuild_presets(self) -> None:
        """The active image's own windows and VOI tables as presets (Ctrl+1...)."""
        for action in self._preset_actions:
            self.window_menu.removeAction(action)
            self.window.removeAction(action)
            action.deleteLater()
        self._preset_actions = []
        view = self.hanging.active
        if view.image is None:
            return
        for i, preset in enumerate(view.image.voi_presets):
            desc = (
                f" (C {preset.center:g}, W {preset.width:g}, {preset.function})"
                if preset.center is not None and preset.width is not None
                else ""
            )
            action = self._action(
                f"{preset.name}{desc}", partial(self.apply_preset, i), f"Ctrl+{i + 1}" if i < 9 else None
            )
            self.window_menu.addAction(action)
            self._preset_actions.append(action)

    # -- zoom ------------------------------------------------------------------------------
    def views(self) -> list[ImageView]:
        return self.hanging.loaded_views()

    def _each_view(self, method: str) -> None:
        targets = self.views() if self.link_zoom_action.isChecked() else [self.hanging.active]
        for view in targets:
            getattr(view, method)()

    def fit(self) -> None:
        for view in self.views():
            view.fit()

    def _range_changed(self, source: ImageView) -> None:
        if not self.link_zoom_action.isChecked() or self._linking:
            return
        self._linking = True
        try:
            zoom = source.zoom_percent() / 100.0
            for view in self.views():
                if view is not source:
                    view.set_zoom(zoom)
        finally:
            self._linking = False

    # -- window / level -------------------------------------------------------------------
    def _window_targets(self) -> list[ImageView]:
        views = self.views() if self.link_wl_action.isChecked() else [self.hanging.active]
        return [v for v in views if v.pixels_ready]

    def _each_window(self, what: str, apply: Callable[[ImageView], VoiPreset | None]) -> None:
        """Apply a window to each target view on its own (no view follows another's change)
        and say what each view now shows."""
        targets = self._window_targets()
        if not targets:
            return
        shown: list[str] = []
        self._linking = True
        try:
            for view in targets:
                voi = apply(view)
                if voi is not None and view.image is not None:
                    shown.append(f"{view.image.view_label} {voi.name}")
        finally:
            self._linking = False
        if len(targets) > 1:
            self._notify(f"{what} on {len(targets)} linked views, each its own file's: " + "; ".join(shown))
        elif shown:
            self._notify(f"{what}: {shown[0]}")

    def reset_window(self) -> None:
        def reset(view: ImageView) -> VoiPreset | None:
            view.reset_window()
            return view.voi

        self._each_window("file's window", reset)

    def auto_window(self) -> None:
        def auto(view: ImageView) -> VoiPreset | None:
            view.auto_window()
            return view.voi

        self._each_window("automatic window", auto)

    def toggle_invert(self) -> None:
        self._linking = True
        try:
            for view in self._window_targets():
                view.set_invert(not view.invert)
        finally:
            self._linking = False

    def apply_preset(self, index: int) -> None:
        """Window preset ``index`` (Ctrl+1...) of each linked view's own file (of the active
        view only when unlinked); a view whose file has fewer presets keeps its window."""

        def preset(view: ImageView) -> VoiPreset | None:
            if view.image is None:
                return None
            presets = view.image.frame_header(view.frame).voi_presets
            if index < len(presets):
                view.set_voi(presets[index])
            return view.voi

        self._each_window(f"preset {index + 1}", preset)

    def _window_changed(self, source: ImageView) -> None:
        """Linked window/level: the other views take the same change relative to their default."""
        if not self.link_wl_action.isChecked() or self._linking:
            return
        if source.voi is None or source.image is None:
            return
        base = source.image.default_voi(source.frame)
        now = source.voi
        if None in (base.center, base.width, now.center, now.width):
            return
        assert base.center is not None and base.width is not None
        assert now.center is not None and now.width is not None
        shift = now.center - base.center
        factor = now.width / max(base.width, 1e-6)
        self._linking = True
        try:
            for view in self.views():
                if view is source or view.image is None or not view.pixels_ready:
                    continue
                own = view.image.default_voi(view.frame)
                if own.center is None or own.width is None:
                    continue
                if shift == 0 and factor == 1:  # the source is at its default: so is each view
                    view.set_voi(own, emit=False)
                    continue
                view.set_voi(own.with_window(own.center + shift, max(1.0, own.width * factor)), emit=False)
        finally:
            self._linking = False

    def _store_links(self) -> None:
        self.prefs.link_views = self.link_zoom_action.isChecked()
        self.prefs.link_windowing = self.link_wl_action.isChecked()

    # -- magnifier --------------------------------------------------------------------------
    def loupe_active(self) -> bool:
        return self._loupe_held or self.loupe_action.isChecked()

    def _loupe_toggled(self) -> None:
        if not self.loupe_active():
            for loupe in self.loupes.values():
                loupe.hide()
        else:
            self._show_loupe_under_cursor()

    def handle_event(self, event: QEvent) -> bool:
        """Hold M for the magnifier; the wheel under it changes its power. True when used."""
        etype = event.type()
        if etype in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            typing = isinstance(QApplication.focusWidget(), QLineEdit | QTextEdit | QPlainTextEdit)
            if (
                event.key() == Qt.Key.Key_M  # type: ignore[attr-defined]
                and not event.modifiers()  # type: ignore[attr-defined]
                and not typing
            ):
                # a held key repeats as release+press pairs: only the real ones count, and the
                # repeats are swallowed so that nothing else sees them (no flicker)
                if not event.isAutoRepeat():  # type: ignore[attr-defined]
                    held = etype == QEvent.Type.KeyPress
                    if held != self._loupe_held:
                        self._loupe_held = held
                        self._loupe_toggled()
                return True
        elif etype == QEvent.Type.Wheel and self.loupe_active():
            for loupe in self.loupes.values():
                if loupe.isVisible():
                    delta = event.angleDelta().y()  # type: ignore[attr-defined]
                    loupe.change_zoom(1 if delta > 0 else -1)
                    return True
        return False

    def _show_loupe_under_cursor(self) -> None:
        for name, view in self.hanging.views.items():
            if view.image is None or not view.isVisible() or not view.pixels_ready:
                continue
            local = view.mapFromGlobal(QCursor.pos())
            if view.rect().contains(local):
                p = view.vb.map_scene_to_image(view.mapToScene(local))
                self.loupes[name].show_at(p.x(), p.y())
                return

    # -- read-out ------------------------------------------------------------------------------
    def _cursor_moved(self, view: ImageView, x: float, y: float) -> None:
        img = view.image
        if img is None or not view.pixels_ready:
            return
        if self.loupe_active():
            for name, other in self.hanging.views.items():
                if other is view:
                    self.loupes[name].show_at(x, y)
                else:
                    self.loupes[name].hide()
        col, row = int(round(x)), int(round(y))
        if not (0 <= col < img.columns and 0 <= row < img.rows):
            self.cursor_label.setText(f"{img.view_label}  outside the image")
            return
        value = img.pixels(view.frame)[row, col]
        spacing = self._spacing_of(view)
        where = ""
        if spacing.calibrated:
            mx, my = spacing.to_mm((col, row))
            where = f"  ({mx:.1f}, {my:.1f}) mm"
        self.cursor_label.setText(f"{img.view_label}  x {col}  y {row}  value {value}{where}")
