"""The main window: hanging views, tools, marks panel, menus, undo, save and autosave."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from viewer import __version__
from viewer.core.annotations import (
    Calcification,
    ImageKey,
    StudyAnnotations,
)
from viewer.core.cluster import ClusterRule
from viewer.core.commands import Batch, Command, RemoveCalcifications, ReplaceCalcification, SetCalibration
from viewer.core.geometry import Point, Spacing
from viewer.core.lexicon import OVERRIDE_NAME
from viewer.core.quick_entry import DescriptorEntry, Waiting
from viewer.core.tools import (
    CalcificationTool,
    CalibrateTool,
    DrawOutlineTool,
    EditTool,
    LassoClusterTool,
    PointerEvent,
    RulerTool,
    Tool,
)
from viewer.dicom.image import MammoImage
from viewer.dicom.study import Study, open_studies
from viewer.qt.annotation_controller import AnnotationController
from viewer.qt.describe_panel import DescribePanel
from viewer.qt.hanging import HANGING_ORDER, HangingView
from viewer.qt.image_view import ImageView, image_key
from viewer.qt.loader import StudyLoader, preview_level
from viewer.qt.marks_layer import MarksLayer
from viewer.qt.marks_panel import MarksPanel
from viewer.qt.persistence import BackgroundWriter
from viewer.qt.settings import Preferences
from viewer.qt.tool_context import ViewToolContext
from viewer.qt.undo import ModelCommand
from viewer.qt.view_controls import ViewControls
from viewer.qt.workflow import Workflow
from viewer.store.lexicon_file import load_preferred_lexicon
from viewer.store.locations import user_data_dir
from viewer.store.serialize import serialize
from viewer.store.session import AnnotationStore

AUTOSAVE_DELAY_MS = 1500


def frame_label(image: MammoImage, frame: int) -> str:
    return image.view_label if image.frames <= 1 else f"{image.view_label} frame {frame + 1}"


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
        self.tools: dict[str, Tool] = {
            "calcification": CalcificationTool(),
            "edit": EditTool(),
            "draw": DrawOutlineTool(),
            "ruler": RulerTool(),
            "calibrate": CalibrateTool(),
            "lasso": LassoClusterTool(),
        }
        self.controller = AnnotationController(self.push, self.notify, lambda: self.mark_reader)
        self.lexicon, lexicon_problem = load_preferred_lexicon(user_data_dir() / OVERRIDE_NAME)
        self._entry: DescriptorEntry | None = None
        self.tool: Tool | None = None
        self.writer = BackgroundWriter(self)
        self.writer.finished.connect(self._write_finished)
        self.last_message = ""
        self._dirty_without_command = False
        self._save_clean_index = -1

        self.hanging = HangingView(self)
        self.setCentralWidget(self.hanging)
        for view in self.hanging.views.values():
            view.tool_handler = self._dispatch
        self.view_controls = ViewControls(self, self.hanging, self.prefs, self._spacing_of)
        # Decoding runs in worker processes: the window paints a preview at once and stays
        # responsive while full-resolution pixels arrive (issue 3 speed targets).
        self.background_decoding = True
        self.loader = StudyLoader(self)
        self.loader.preview_ready.connect(self._preview_ready)
        self.loader.image_ready.connect(self._image_ready)
        self.loader.failed.connect(self._image_failed)
        self.loader.start()
        self.workflow = Workflow(self)

        self.marks_panel = MarksPanel()
        self.marks_panel.mark_activated.connect(self.reveal_mark)
        self.marks_panel.selection_changed.connect(self.controller.select)
        self.marks_panel.suggestions_for = self.controller.suggestions_for
        self.controller.selection_changed.connect(self._selection_changed)
        self.controller.suggestions_changed.connect(self._suggestions_changed)
        self.describe_panel = DescribePanel(self.lexicon)
        self.describe_panel.morphology_chosen.connect(self.controller.set_morphology)
        self.describe_panel.cluster_field_chosen.connect(self.controller.set_cluster_field)
        dock = QDockWidget("Marks", self)
        dock.setObjectName("marks_dock")
        dock.setWidget(self.marks_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        describe_dock = QDockWidget("Describe", self)
        describe_dock.setObjectName("describe_dock")
        describe_dock.setWidget(self.describe_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, describe_dock)
        self.problems = QListWidget()
        self.problems_dock = QDockWidget("Files with problems", self)
        self.problems_dock.setObjectName("problems_dock")
        self.problems_dock.setWidget(self.problems)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.problems_dock)
        self.problems_dock.hide()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._edited)

        self._build_actions()
        if lexicon_problem:
            self.notify(lexicon_problem)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.resize(1500, 950)
        self._update_title()

    # -- actions and menus -------------------------------------------------------------
    def make_action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
        checkable: bool = False,
        tip: str = "",
    ) -> QAction:
        """A window-wide action (its key works wherever the focus is in this window)."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(
            self.make_action("Open &files...", self._open_files_dialog, QKeySequence.StandardKey.Open)
        )
        file_menu.addAction(self.make_action("Open f&older...", self._open_folder_dialog, "Ctrl+Shift+O"))
        self.save_action = self.make_action(
            "&Save annotations",
            self.save,
            QKeySequence.StandardKey.Save,
            tip="Save the marks as JSON beside the study's DICOM files",
        )
        file_menu.addAction(self.save_action)
        file_menu.addSeparator()
        file_menu.addAction(self.make_action("Reader &name...", self._ask_reader))
        file_menu.addSeparator()
        file_menu.addAction(self.make_action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = menu.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)])
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.addAction(undo)
        self.addAction(redo)
        edit_menu.addSeparator()
        edit_menu.addAction(
            self.make_action("&Delete selected marks", self.delete_selected, QKeySequence.StandardKey.Delete)
        )
        edit_menu.addAction(
            self.make_action(
                "Make selected marks &point-only",
                self.make_point_only,
                "Ctrl+P",
                tip="keep a mark without an outline: its size is 'not measured'",
            )
        )
        edit_menu.addAction(self.make_action("Remove &manual calibration", self.remove_calibration))
        self.frame_actions = [
            self.make_action("Next frame", lambda: self._step_frame(1), "PgDown"),
            self.make_action("Previous frame", lambda: self._step_frame(-1), "PgUp"),
        ]

        cluster_menu = menu.addMenu("&Clusters")
        ctl = self.controller
        for text, slot, key in (
            ("&Confirm suggested cluster", ctl.confirm_selected, "Ctrl+Return"),
            ("&Group selected marks into a cluster", ctl.group_selected_marks, "Ctrl+G"),
            ("&Merge selected clusters", ctl.merge_selected, "Ctrl+Shift+M"),
            ("&Add selected marks to the selected cluster", ctl.add_selected_marks_to_cluster, "Ctrl+Alt+A"),
            (
                "&Remove selected marks from their cluster",
                ctl.remove_selected_marks_from_cluster,
                "Ctrl+Alt+R",
            ),
            ("&Split selected marks off into a new cluster", ctl.split_selected, "Ctrl+Alt+S"),
            ("&Dissolve cluster (not a cluster)", ctl.dissolve_selected, "Ctrl+Shift+G"),
        ):
            cluster_menu.addAction(self.make_action(text, slot, key))
        cluster_menu.addSeparator()
        cluster_menu.addAction(self.make_action("Grouping &rule...", self._ask_rule))

        describe_menu = menu.addMenu("&Describe")
        for set_name, key in (
            ("morphology", "Shift+M"),
            ("distribution", "Shift+D"),
            ("assessment", "Shift+A"),
            ("recommendation", "Shift+R"),
        ):
            describe_menu.addAction(
                self.make_action(
                    f"{set_name.capitalize()}: type its key...", partial(self.start_entry, set_name), key
                )
            )
        describe_menu.addAction(self.make_action("Cluster &note...", self._ask_note, "Shift+N"))

        tools_menu = menu.addMenu("&Tools")
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name, text, key in (
            ("pan", "&Pan / select", "Escape"),
            ("calcification", "&Calcification (click)", "C"),
            ("edit", "&Edit outline / move mark", "E"),
            ("draw", "&Draw outline by hand", "D"),
            ("lasso", "Draw a cluster (&lasso)", "G"),
            ("ruler", "&Ruler", "R"),
            ("calibrate", "Cali&brate (line of known length)", "K"),
        ):
            action = self.make_action(text, partial(self.set_tool, name), key, checkable=True)
            group.addAction(action)
            tools_menu.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["pan"].setChecked(True)

        self.view_controls.build_menus(menu)
        self.workflow.build_menus(menu, file_menu)
        self.labels_action = self.make_action("Size &labels", self._toggle_labels, "L", checkable=True)
        self.labels_action.setChecked(self.prefs.show_size_labels)
        self.view_controls.view_menu.addAction(self.labels_action)
        self.view_controls.view_menu.addSeparator()
        for action in self.frame_actions:
            self.view_controls.view_menu.addAction(action)

        bar = QToolBar("Tools", self)
        bar.setObjectName("tools_toolbar")
        for name in ("pan", "calcification", "edit", "draw", "lasso", "ruler", "calibrate"):
            bar.addAction(self.tool_actions[name])
        bar.addSeparator()
        bar.addAction(self.view_controls.loupe_action)
        bar.addSeparator()
        bar.addAction(self.save_action)
        self.addToolBar(bar)

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
        studies = open_studies([Path(p) for p in paths])
        study = studies[0]
        self.study = study
        self._show_problems(study)
        if not study.images:
            self.notify(
                "No image could be opened: " + "; ".join(p.message for p in study.problems)
                if study.problems
                else "No DICOM images found in " + ", ".join(map(str, paths))
            )
            return False
        by_view = study.by_view()
        hung = set(id(img) for img in by_view.values())
        extra = [img for img in study.images if id(img) not in hung]
        leftovers = self.hanging.show_study(by_view, extra, loading=self.background_decoding)
        if self.background_decoding:
            shown = [v.image for v in self.hanging.loaded_views() if v.image is not None]
            cell = self.hanging.views[HANGING_ORDER[0]]
            level = preview_level((shown[0].rows, shown[0].columns), (cell.width(), cell.height()))
            self.loader.load(shown, preview_level=level)

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
                self,
                "Recover unsaved marks?",
                "Marks newer than the last save were found (the program stopped before saving). "
                "Recover them?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self._set_model(recovered, study)
                self.undo_stack.resetClean()
                self._mark_dirty_without_command()
            else:
                self.store.discard_recovery()
        if leftovers:
            self.notify(f"{len(leftovers)} more image(s) in this study: Study > Images in this study")
        if len(studies) > 1:
            self.notify(
                f"{len(studies)} studies found; showing {study.folder.name}. "
                "Open the folder as a worklist (Ctrl+Shift+W) to go through them."
            )
        self.prefs.add_recent_path(str(study.folder))
        self.view_controls.rebuild_presets()
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
            for frame in {0, *(f for (uid, f) in model.images if uid == img.sop_instance_uid)}:
                model.ensure_image(img.annotation_record(frame))
                names[image_key(img, frame)] = frame_label(img, frame)
        self.model = model
        self.controller.set_model(model, self._rule())
        for name, view in self.hanging.views.items():
            if view.image is not None:
                layer = MarksLayer(view, model, image_key(view.image, view.frame))
                layer.set_show_labels(self.labels_action.isChecked())
                layer.set_suggestions(self.controller.suggestions_for(layer.key))
                self.layers[name] = layer
        self.marks_panel.set_model(model, names)
        self._dirty_without_command = False

    # -- progressive loading -----------------------------------------------------------
    def _views_of(self, image: MammoImage) -> list[ImageView]:
        return [v for v in self.hanging.views.values() if v.image is image]

    def _preview_ready(self, image: MammoImage, array: np.ndarray, level: int) -> None:
        for view in self._views_of(image):
            if not view.pixels_ready:
                view.set_preview(image, array, level, view.frame)

    def _image_ready(self, image: MammoImage) -> None:
        for view in self._views_of(image):
            view.set_full(image, self.loader.pyramid(image), view.frame)
        if self.hanging.active.image is image:
            self.view_controls.rebuild_presets()

    def _image_failed(self, image: MammoImage, message: str) -> None:
        self.problems.addItem(f"cannot show: {message}")
        self.problems_dock.show()
        for view in self._views_of(image):
            view.set_image(None)
        self.notify(message)

    def images_ready(self) -> bool:
        """True when every hung image shows its full-resolution pixels (or failed)."""
        return all(v.pixels_ready for v in self.hanging.loaded_views())

    def wait_until_loaded(self, timeout_s: float = 60.0) -> bool:
        """Run the event loop until :meth:`images_ready` (for scripts and --screenshot)."""
        loop = QEventLoop()
        deadline = time.monotonic() + timeout_s
        while not self.images_ready() and time.monotonic() < deadline:
            loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)
        return self.images_ready()

    def set_frame(self, view: ImageView, frame: int) -> None:
        """Show another frame of a multi-frame image (tomosynthesis) in ``view``."""
        image = view.image
        if image is None or image.frames <= 1:
            self.notify("this image has a single frame")
            return
        frame %= image.frames
        key = image_key(image, frame)
        if key not in self.model.images:
            self.model.ensure_image(image.annotation_record(frame))
            self.marks_panel.view_names[key] = frame_label(image, frame)
            self.marks_panel.refresh()
        view.set_frame(frame)
        for name, v in self.hanging.views.items():
            if v is view:
                old = self.layers.pop(name, None)
                if old is not None:
                    old.detach()
                layer = MarksLayer(view, self.model, key)
                layer.set_show_labels(self.labels_action.isChecked())
                layer.set_suggestions(self.controller.suggestions_for(key))
                self.layers[name] = layer

    def show_in_active_cell(self, image: MammoImage) -> None:
        """Hang any image of the study (another series, a magnification view) in the active cell."""
        view = self.hanging.active
        for name, v in self.hanging.views.items():
            if v is view:
                old = self.layers.pop(name, None)
                if old is not None:
                    old.detach()
                view.set_image(image)
                layer = MarksLayer(view, self.model, image_key(image))
                layer.set_show_labels(self.labels_action.isChecked())
                layer.set_suggestions(self.controller.suggestions_for(layer.key))
                self.layers[name] = layer
        self.view_controls.rebuild_presets()
        self.notify(f"{image.view_label} ({image.path.name}) in the active cell")

    def _step_frame(self, delta: int) -> None:
        view = self.hanging.active
        if view.image is not None:
            self.set_frame(view, view.frame + delta)

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
                self,
                "Unsaved marks",
                "Save the marks before closing this study?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            if answer == QMessageBox.StandardButton.Save and not self.save(wait=True):
                return False
        self.writer.wait()
        self.loader.cancel()
        self.workflow.clear_other_readers()
        self.workflow.candidates.clear()
        if self.store is not None:
            if self.undo_stack.isClean():
                self.store.discard_recovery()
            self.store.close()
            self.store = None
        return True

    # -- editing ---------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Every edit goes through here: onto the undo stack, then autosave.

        A study whose annotation file is read-only for this reader (held by another
        instance, corrupt, or written by a newer version) takes no edits.
        """
        if self.store is not None and self.store.read_only_reason:
            self.notify(f"read-only: {self.store.read_only_reason}")
            return
        self.undo_stack.push(ModelCommand(self.model, command))

    def _edited(self) -> None:
        if self.store is not None and self.store.read_only_reason is None:
            self.autosave_timer.start()

    def layer_for(self, key: ImageKey) -> MarksLayer | None:
        return next((layer for layer in self.layers.values() if layer.key == key), None)

    def _suggestions_changed(self, key: ImageKey) -> None:
        layer = self.layer_for(key)
        if layer is not None:
            layer.set_suggestions(self.controller.suggestions_for(key))
        self.marks_panel.refresh()

    def _selection_changed(self) -> None:
        ctl = self.controller
        for layer in self.layers.values():
            mine = layer.key == ctl.key
            layer.set_selected(ctl.calc_ids if mine else set())
            layer.set_selected_clusters(ctl.cluster_ids if mine else set())
        self.marks_panel.select_ids(ctl.calc_ids, ctl.cluster_ids)
        clusters = ctl.selected_clusters()
        cluster = clusters[0] if len(clusters) == 1 else None
        self.describe_panel.show_selection(
            ctl.selected_calcs(), cluster, ctl.metrics(cluster) if cluster else None
        )

    def _rule(self) -> ClusterRule:
        try:
            return ClusterRule(self.prefs.cluster_min_count, self.prefs.cluster_max_distance_mm)
        except ValueError:
            return ClusterRule()

    def _ask_rule(self) -> None:
        rule = self._rule()
        count, ok = QInputDialog.getInt(
            self, "Grouping rule", "At least this many calcifications:", rule.min_count, 2, 100
        )
        if not ok:
            return
        dist, ok = QInputDialog.getDouble(
            self,
            "Grouping rule",
            "in a circle of this diameter (mm):",
            rule.diameter_mm,
            0.5,
            100.0,
            1,
        )
        if not ok:
            return
        self.prefs.cluster_min_count = count
        self.prefs.cluster_max_distance_mm = dist
        self.controller.set_rule(self._rule())
        self.notify(f"Grouping: at least {count} calcifications in a {dist:g} mm circle")

    def _ask_note(self) -> None:
        target = self.controller.selected_clusters()
        if len(target) != 1:
            self.notify("select a cluster first (in the marks list)")
            return
        text, ok = QInputDialog.getText(self, "Cluster note", "Note:", text=target[0].note)
        if ok:
            self.controller.set_cluster_field("note", text)

    def start_entry(self, set_name: str) -> None:
        """Quick keyboard entry: the next keys pick a label of ``set_name`` by its key."""
        label_set = getattr(self.lexicon, set_name)
        self._entry = DescriptorEntry(set_name, label_set)
        choices = ", ".join(f"{lab.key} {lab.text}" for lab in label_set)
        self.notify(f"{set_name.capitalize()}: type a key ({choices}); Esc cancels")

    def _entry_key(self, text: str, key: int) -> bool:
        """Feed a key to the quick entry; True when it was used."""
        entry = self._entry
        if entry is None:
            return False
        if key == Qt.Key.Key_Escape:
            self._entry = None
            self.notify("cancelled")
            return True
        if not text or not text.isprintable():
            return False
        result = entry.feed(text)
        if isinstance(result, Waiting):
            return True
        self._entry = None
        if result is None:
            self.notify(f"no {entry.set_name} label has the key '{entry.typed}'")
            return True
        if entry.set_name == "morphology":
            self.controller.set_morphology(result.id)
        else:
            self.controller.set_cluster_field(entry.set_name, result.id)
        self.notify(f"{entry.set_name}: {result.text}")
        return True

    def make_point_only(self) -> None:
        calcs = [c for c in self.controller.selected_calcs() if c.outline is not None]
        key = self.controller.key
        if not calcs or key is None:
            self.notify("select outlined marks to keep as points")
            return
        spacing = self.model.image(key).spacing
        self.push(
            Batch(
                [ReplaceCalcification(key, c, c.with_outline(None, spacing)) for c in calcs],
                "make point-only",
            )
        )

    def remove_calibration(self) -> None:
        view = self.hanging.active
        if view.image is None:
            return
        key = image_key(view.image, view.frame)
        if self.model.image(key).calibration is None:
            self.notify("this image has no manual calibration")
            return
        self.push(SetCalibration(key, None, text="remove calibration"))
        self.notify(f"calibration removed: sizes use {self.model.image(key).spacing.label}")

    def ask_calibration_length(self, key: ImageKey, p1: Point, p2: Point) -> float | None:
        current = self.model.image(key).dicom_spacing.distance_mm(p1, p2)
        hint = f" (the file's spacing says {current:.2f} mm)" if current is not None else ""
        value, ok = QInputDialog.getDouble(
            self, "Calibrate", f"True length of the line in mm{hint}:", current or 10.0, 0.01, 10000.0, 2
        )
        return float(value) if ok else None

    def _dirty_without_command_flag(self) -> bool:
        return self._dirty_without_command

    def _mark_dirty_without_command(self) -> None:
        self._dirty_without_command = True
        self._update_title()

    def delete_selected(self) -> None:
        ids = set(self.controller.calc_ids)
        by_image: dict[ImageKey, list[str]] = {}
        for key, calc in self.model.iter_calcifications():
            if calc.id in ids:
                by_image.setdefault(key, []).append(calc.id)
        for key, calc_ids in by_image.items():
            self.push(RemoveCalcifications(key, calc_ids, text=f"delete {len(calc_ids)} calcification(s)"))

    def set_tool(self, name: str) -> None:
        self.tool = self.tools.get(name)
        action = self.tool_actions.get(name)
        if action is not None and not action.isChecked():
            action.setChecked(True)
        for view in self.hanging.views.values():
            view.clear_ruler()
            view.setCursor(Qt.CursorShape.CrossCursor if self.tool else Qt.CursorShape.ArrowCursor)

    def _dispatch(self, view: ImageView, event: PointerEvent) -> bool:
        if view.image is not None and not view.pixels_ready:
            if event.kind.value == "click":
                self.notify("the image is still being decoded; one moment")
            return False
        if self.tool is None or view.image is None:
            if event.kind.value == "click" and view.image is not None:
                self._select_at(view, event.x, event.y, "ctrl" in event.modifiers)
            return False
        return self.tool.handle(event, ViewToolContext(self, view))

    def _select_at(self, view: ImageView, x: float, y: float, toggle: bool = False) -> None:
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
        key = image_key(view.image, view.frame)
        ids = {best[1].id} if best else set()
        if toggle and self.controller.key == key:
            ids = self.controller.calc_ids ^ ids
        self.controller.select(key if ids else None, ids, set())

    def reveal_mark(self, key: ImageKey, calc_id: str) -> None:
        """Select a mark and centre it in its view (from the marks panel)."""
        layer = self.layer_for(key)
        calc = self.model.image(key).calcifications.get(calc_id)
        if layer is not None and calc is not None:
            zoom = max(layer.view.zoom_percent() / 100.0, 1.0)
            layer.view.center_on(calc.center[0], calc.center[1], zoom)

    # -- saving ------------------------------------------------------------------------------
    def save(self, wait: bool = False) -> bool:
        """Save the marks as JSON beside the study (atomic, in a worker thread)."""
        if self.store is None:
            self.notify("Nothing to save: no study is open")
            return False
        if self.store.read_only_reason:
            QMessageBox.warning(self, "Cannot save", self.store.read_only_reason)
            return False
        snapshot, store = self.model.snapshot(), self.store
        self._save_clean_index = self.undo_stack.index()
        self.writer.submit("save", lambda: store.save_bytes(serialize(snapshot)))
        if wait:
            self.writer.wait()
            from PySide6.QtCore import QCoreApplication

            QCoreApplication.processEvents()
            return self.undo_stack.isClean()
        return True

    def autosave(self) -> None:
        if self.store is None or self.store.read_only_reason or self.undo_stack.isClean():
            return
        snapshot, store = self.model.snapshot(), self.store
        self.writer.submit("autosave", lambda: store.autosave_bytes(serialize(snapshot)))

    def _write_finished(self, kind: str, error: str) -> None:
        if kind == "save":
            if error:
                QMessageBox.critical(
                    self,
                    "Save failed",
                    f"{error}\n\nYour marks are still open here; any earlier file is unchanged.",
                )
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
        self.setWindowTitle(f"{name}[*]{ro} - mammo-viewer {__version__} - reader {self.mark_reader}")
        self.setWindowModified(dirty)

    @property
    def mark_reader(self) -> str:
        """Who new marks belong to: the reader whose file the open study writes."""
        return self.model.reader or self.reader

    def _ask_reader(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Reader", "Your name (recorded with every mark):", text=self.reader
        )
        if ok and name.strip():
            # The open study's file belongs to the reader who opened it; the new name
            # takes effect (its own file, lock and marks) when a study is opened next.
            self.prefs.reader = name.strip()
            self.reader = name.strip()
            self.workflow.worklist.set_reader(self.reader)
            self.notify(f"Reader is now {self.reader}; it applies to the next study you open")

    # -- messages ----------------------------------------------------------------------------
    def notify(self, message: str) -> None:
        self.last_message = message
        self.statusBar().showMessage(message, 8000)

    def _spacing_of(self, view: ImageView) -> Spacing:
        assert view.image is not None
        key = image_key(view.image, view.frame)
        return self.model.images[key].spacing if key in self.model.images else view.image.spacing

    def _toggle_labels(self) -> None:
        on = self.labels_action.isChecked()
        self.prefs.show_size_labels = on
        for layer in self.layers.values():
            layer.set_show_labels(on)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Descriptor quick entry takes keys first; then the magnifier's M and wheel."""
        etype = event.type()
        if (
            self._entry is not None
            and etype in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
            and isinstance(watched, QWidget)
            and watched.window() is self
        ):
            # While a descriptor is being typed, its keys are not shortcuts.
            if etype == QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if self._entry_key(event.text(), event.key()):  # type: ignore[attr-defined]
                return True
        mine = watched.window() is self if isinstance(watched, QWidget) else watched is self.windowHandle()
        return mine and self.view_controls.handle_event(event)

    # -- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_study():
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            event.accept()
        else:
            event.ignore()
