"""The main window: shows the hanging views, the marks and describe panels, and routes gestures.

What it routes to, each in its own module: the menus (:mod:`viewer.qt.window_menus`),
opening and closing a study (:mod:`viewer.qt.study_opening`), saving
(:mod:`viewer.qt.saving`), the pixels arriving (:mod:`viewer.qt.image_loading`), the marks
layer of each cell (:mod:`viewer.qt.cell_layers`), edits that are not a pointer tool
(:mod:`viewer.qt.mark_editing`), quick descriptor entry (:mod:`viewer.qt.entry_keys`), the
view controls (:mod:`viewer.qt.view_controls`), the docked panels (:mod:`viewer.qt.window_docks`)
and the worklist flow (:mod:`viewer.qt.workflow`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QInputDialog, QListWidget, QMainWindow, QWidget

from viewer import __version__
from viewer.core.annotations import ImageKey, StudyAnnotations
from viewer.core.commands import Command
from viewer.core.geometry import Point, Spacing
from viewer.core.lexicon import OVERRIDE_NAME
from viewer.core.printable import printable_text
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
from viewer.dicom.study import Study
from viewer.qt import reading_setup
from viewer.qt.annotation_controller import AnnotationController
from viewer.qt.assessment_panel import AssessmentPanel
from viewer.qt.cell_layers import CellLayers, frame_label
from viewer.qt.describe_panel import DescribePanel
from viewer.qt.entry_keys import EntryKeys
from viewer.qt.finding_reading import FindingReading
from viewer.qt.frame_pager import FramePager
from viewer.qt.hanging import HangingView
from viewer.qt.image_loading import ImageLoading
from viewer.qt.image_view import ImageView, image_key
from viewer.qt.label_import import LabelImport
from viewer.qt.mark_editing import MarkEditing
from viewer.qt.marks_layer import MarksLayer
from viewer.qt.marks_panel import MarksPanel
from viewer.qt.notices import Notices
from viewer.qt.reading_protocols import ReadingProtocols
from viewer.qt.saving import AUTOSAVE_DELAY_MS, Saving
from viewer.qt.server_opening import ServerOpening
from viewer.qt.settings import Preferences
from viewer.qt.study_opening import StudyOpening
from viewer.qt.tool_context import ViewToolContext
from viewer.qt.view_controls import ViewControls
from viewer.qt.view_correction import ViewCorrection
from viewer.qt.view_markers import ViewMarkers
from viewer.qt.window_docks import build_docks
from viewer.qt.window_menus import build_menus
from viewer.qt.workflow import Workflow
from viewer.session.study_session import AnnotationFile, SessionError, StudySession
from viewer.store.lexicon_file import load_preferred_lexicon
from viewer.store.locations import user_data_dir

__all__ = ["AUTOSAVE_DELAY_MS", "MainWindow", "frame_label"]


class MainWindow(QMainWindow):
    """mammo-viewer's main window."""

    save_action: QAction
    undo_action: QAction
    redo_action: QAction
    labels_action: QAction
    tool_actions: dict[str, QAction]
    frame_actions: list[QAction]
    protocols: ReadingProtocols
    finding_reading: FindingReading
    assessment_panel: AssessmentPanel
    view_markers: dict[ImageView, ViewMarkers]
    patient_line_action: QAction
    marks_panel: MarksPanel
    describe_panel: DescribePanel
    problems: QListWidget
    problems_dock: QDockWidget

    def __init__(self, prefs: Preferences | None = None, reader: str | None = None) -> None:
        super().__init__()
        self.notices = Notices(self.statusBar())
        self.prefs = prefs or Preferences()
        self.session = StudySession(reader or self.prefs.reader)
        self.interactive = True
        """False for runs nobody watches (--screenshot): no question is asked (see study_opening)."""
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
        self.tool: Tool | None = None
        self.quitting = False
        """The program is ending (SIGTERM): nothing more is asked."""
        self.last_message = ""
        self.saving = Saving(self)
        self.opening = StudyOpening(self)
        self.server_opening = ServerOpening(self)
        self.editing = MarkEditing(self)
        self.entry_keys = EntryKeys(self)
        self.cells = CellLayers(self)

        self.hanging = HangingView(self)
        self.setCentralWidget(self.hanging)
        for view in self.hanging.views.values():
            view.tool_handler = self._dispatch
        self.view_controls = ViewControls(self, self.hanging, self.prefs, self._spacing_of, self.notify)
        # Decoding runs in worker processes: the window paints a preview at once and stays
        # responsive while full-resolution pixels arrive (issue 3 speed targets).
        self.background_decoding = True
        self.loading = ImageLoading(self)
        self.frames = FramePager(self)
        self.loader = self.loading.loader
        self.workflow = Workflow(self)
        build_docks(self)

        build_menus(self)
        self.view_correction = ViewCorrection(self)
        self.view_correction.build_menu(self.view_controls.view_menu)
        self.label_import = LabelImport(self)
        self.label_import.build_menu(self.menuBar().actions()[0].menu())
        reading_setup.install(self)  # protocols, nipple and links, assessment, File > Report
        if lexicon_problem:
            self.notify(lexicon_problem)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.resize(1500, 950)
        self.update_title()

    def show_as_last_time(self) -> None:
        """Show at the last size and position (and docks); maximised the first time."""
        geometry, state = self.prefs.window_geometry, self.prefs.window_state
        if geometry is not None and self.restoreGeometry(geometry):
            if state is not None:
                self.restoreState(state)
            self.show()
        else:
            self.showMaximized()

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

    # -- the study: opening, saving, closing (viewer.qt.study_opening, viewer.qt.saving) ------
    def open_paths(self, paths: Sequence[Path]) -> bool:
        """Open a study; per-file problems are listed, the rest of the study opens."""
        return self.opening.open_paths(paths)

    def close_study(self) -> bool:
        """Ask about unsaved marks, flush writes, release the lock. False if the user cancels."""
        return self.opening.close_study()

    def save(self, wait: bool = False) -> bool:
        """Save the marks as JSON beside the study (atomic, in a worker thread)."""
        return self.saving.save(wait)

    def autosave(self) -> None:
        self.saving.autosave()

    # -- what the session holds ----------------------------------------------------------------
    @property
    def study(self) -> Study | None:
        return self.session.study

    @property
    def store(self) -> AnnotationFile | None:
        return self.session.store

    @property
    def model(self) -> StudyAnnotations:
        return self.session.model

    @property
    def reader(self) -> str:
        """Who opens the next study."""
        return self.session.reader

    def images_ready(self) -> bool:
        """True when every hung image shows its full-resolution pixels (or failed)."""
        return self.loading.images_ready()

    def wait_until_loaded(self, timeout_s: float = 60.0) -> bool:
        """Run the event loop until :meth:`images_ready` (for scripts and --screenshot)."""
        return self.loading.wait_until_loaded(timeout_s)

    # -- cells (viewer.qt.cell_layers) --------------------------------------------------------
    def layer_for(self, key: ImageKey) -> MarksLayer | None:
        return self.cells.layer_for(key)

    def set_frame(self, view: ImageView, frame: int) -> None:
        """Show another frame of a multi-frame image (tomosynthesis) in ``view``."""
        self.cells.set_frame(view, frame)

    def show_in_active_cell(self, image: MammoImage) -> None:
        """Hang any image of the study (another series, a magnification view) in the active cell."""
        self.cells.show_in_active_cell(image)

    # -- editing ----------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Every edit goes through here: onto the undo stack, then autosave.

        A study whose annotation file is read-only for this reader (held by another
        instance, corrupt, or written by a newer version) takes no edits.
        """
        try:
            self.session.push(command)
        except SessionError as exc:
            self.notify(str(exc))
            return
        self.edited()

    def undo(self) -> None:
        if self.session.undo() is not None:
            self.edited()

    def redo(self) -> None:
        if self.session.redo() is not None:
            self.edited()

    def take_back(self, command: Command) -> bool:
        """Undo ``command`` if it is the newest edit, leaving nothing to redo."""
        if not self.session.take_back(command):
            return False
        self.edited()
        return True

    def edited(self) -> None:
        """The marks (or the open study) changed: title, Undo/Redo texts, autosave."""
        history = self.session.history
        undo, redo = history.undo_text, history.redo_text
        self.undo_action.setEnabled(undo is not None)
        self.undo_action.setText(f"&Undo {undo}" if undo else "&Undo")
        self.redo_action.setEnabled(redo is not None)
        self.redo_action.setText(f"&Redo {redo}" if redo else "&Redo")
        self.saving.edited()
        self.update_title()

    def delete_selected(self) -> None:
        self.editing.delete_selected()

    def make_point_only(self) -> None:
        self.editing.make_point_only()

    def remove_calibration(self) -> None:
        self.editing.remove_calibration()

    def ask_calibration_length(self, key: ImageKey, p1: Point, p2: Point) -> float | None:
        return self.editing.ask_calibration_length(key, p1, p2)

    def reveal_mark(self, key: ImageKey, calc_id: str) -> None:
        """Select a mark and centre it in its view (from the marks panel)."""
        self.editing.reveal_mark(key, calc_id)

    def start_entry(self, set_name: str) -> None:
        """Quick keyboard entry: the next keys pick a label of ``set_name`` by its key."""
        self.entry_keys.start(set_name)

    def _suggestions_changed(self, key: ImageKey) -> None:
        self.cells.show_suggestions(key)
        self.marks_panel.clusters_changed(key)

    def _selection_changed(self) -> None:
        ctl = self.controller
        self.cells.show_selection(ctl.key, ctl.calc_ids, ctl.cluster_ids)
        self.marks_panel.select_ids(ctl.calc_ids, ctl.cluster_ids)
        clusters = ctl.selected_clusters()
        cluster = clusters[0] if len(clusters) == 1 else None
        target = ctl.descriptor_targets()
        self.describe_panel.show_selection(
            target[1] if target else [],
            cluster,
            ctl.metrics(cluster) if cluster else None,
            latest=target is not None and not ctl.calc_ids,
        )

    # -- tools --------------------------------------------------------------------------------
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
                self.editing.select_at(view, event.x, event.y, "ctrl" in event.modifiers)
            return False
        return self.tool.handle(event, ViewToolContext(self, view))

    def focus_views(self) -> None:
        """The keyboard goes to the active view (view keys, tools and shortcuts act there)."""
        self.hanging.active.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- title, reader, messages ----------------------------------------------------------------
    def update_title(self) -> None:
        name = self.study.folder.name if self.study is not None else "no study"
        if (server := self.session.server_store) is not None:
            name = f"study ...{server.study_uid[-12:]} on {server.base}"
        ro = " [read-only]" if self.store is not None and self.store.read_only_reason else ""
        title = f"{name}[*]{ro} - mammo-viewer {__version__} - reader {self.mark_reader}"
        self.setWindowTitle(printable_text(title))
        self.setWindowModified(self.session.dirty)

    @property
    def mark_reader(self) -> str:
        """Who new marks belong to: the reader whose file the open study writes."""
        return self.session.mark_reader

    def ask_reader(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Reader", "Your name (recorded with every mark):", text=self.reader
        )
        if ok and name.strip():
            self.set_reader(name.strip())

    def set_reader(self, name: str) -> None:
        """The open study's file stays its opener's; ``name`` applies from the next study on."""
        self.prefs.reader = self.session.reader = name
        self.workflow.worklist.set_reader(self.reader)
        self.notify(f"Reader is now {self.reader}; it applies to the next study you open")

    def notify(self, message: str) -> None:
        self.last_message = message = printable_text(message)  # a file name's odd bytes as \xNN
        self.notices.show(message)

    def _spacing_of(self, view: ImageView) -> Spacing:
        assert view.image is not None
        key = image_key(view.image, view.frame)
        return self.model.images[key].spacing if key in self.model.images else view.image.spacing

    # -- events ---------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Descriptor quick entry takes keys first; then the magnifier's M and wheel."""
        mine = watched.window() is self if isinstance(watched, QWidget) else watched is self.windowHandle()
        if mine:
            self.notices.event_seen(event)
        if self.entry_keys.handle_event(watched, event):
            return True
        return mine and self.view_controls.handle_event(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_study():
            self.prefs.remember_window(self.saveGeometry(), self.saveState())
            self.session.writer.flush()
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            event.accept()
        else:
            event.ignore()
