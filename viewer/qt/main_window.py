"""The main window: hanging views, tools, marks panel, menus, undo, save and autosave."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QToolBar,
)

from viewer import __version__
from viewer.core.annotations import (
    Calcification,
    Cluster,
    ImageAnnotations,
    ImageKey,
    StudyAnnotations,
)
from viewer.core.commands import Command, RemoveCalcifications
from viewer.core.geometry import Point, Spacing
from viewer.core.tools import CalcificationTool, PointerEvent, RulerTool, Tool
from viewer.dicom.image import MammoImage
from viewer.dicom.study import Study, open_study
from viewer.qt.hanging import HANGING_ORDER, HangingView
from viewer.qt.image_view import ImageView
from viewer.qt.loupe import Loupe
from viewer.qt.marks_layer import MarksLayer
from viewer.qt.marks_panel import MarksPanel
from viewer.qt.persistence import BackgroundWriter
from viewer.qt.settings import Preferences
from viewer.qt.undo import ModelCommand
from viewer.store.serialize import serialize
from viewer.store.session import AnnotationStore

AUTOSAVE_DELAY_MS = 1500


def image_key(image: MammoImage, frame: int = 0) -> ImageKey:
    return (image.sop_instance_uid, frame)


class _ViewContext:
    """What a tool sees of one view (implements :class:`viewer.core.tools.ToolContext`)."""

    def __init__(self, window: MainWindow, view: ImageView) -> None:
        self._window = window
        self._view = view
        assert view.image is not None
        self._image = view.image

    @property
    def image_key(self) -> ImageKey:
        return image_key(self._image, self._view.frame)

    @property
    def spacing(self) -> Spacing:
        return self._window.model.image(self.image_key).spacing

    @property
    def bright_is_high(self) -> bool:
        return self._image.bright_is_high

    @property
    def reader(self) -> str:
        return self._window.reader

    def modality_pixels(self) -> np.ndarray:
        return self._image.modality_pixels(self._view.frame)

    def push(self, command: Command) -> None:
        self._window.push(command)

    def notify(self, message: str) -> None:
        self._window.notify(message)

    def show_line(self, p1: Point, p2: Point | None, text: str) -> None:
        self._view.show_line(p1, p2, text)


class MainWindow(QMainWindow):
    """mammo-viewer's main window."""

    def __init__(self, prefs: Preferences | None = None, reader: str | None = None) -> None:
        super().__init__()
        self.prefs = prefs or Preferences()
        self.reader = reader or self.prefs.reader
        self.study: Study | None = None
        self.store: AnnotationStore | None = None
        self.model = StudyAnnotations(self.reader)
        self.undo_stack = QUndoStack(self)
        self.layers: dict[str, MarksLayer] = {}
        self.tools: dict[str, Tool] = {"calcification": CalcificationTool(), "ruler": RulerTool()}
        self.tool: Tool | None = None
        self.writer = BackgroundWriter(self)
        self.writer.finished.connect(self._write_finished)
        self.last_message = ""
        self._dirty_without_command = False
        self._save_clean_index = -1
        self._linking = False
        self._linking_range = False

        self.hanging = HangingView(self)
        self.setCentralWidget(self.hanging)
        for view in self.hanging.views.values():
            view.tool_handler = self._dispatch
            view.cursor_moved.connect(self._cursor_moved)
            view.window_changed.connect(self._window_changed)
            view.user_changed_range.connect(self._range_changed)
        self.hanging.active_changed.connect(self._active_changed)
        self.loupes = {name: Loupe(view) for name, view in self.hanging.views.items()}
        self._loupe_held = False

        self.marks_panel = MarksPanel()
        self.marks_panel.mark_activated.connect(self.reveal_mark)
        dock = QDockWidget("Marks", self)
        dock.setObjectName("marks_dock")
        dock.setWidget(self.marks_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.problems = QListWidget()
        self.problems_dock = QDockWidget("Files with problems", self)
        self.problems_dock.setObjectName("problems_dock")
        self.problems_dock.setWidget(self.problems)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.problems_dock)
        self.problems_dock.hide()

        self.cursor_label = QLabel()
        self.statusBar().addPermanentWidget(self.cursor_label)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._edited)

        self._build_actions()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.resize(1500, 950)
        self._update_title()

    # -- actions and menus -------------------------------------------------------------
    def _action(self, text: str, slot: object, shortcut: str | QKeySequence | None = None,
                checkable: bool = False, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("Open &files...", self._open_files_dialog,
                                         QKeySequence.StandardKey.Open))
        file_menu.addAction(self._action("Open f&older...", self._open_folder_dialog, "Ctrl+Shift+O"))
        self.save_action = self._action("&Save annotations", self.save, QKeySequence.StandardKey.Save,
                                        tip="Save the marks as JSON beside the study's DICOM files")
        file_menu.addAction(self.save_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("Reader &name...", self._ask_reader))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = menu.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.addAction(undo)
        self.addAction(redo)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action("&Delete selected marks", self.delete_selected,
                                         QKeySequence.StandardKey.Delete))

        tools_menu = menu.addMenu("&Tools")
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name, text, key in (("pan", "&Pan / window", "Escape"),
                                ("calcification", "&Calcification", "C"),
                                ("ruler", "&Ruler", "R")):
            action = self._action(text, lambda _=False, n=name: self.set_tool(n), key, checkable=True)
            group.addAction(action)
            tools_menu.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["pan"].setChecked(True)

        view_menu = menu.addMenu("&View")
        view_menu.addAction(self._action("&Fit to window", self._fit, "F"))
        view_menu.addAction(self._action("&1:1 pixels", lambda: self._each_view("one_to_one"), "Z"))
        view_menu.addAction(self._action("&True size (mm on screen)",
                                         lambda: self._each_view("true_size"), "T"))
        view_menu.addSeparator()
        for i, name in enumerate(HANGING_ORDER):
            view_menu.addAction(self._action(f"Maximise {name} / back", lambda _=False, k=i:
                                             self.hanging.maximise_index(k), str(i + 1)))
        view_menu.addSeparator()
        self.labels_action = self._action("Size &labels", self._toggle_labels, "L", checkable=True)
        self.labels_action.setChecked(self.prefs.show_size_labels)
        view_menu.addAction(self.labels_action)
        self.link_zoom_action = self._action("Link zoom/pan", self._toggle_link_zoom, checkable=True)
        self.link_zoom_action.setChecked(self.prefs.link_views)
        view_menu.addAction(self.link_zoom_action)
        self.link_wl_action = self._action("Link window/level", self._toggle_link_wl, checkable=True)
        self.link_wl_action.setChecked(self.prefs.link_windowing)
        view_menu.addAction(self.link_wl_action)

        self.window_menu = menu.addMenu("&Window")
        self._rebuild_window_menu()

        bar = QToolBar("Tools", self)
        bar.setObjectName("tools_toolbar")
        for name in ("pan", "calcification", "ruler"):
            bar.addAction(self.tool_actions[name])
        bar.addSeparator()
        self.loupe_action = self._action("&Magnifier (hold M)", self._loupe_toggled, checkable=True,
                                         tip="A lens with full-resolution pixels under the cursor; "
                                             "wheel changes its magnification")
        bar.addAction(self.loupe_action)
        view_menu.addAction(self.loupe_action)
        bar.addSeparator()
        bar.addAction(self.save_action)
        self.addToolBar(bar)

    def _rebuild_window_menu(self) -> None:
        self.window_menu.clear()
        self.window_menu.addAction(self._action("&Reset to the file's window", self._reset_window, "W"))
        self.window_menu.addAction(self._action("&Automatic (tissue histogram)", self._auto_window, "A"))
        self.window_menu.addAction(self._action("&Invert", self._toggle_invert, "I"))
        view = self.hanging.active
        if view.image is None:
            return
        self.window_menu.addSeparator()
        for i, preset in enumerate(view.image.voi_presets):
            shortcut = f"Ctrl+{i + 1}" if i < 9 else None
            desc = (f" (C {preset.center:g}, W {preset.width:g}, {preset.function})"
                    if preset.center is not None and preset.width is not None else "")
            self.window_menu.addAction(self._action(
                f"{preset.name}{desc}", lambda _=False, p=preset: self._apply_preset(p), shortcut))

    # -- opening -------------------------------------------------------------------------
    def _open_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open DICOM files")
        if files:
            self.open_paths([Path(f) for f in files])

    def _open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a study folder")
        if folder:
            self.open_paths([Path(folder)])

    def open_paths(self, paths: Sequence[Path]) -> bool:
        """Open a study; per-file problems are listed, the rest of the study opens."""
        if not self.close_study():
            return False
        study = open_study([Path(p) for p in paths])
        self.study = study
        self._show_problems(study)
        if not study.images:
            self.notify("No image could be opened: " + "; ".join(p.message for p in study.problems)
                        if study.problems else "No DICOM images found in " + ", ".join(map(str, paths)))
            return False
        by_view = study.by_view()
        hung = set(id(img) for img in by_view.values())
        extra = [img for img in study.images if id(img) not in hung]
        self.hanging.show_study(by_view, extra)

        self.store = AnnotationStore.open(study.folder, self.reader, study.study_instance_uid)
        try:
            model = self.store.load()
        except Exception as exc:
            QMessageBox.warning(self, "Annotations not loaded", str(exc))
            model = StudyAnnotations(self.reader, study.study_instance_uid)
        self._set_model(model, study)
        for notice in self.store.notices:
            self.notify(notice)
        if self.store.read_only_reason:
            QMessageBox.warning(self, "Annotations are read-only", self.store.read_only_reason)
        recovered = self.store.recovery()
        if recovered is not None and self.store.read_only_reason is None:
            answer = QMessageBox.question(
                self, "Recover unsaved marks?",
                "Marks newer than the last save were found (the program stopped before saving). "
                "Recover them?")
            if answer == QMessageBox.StandardButton.Yes:
                self._set_model(recovered, study)
                self.undo_stack.resetClean()
                self._mark_dirty_without_command()
            else:
                self.store.discard_recovery()
        self.prefs.add_recent_path(str(study.folder))
        self._rebuild_window_menu()
        self._update_title()
        return True

    def _set_model(self, model: StudyAnnotations, study: Study) -> None:
        for layer in self.layers.values():
            layer.detach()
        self.layers.clear()
        self.undo_stack.clear()
        model.reader = model.reader or self.reader
        model.study_instance_uid = model.study_instance_uid or study.study_instance_uid
        names: dict[ImageKey, str] = {}
        for img in study.images:
            key = image_key(img)
            model.ensure_image(ImageAnnotations(
                sop_instance_uid=img.sop_instance_uid, frame=0,
                study_instance_uid=img.study_instance_uid,
                series_instance_uid=img.series_instance_uid,
                rows=img.rows, columns=img.columns, laterality=img.laterality, view=img.view,
                dicom_spacing=img.spacing))
            names[key] = img.view_label
        self.model = model
        model.subscribe(self._model_changed)
        for name, view in self.hanging.views.items():
            if view.image is not None:
                layer = MarksLayer(view, model, image_key(view.image, view.frame))
                layer.set_show_labels(self.labels_action.isChecked())
                self.layers[name] = layer
        self.marks_panel.set_model(model, names)
        self._dirty_without_command = False

    def _show_problems(self, study: Study) -> None:
        self.problems.clear()
        for problem in study.problems:
            prefix = "skipped" if problem.skipped else "cannot open"
            self.problems.addItem(f"{prefix}: {problem.message}")
        errors = [p for p in study.problems if not p.skipped]
        self.problems_dock.setVisible(bool(study.problems))
        if errors:
            self.notify(f"{len(errors)} file(s) could not be opened; see 'Files with problems'")

    def close_study(self) -> bool:
        """Ask about unsaved marks, flush writes, release the lock. False if the user cancels."""
        if not self.undo_stack.isClean() or self._dirty_without_command_flag():
            answer = QMessageBox.question(
                self, "Unsaved marks", "Save the marks before closing this study?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            if answer == QMessageBox.StandardButton.Save and not self.save(wait=True):
                return False
        self.writer.wait()
        if self.store is not None:
            if self.undo_stack.isClean():
                self.store.discard_recovery()
            self.store.close()
            self.store = None
        return True

    # -- editing ---------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Every edit goes through here: onto the undo stack, then autosave."""
        self.undo_stack.push(ModelCommand(self.model, command))

    def _edited(self) -> None:
        if self.store is not None and self.store.read_only_reason is None:
            self.autosave_timer.start()

    def _model_changed(self, change: object) -> None:
        self._refresh_suggestions()

    def _refresh_suggestions(self) -> None:
        """Hook for program-suggested clusters (recomputed after each change)."""

    def suggestions_for(self, key: ImageKey) -> list[Cluster]:
        return []

    def _dirty_without_command_flag(self) -> bool:
        return self._dirty_without_command

    def _mark_dirty_without_command(self) -> None:
        self._dirty_without_command = True
        self._update_title()

    def delete_selected(self) -> None:
        ids = self.marks_panel.selected_ids()
        if not ids:
            for layer in self.layers.values():
                ids |= layer.selected
        by_image: dict[ImageKey, list[str]] = {}
        for key, calc in self.model.iter_calcifications():
            if calc.id in ids:
                by_image.setdefault(key, []).append(calc.id)
        for key, calc_ids in by_image.items():
            self.push(RemoveCalcifications(key, calc_ids,
                                           text=f"delete {len(calc_ids)} calcification(s)"))

    def set_tool(self, name: str) -> None:
        self.tool = self.tools.get(name)
        action = self.tool_actions.get(name)
        if action is not None and not action.isChecked():
            action.setChecked(True)
        for view in self.hanging.views.values():
            view.clear_ruler()
            view.setCursor(Qt.CursorShape.CrossCursor if self.tool else Qt.CursorShape.ArrowCursor)

    def _dispatch(self, view: ImageView, event: PointerEvent) -> bool:
        if self.tool is None or view.image is None:
            if event.kind.value == "click" and view.image is not None:
                self._select_at(view, event.x, event.y)
            return False
        return self.tool.handle(event, _ViewContext(self, view))

    def _select_at(self, view: ImageView, x: float, y: float) -> None:
        """Pan tool click: select the mark under the pointer (or clear the selection)."""
        assert view.image is not None
        img = self.model.images.get(image_key(view.image, view.frame))
        if img is None:
            return
        tolerance = 6.0 * max(1.0, 100.0 / max(view.zoom_percent(), 1e-6))
        best: tuple[float, Calcification] | None = None
        for calc in img.calcifications.values():
            d = float(np.hypot(calc.center[0] - x, calc.center[1] - y))
            if d <= tolerance and (best is None or d < best[0]):
                best = (d, calc)
        ids = {best[1].id} if best else set()
        for layer in self.layers.values():
            layer.set_selected(ids if layer.view is view else set())
        self.marks_panel.select_ids(ids)

    def reveal_mark(self, key: ImageKey, calc_id: str) -> None:
        """Select a mark and centre it in its view (from the marks panel)."""
        for layer in self.layers.values():
            if layer.key == key:
                layer.set_selected({calc_id})
                calc = self.model.image(key).calcifications.get(calc_id)
                if calc is not None:
                    zoom = max(layer.view.zoom_percent() / 100.0, 1.0)
                    layer.view.center_on(calc.center[0], calc.center[1], zoom)
            else:
                layer.set_selected(set())

    # -- saving ------------------------------------------------------------------------------
    def save(self, wait: bool = False) -> bool:
        """Save the marks as JSON beside the study (atomic, in a worker thread)."""
        if self.store is None:
            self.notify("Nothing to save: no study is open")
            return False
        if self.store.read_only_reason:
            QMessageBox.warning(self, "Cannot save", self.store.read_only_reason)
            return False
        data = serialize(self.model)
        self._save_clean_index = self.undo_stack.index()
        self.writer.submit("save", self.store.save_bytes, data)
        if wait:
            self.writer.wait()
            from PySide6.QtCore import QCoreApplication

            QCoreApplication.processEvents()
            return self.undo_stack.isClean()
        return True

    def autosave(self) -> None:
        if self.store is None or self.store.read_only_reason or self.undo_stack.isClean():
            return
        self.writer.submit("autosave", self.store.autosave_bytes, serialize(self.model))

    def _write_finished(self, kind: str, error: str) -> None:
        if kind == "save":
            if error:
                QMessageBox.critical(self, "Save failed",
                                     f"{error}\n\nYour marks are still open here; any earlier file "
                                     "is unchanged.")
                self.notify(f"Save failed: {error}")
                return
            if self.undo_stack.index() == self._save_clean_index:
                self.undo_stack.setClean()
            self._dirty_without_command = False
            if self.store is not None:
                self.store.discard_recovery()
                self.notify(f"Saved {self.model.count()[0]} marks to {self.store.path}")
            self._update_title()
        elif error:
            self.notify(f"Autosave failed: {error}")

    def _update_title(self) -> None:
        name = self.study.folder.name if self.study is not None else "no study"
        dirty = (not self.undo_stack.isClean()) or self._dirty_without_command_flag()
        ro = " [read-only]" if self.store is not None and self.store.read_only_reason else ""
        self.setWindowTitle(f"{name}[*]{ro} - mammo-viewer {__version__} - reader {self.reader}")
        self.setWindowModified(dirty)

    def _ask_reader(self) -> None:
        name, ok = QInputDialog.getText(self, "Reader", "Your name (recorded with every mark):",
                                        text=self.reader)
        if ok and name.strip():
            self.prefs.reader = name.strip()
            self.notify("The new reader name applies to the next study you open")

    # -- messages ----------------------------------------------------------------------------
    def notify(self, message: str) -> None:
        self.last_message = message
        self.statusBar().showMessage(message, 8000)

    # -- view commands -----------------------------------------------------------------------
    def _views(self) -> list[ImageView]:
        return self.hanging.loaded_views()

    def _each_view(self, method: str) -> None:
        targets = self._views() if self.link_zoom_action.isChecked() else [self.hanging.active]
        for view in targets:
            getattr(view, method)()

    def _fit(self) -> None:
        for view in self._views():
            view.fit()

    def _window_targets(self) -> list[ImageView]:
        return self._views() if self.link_wl_action.isChecked() else [self.hanging.active]

    def _reset_window(self) -> None:
        for view in self._window_targets():
            view.reset_window()

    def _auto_window(self) -> None:
        for view in self._window_targets():
            view.auto_window()

    def _toggle_invert(self) -> None:
        for view in self._window_targets():
            view.set_invert(not view.invert)

    def _apply_preset(self, preset: object) -> None:
        self.hanging.active.set_voi(preset)  # type: ignore[arg-type]

    def _window_changed(self, source: ImageView) -> None:
        """Linked window/level: other views take the same change relative to their default."""
        if not self.link_wl_action.isChecked() or self._linking:
            return
        if source.voi is None or source.image is None:
            return
        self._linking = True
        try:
            base = source.image.default_voi(source.frame)
            if base.center is None or base.width is None or source.voi.center is None \
                    or source.voi.width is None:
                return
            dc = source.voi.center - base.center
            fw = source.voi.width / max(base.width, 1e-6)
            for view in self._views():
                if view is source or view.image is None:
                    continue
                own = view.image.default_voi(view.frame)
                if own.center is None or own.width is None:
                    continue
                view.set_voi(own.with_window(own.center + dc, max(1.0, own.width * fw)), emit=False)
        finally:
            self._linking = False

    def _range_changed(self, source: ImageView) -> None:
        if not self.link_zoom_action.isChecked() or self._linking_range:
            return
        self._linking_range = True
        try:
            zoom = source.zoom_percent() / 100.0
            for view in self._views():
                if view is not source:
                    view.set_zoom(zoom)
        finally:
            self._linking_range = False

    def _toggle_labels(self) -> None:
        on = self.labels_action.isChecked()
        self.prefs.show_size_labels = on
        for layer in self.layers.values():
            layer.set_show_labels(on)

    def _toggle_link_zoom(self) -> None:
        self.prefs.link_views = self.link_zoom_action.isChecked()

    def _toggle_link_wl(self) -> None:
        self.prefs.link_windowing = self.link_wl_action.isChecked()

    def _active_changed(self, view: ImageView) -> None:
        self._rebuild_window_menu()

    # -- magnifier ----------------------------------------------------------------------------
    def loupe_active(self) -> bool:
        return self._loupe_held or self.loupe_action.isChecked()

    def _loupe_toggled(self) -> None:
        if not self.loupe_active():
            for loupe in self.loupes.values():
                loupe.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Hold M anywhere in the window for the magnifier; wheel under it changes its power."""
        etype = event.type()
        if etype in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            key_event = event  # QKeyEvent
            typing = isinstance(QApplication.focusWidget(), QLineEdit | QTextEdit | QPlainTextEdit)
            if key_event.key() == Qt.Key.Key_M and not key_event.isAutoRepeat() \
                    and not typing and not key_event.modifiers():  # type: ignore[attr-defined]
                self._loupe_held = etype == QEvent.Type.KeyPress
                if self._loupe_held:
                    self._show_loupe_under_cursor()
                else:
                    self._loupe_toggled()
                return True
        elif etype == QEvent.Type.Wheel and self.loupe_active():
            for loupe in self.loupes.values():
                if loupe.isVisible():
                    delta = event.angleDelta().y()  # type: ignore[attr-defined]
                    loupe.change_factor(1 if delta > 0 else -1)
                    return True
        return False

    def _show_loupe_under_cursor(self) -> None:
        from PySide6.QtGui import QCursor

        for name, view in self.hanging.views.items():
            if view.image is None or not view.isVisible():
                continue
            local = view.mapFromGlobal(QCursor.pos())
            if view.rect().contains(local):
                p = view.vb.mapSceneToView(view.mapToScene(local))
                self.loupes[name].show_at(p.x(), p.y())
                return

    def _cursor_moved(self, view: ImageView, x: float, y: float) -> None:
        img = view.image
        if img is None:
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
        spacing = self.model.images[image_key(img, view.frame)].spacing \
            if image_key(img, view.frame) in self.model.images else img.spacing
        where = ""
        if spacing.calibrated:
            mx, my = spacing.to_mm((col, row))
            where = f"  ({mx:.1f}, {my:.1f}) mm"
        self.cursor_label.setText(f"{img.view_label}  x {col}  y {row}  value {value}{where}")

    # -- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_study():
            event.accept()
        else:
            event.ignore()
