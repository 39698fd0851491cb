"""The curator's and reader's session flow: worklist, study navigation, candidates, other
readers, agreement, exports and the F1 help, all reachable from the keyboard.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QMenu,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
)

from viewer.core.annotations import ImageAnnotations
from viewer.core.printable import printable_text
from viewer.interop.exports import FORMATS, SINGLE_FILE_DEFAULTS, NothingToExportError, export_studies
from viewer.interop.options import ExportOptions
from viewer.qt.agreement_dialog import AgreementDialog
from viewer.qt.candidates import CandidateReview
from viewer.qt.hanging import HANGING_ORDER
from viewer.qt.image_view import ImageView, image_key
from viewer.qt.log_folder import open_log_folder
from viewer.qt.other_readers import OtherReaders
from viewer.qt.prefetch import Prefetcher, studies_after
from viewer.qt.server_publishing import ServerPublishing
from viewer.qt.server_study_status import ServerStudyStatus
from viewer.qt.worklist_panel import WorklistPanel
from viewer.sources.worklist_status import Status
from viewer.store.errors import SidecarError
from viewer.store.study_tree import load_studies

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class Workflow(QObject):
    """Worklist, navigation, detection review, other readers, agreement, export, help."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.worklist = WorklistPanel(window.reader)
        for action in self.worklist.actions_by_name.values():
            action.setShortcut(QKeySequence())  # the window-wide actions below own the keys
        self.worklist.study_chosen.connect(self._open_from_worklist)
        self.worklist.notice.connect(window.notify)
        self.worklist_dock = QDockWidget("Worklist", window)
        self.worklist_dock.setObjectName("worklist_dock")
        self.worklist_dock.setWidget(self.worklist)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.worklist_dock)
        self.worklist_dock.hide()
        self.candidates = CandidateReview(
            window.push, window.notify, self._annotations_of, lambda: window.mark_reader, window.session
        )
        self.others = OtherReaders(window)
        self.server_status = ServerStudyStatus(self, window.notify)
        self.publishing = ServerPublishing(self, window.notify)
        self.prefetcher = Prefetcher(window.loader.cache)
        self.apply_cache_limit()

    def apply_cache_limit(self) -> None:
        """The decoded-pixel cache takes the preference's size limit (at start, after Preferences)."""
        window = self.window
        if window.loader.cache is not None:
            limit = int(window.prefs.pixel_cache_gb * 1e9)
            window.loader.cache = dataclasses.replace(window.loader.cache, limit_bytes=limit)
            self.prefetcher.cache = window.loader.cache

    def _annotations_of(self, view: ImageView) -> ImageAnnotations:
        assert view.image is not None
        return self.window.model.image(image_key(view.image, view.frame))

    # -- menus -------------------------------------------------------------------------
    def build_menus(self, menubar: object, file_menu: QMenu) -> None:
        act = self.window.make_action  # one place makes window-wide actions
        export_menu = QMenu("&Export annotations", self.window)
        for fmt, text in FORMATS.items():
            export_menu.addAction(act(text, partial(self.export, fmt)))
        file_menu.insertMenu(file_menu.actions()[3], export_menu)
        file_menu.insertAction(
            file_menu.actions()[3],
            act("Open &worklist folder...", self._open_worklist_dialog, "Ctrl+Shift+W"),
        )

        study_menu: QMenu = menubar.addMenu("&Study")  # type: ignore[attr-defined]
        for text, slot, key in (
            ("&Next study", lambda: self._go(self.worklist.next_study), "Ctrl+Alt+Down"),
            ("&Previous study", lambda: self._go(self.worklist.previous_study), "Ctrl+Alt+Up"),
            ("Next &unfinished study", lambda: self._go(self.worklist.next_unfinished), "Ctrl+Alt+N"),
            ("Mark study &done", lambda: self._status(Status.DONE), "Ctrl+Alt+D"),
            ("&Flag study", lambda: self._status(Status.FLAGGED), "Ctrl+Alt+F"),
            ("Mark study &in progress", lambda: self._status(Status.IN_PROGRESS), "Ctrl+Alt+I"),
        ):
            study_menu.addAction(act(text, slot, key))
        study_menu.addSeparator()
        study_menu.addAction(act("&Next view", lambda: self.step_view(1), "]"))
        study_menu.addAction(act("P&revious view", lambda: self.step_view(-1), "["))
        study_menu.addSeparator()
        self.images_menu = study_menu.addMenu("&Images in this study")
        self.images_menu.aboutToShow.connect(self._fill_images_menu)
        study_menu.addMenu(self.others.menu)
        study_menu.addAction(
            act(
                "P&ublish marks to the server",
                self.publish,
                tip="Store your marks in the study on its server as a DICOM SR and a presentation state",
            )
        )
        study_menu.addAction(act("Reader a&greement...", self.show_agreement))

        detect_menu: QMenu = menubar.addMenu("De&tect")  # type: ignore[attr-defined]
        for text, slot, key in (
            ("&Find candidates on the active view", self.find_candidates, "Ctrl+F"),
            ("&Next candidate", lambda: self.candidates.step(1), "N"),
            ("&Previous candidate", lambda: self.candidates.step(-1), "P"),
            ("&Accept candidate (outline it)", self.candidates.accept, "Y"),
            ("&Reject candidate", self.candidates.reject, "X"),
        ):
            detect_menu.addAction(act(text, slot, key))

        help_menu: QMenu = menubar.addMenu("&Help")  # type: ignore[attr-defined]
        help_menu.addAction(act("&Keys and actions", self.show_help, "F1"))
        help_menu.addAction(act("Open &log folder", lambda: open_log_folder(self.window.notify)))

    # -- worklist ----------------------------------------------------------------------
    def _open_worklist_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a folder tree of studies")
        if folder:
            self.open_worklist(Path(folder))

    def open_worklist(self, root: Path) -> None:
        self.worklist.set_reader(self.window.reader)
        self.worklist.open_root(root)
        self.worklist_dock.show()

    def _open_from_worklist(self, path: Path, study_uid: str) -> None:
        study = self.window.study
        if study is not None and study.folder == Path(path) and study.study_instance_uid == study_uid:
            return
        self.prefetcher.cancel()
        # keyboard flow: moving to another study saves this one instead of asking
        self.window.opening.open_paths([Path(path)], save_first=True, study_uid=study_uid)
        self.prefetch_next(Path(path))

    def prefetch_next(self, current: Path) -> None:
        """Decode the studies after ``current`` (worklist order and filter) into the pixel cache."""
        folders = [s.path for s in self.worklist.visible_studies()]
        self.prefetcher.prefetch(studies_after(folders, current, self.window.prefs.prefetch_studies))

    def _go(self, move: object) -> None:
        if not self.worklist.visible_studies():
            self.window.notify("no worklist: File > Open worklist folder (Ctrl+Shift+W)")
            return
        entry = move()  # type: ignore[operator]
        if entry is None:
            self.window.notify("no more studies that way")

    def _status(self, status: Status) -> None:
        if self.window.study is None:
            return
        study = self.window.study
        server = self.window.session.server_store
        if server is not None:  # the team's status lives on the server
            self.window.notify(f"sending the status {status.value} to {server.base}...")
            self.server_status.send(server.base, server.study_uid, self.window.mark_reader, status)
            return
        listed = self.worklist.visible_studies()
        if listed and self.worklist.select_study(study.folder, study.study_instance_uid):
            self.worklist.set_status(status)
        else:
            self.window.notify("open the study from a worklist to set its status")
            return
        self.window.notify(f"study marked {status.value}")

    # -- views -------------------------------------------------------------------------
    def step_view(self, delta: int) -> None:
        """Make the next (previous) loaded view active; follow it when one view is maximised."""
        hanging = self.window.hanging
        loaded = [hanging.views[n] for n in HANGING_ORDER if hanging.views[n].image is not None]
        if not loaded:
            return
        index = loaded.index(hanging.active) if hanging.active in loaded else -1
        view = loaded[(index + delta) % len(loaded)]
        if hanging.maximised is not None and hanging.maximised is not view:
            hanging.toggle_maximise(hanging.maximised)
            hanging.toggle_maximise(view)
        hanging.active = view
        hanging.active_changed.emit(view)
        label = view.image.view_label if view.image is not None else ""
        self.window.notify(f"active view: {label}")

    # -- candidates --------------------------------------------------------------------
    def find_candidates(self) -> None:
        view = self.window.hanging.active
        if view.image is None:
            self.window.notify("no image in the active view")
            return
        self.candidates.find(view)

    def _fill_images_menu(self) -> None:
        """Every image of the open study; choosing one hangs it in the active cell."""
        self.images_menu.clear()
        study = self.window.study
        if study is None:
            return
        shown = {id(v.image) for v in self.window.hanging.loaded_views()}
        for image in study.images:
            extra = ", ".join(image.view_modifiers)
            text = printable_text(
                f"{image.view_label}  {image.path.name}" + (f"  ({extra})" if extra else "")
            )
            action = self.images_menu.addAction(("* " if id(image) in shown else "  ") + text)
            action.triggered.connect(partial(self.window.show_in_active_cell, image))

    def show_agreement(self) -> None:
        window = self.window
        if window.study is None:
            return
        dialog = AgreementDialog.for_study(
            window.study.folder, window.study.study_instance_uid, window.model, window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def publish(self) -> None:
        """Study > Publish marks to the server (a study opened from one)."""
        window = self.window
        if window.study is None:
            window.notify("open a study first")
            return
        self.publishing.publish(window.session.server_store, window.study.folder, window.model)

    # -- export ---------------------------------------------------------------------------
    def export(self, fmt: str) -> None:
        window = self.window
        if window.study is None:
            window.notify("open a study first")
            return
        folder = window.study.folder
        if fmt in SINGLE_FILE_DEFAULTS:
            out, _ = QFileDialog.getSaveFileName(
                window, f"Export annotations as {FORMATS[fmt]}", str(folder / SINGLE_FILE_DEFAULTS[fmt])
            )
        else:
            out = QFileDialog.getExistingDirectory(
                window, f"Export annotations as {FORMATS[fmt]} into a folder"
            )
        if not out:
            window.notify("export cancelled: nothing was saved or written")
            return
        # the export reads the saved file: unsaved marks are saved first
        if window.session.dirty and not window.save(wait=True):
            return
        self.export_to(fmt, Path(out))

    def export_to(self, fmt: str, out: Path) -> bool:
        window = self.window
        assert window.study is not None
        source = window.store.path if window.store is not None else window.study.folder
        options = ExportOptions()
        try:
            studies, problems = load_studies(source)
            if not studies:
                raise NothingToExportError(f"no saved annotations for this study in {source}")
            # the marks may sit apart from the images: in the fallback folder of a read-only
            # study, or on this computer for a server's study (its images in the cache); the
            # exports that read the images' headers (SR, GSPS) need the images' folder
            studies = [dataclasses.replace(s, folder=window.study.folder) for s in studies]
            result = export_studies(studies, fmt, out, options, problems)
        except (NothingToExportError, SidecarError, OSError, ValueError) as exc:
            QMessageBox.warning(window, "Export failed", str(exc))
            return False
        message = f"{result.summary()} in {out}."
        for note in result.messages:  # what was left out, and why: listed where problems are
            window.problems.addItem(f"export: {note}")
        if result.messages:
            message += f" {len(result.messages)} note(s): see 'Files with problems'."
        window.notify(f"{message} {options.note}")
        return True

    # -- help ------------------------------------------------------------------------------
    def show_help(self) -> None:
        dialog = QDialog(self.window)
        dialog.setWindowTitle("mammo-viewer: keys and actions")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(dialog)
        browser = QTextBrowser()
        browser.setObjectName("help_text")
        browser.setHtml(help_html(self.window))
        layout.addWidget(browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.close)
        layout.addWidget(buttons)
        dialog.resize(760, 820)
        dialog.show()
        self.help_dialog = dialog


def help_html(window: MainWindow) -> str:
    """Every menu action with its key, read from the menus themselves (so it is always true)."""
    mouse = (
        "<h3>Mouse</h3><ul><li>right-drag: window/level (horizontal width, vertical level)</li>"
        "<li>wheel: zoom about the cursor; middle-drag or left-drag (pan tool): pan</li>"
        "<li>double click: maximise a view and back</li>"
        "<li>hold <b>M</b>: magnifier under the cursor (wheel: its power)</li></ul>"
    )
    parts = ["<h2>Keys and actions</h2>", mouse]
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if not isinstance(menu, QMenu):
            continue
        rows = []
        for prefix, action in _actions(menu):
            key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            text = prefix + action.text().replace("&", "")
            rows.append(
                f"<tr><td><b>{key}</b></td><td>{text}</td></tr>"
                if key
                else f"<tr><td></td><td>{text}</td></tr>"
            )
        parts.append(
            f"<h3>{menu_action.text().replace('&', '')}</h3><table cellpadding=2>"
            + "".join(rows)
            + "</table>"
        )
    return "".join(parts)


def _actions(menu: QMenu, prefix: str = "") -> list[tuple[str, QAction]]:
    """The menu's actions, those of submenus prefixed with the submenu's title."""
    out: list[tuple[str, QAction]] = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        sub = action.menu()
        if isinstance(sub, QMenu):
            out.extend(_actions(sub, prefix + sub.title().replace("&", "") + ": "))
        elif action.text():
            out.append((prefix, action))
    return out
