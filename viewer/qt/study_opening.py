"""Opening and closing a study in the window: the file dialogs, the questions, the hanging,
the files with problems. The study's state is the session's
(:class:`viewer.session.study_session.StudySession`); a failed open keeps the open study.

A run nobody watches (``--screenshot``, ``window.interactive`` False) asks no question: a
corrupt, newer or locked annotation file, or one that cannot be written, opens read-only; an
autosave found is kept for the next interactive session (never loaded, never deleted);
unsaved marks stay in the recovery file. Each decision is said on stderr and in the status bar.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from viewer.core.annotations import ImageKey
from viewer.dicom.reader_views import apply_reader_views
from viewer.dicom.study import Study
from viewer.qt import gui_gc, reading_setup
from viewer.qt.cell_layers import frame_label
from viewer.qt.image_view import image_key
from viewer.session.marks_reading import BACKGROUND_READ_BYTES, MarksReading
from viewer.session.study_session import Opened, SessionError, read_studies, why_not_openable
from viewer.sources.server_store import ServerAnnotationStore

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class _Arrivals(QObject):
    read = Signal(object)
    """A background reading of marks finished (emitted on its thread, delivered on the UI thread)."""


class StudyOpening:
    """Open a study into the window, and close it (asking about unsaved marks)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.requests = 0
        """Opens asked for so far: a study still being retrieved from a server opens only if
        nothing else was asked for meanwhile."""
        self.background_bytes: int | None = BACKGROUND_READ_BYTES
        """An annotation file this large is read off the UI thread (``None``: never)."""
        self._arrivals = _Arrivals(window)
        self._arrivals.read.connect(self._marks_read)

    def open_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self.window, "Open DICOM files")
        if files:
            self.open_paths([Path(f) for f in files])

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a study folder")
        if folder:
            self.open_paths([Path(folder)])

    def open_paths(
        self, paths: Sequence[Path], index: int = 0, save_first: bool = False, study_uid: str | None = None
    ) -> bool:
        """Open a study; per-file problems are listed, the rest of the study opens.

        When nothing in ``paths`` can be shown, the open study stays open and the reason
        is shown. ``save_first``: unsaved marks of the open study are saved without asking.
        ``study_uid``: open that one of the studies found (a folder may hold several).
        """
        self.requests += 1
        return self.open_studies(read_studies(paths), paths, index, save_first, study_uid)

    def open_studies(
        self,
        studies: list[Study],
        paths: Sequence[Path],
        index: int = 0,
        save_first: bool = False,
        study_uid: str | None = None,
        server: ServerAnnotationStore | None = None,
    ) -> bool:
        """Open one of ``studies`` read from ``paths`` (see :meth:`open_paths`).

        ``server``: the study came from a server, whose store keeps its marks (closed here
        when the study does not open).
        """
        window = self.window
        if study_uid is not None:
            found = [i for i, s in enumerate(studies) if s.study_instance_uid == study_uid and s.images]
            if not found:
                same = [s for s in studies if s.study_instance_uid == study_uid] or [
                    s for s in studies if not s.study_instance_uid
                ]
                reason = why_not_openable(same, paths) if same and same[0].problems else None
                if reason is not None:
                    self.show_problems(same[0])
                where = ", ".join(map(str, paths))
                window.notify(
                    f"study {study_uid} was not opened: {reason}"
                    if reason
                    else f"study {study_uid} is no longer in {where}; refresh the worklist"
                )
                if server is not None:
                    server.close()
                return False
            index = found[0]
        reason = why_not_openable(studies[index:], paths)
        if reason is not None:
            self.show_problems(studies[0])
            kept = f" {window.study.folder.name} stays open." if window.study is not None else ""
            window.notify(reason + kept)
            if server is not None:
                server.close()
            return False
        discard = self._ask_leave(save_first)
        if discard is None:
            if server is not None:
                server.close()
            return False
        window.loading.loader.cancel()
        window.workflow.others.clear()
        window.workflow.candidates.clear()
        try:
            opened = window.session.open(
                studies, index, discard=discard, server=server, background_bytes=self.background_bytes
            )
        except SessionError as exc:
            self._warn("Study not opened", str(exc))
            window.notify(str(exc))
            return False
        gui_gc.thaw()  # the last study's cycles are collectable again
        self._show(opened, index)
        return True

    def _show(self, opened: Opened, index: int) -> None:
        window = self.window
        study, studies = opened.study, opened.studies
        self.show_problems(studies[0])
        apply_reader_views(study.images, window.session.model)  # the reader's view corrections
        by_view = study.by_view()
        hung = set(id(img) for img in by_view.values())
        extra = [img for img in study.images if id(img) not in hung]
        leftovers = window.hanging.show_study(by_view, extra, loading=window.background_decoding)
        reading_setup.study_opened(window, study)
        if window.background_decoding:
            window.loading.load_shown()
        self.show_model()
        for notice in opened.notices:
            window.notify(notice)
        if opened.reading is not None:
            self._await_marks(opened.reading)
        else:
            gui_gc.release("marks")
            window.marks_panel.set_loading(False)
        self._ask_about(opened)
        if leftovers:
            window.notify(f"{len(leftovers)} more image(s) in this study: Study > Images in this study")
        if len(studies) > 1:
            window.notify(
                f"{len(studies)} studies in {study.folder.name}; showing {index + 1} of {len(studies)} "
                f"(Study UID ...{study.study_instance_uid[-8:]}). "
                "The worklist (Ctrl+Shift+W) lists each one to open."
            )
        if window.session.server_store is None:  # a server's study is opened again by its address
            window.prefs.add_recent_path(str(study.folder))
        window.view_controls.rebuild_presets()
        window.view_controls.cursor_label.setText("")  # the last study's read-out is not this one's
        window.edited()
        window.focus_views()

    def _await_marks(self, reading: MarksReading) -> None:
        """Say the marks are being read; show them when they arrive (:meth:`_marks_read`)."""
        gui_gc.hold("marks")  # the reading makes ~600,000 objects, none of them garbage
        self.window.marks_panel.set_loading(True)
        self.window.notify("loading marks... (they can be edited once they are shown)")
        arrivals = self._arrivals

        def arrived(_future: object) -> None:
            with contextlib.suppress(RuntimeError):  # the window is gone: nobody to tell
                arrivals.read.emit(reading)

        reading.future.add_done_callback(arrived)
        QTimer.singleShot(0, reading.begin)  # after the study's first paint

    def _marks_read(self, reading: MarksReading) -> None:
        window = self.window
        opened = window.session.marks_read(reading)
        if window.session.reading is None:
            if opened is not None:
                gui_gc.freeze()  # ~600,000 objects read, none garbage: later passes skip them
            gui_gc.release("marks")
            window.marks_panel.set_loading(False)
        if opened is None:  # another study is open now: nothing of this reading is shown
            return
        moved = apply_reader_views(opened.study.images, window.session.model)
        if moved:
            window.view_correction.rehang()  # the reader's view corrections, as on the spot
        else:
            self.show_model(lazily=True)
        for notice in opened.notices:
            window.notify(notice)
        self._ask_about(opened)
        window.edited()

    def _ask_about(self, opened: Opened) -> None:
        """Warn of a read-only file and ask about a newer autosave, as the open found them."""
        window = self.window
        if opened.read_only_reason:
            self._warn("Annotations are read-only", opened.read_only_reason)
        if opened.recovery is not None and not window.interactive:
            self._say(
                "unsaved marks of an earlier session were found; they were kept (not loaded, not "
                "deleted) for the next interactive session"
            )
        elif opened.recovery is not None:
            answer = QMessageBox.question(
                window,
                "Recover unsaved marks?",
                "Marks newer than the last save were found (the program stopped before saving). "
                "Recover them?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                window.session.accept_recovery()
                self.show_model()
            else:
                window.session.decline_recovery()

    def _say(self, message: str) -> None:
        """Tell a run nobody watches what was decided for it (stderr and the status bar)."""
        self.window.notify(message)
        print(f"mammo-viewer: {message}", file=sys.stderr, flush=True)

    def _warn(self, title: str, message: str) -> None:
        if self.window.interactive:
            QMessageBox.warning(self.window, title, message)
        else:
            self._say(f"{title}: {message} (non-interactive run: the default is read-only)")

    def show_model(self, lazily: bool = False) -> None:
        """Show the session's marks: the marks layers (``lazily``: see ``CellLayers.attach_all``),
        the list, the controller."""
        window = self.window
        model, study = window.session.model, window.session.study
        window.cells.detach_all()
        names: dict[ImageKey, str] = {}
        if study is not None:
            for img in study.images:
                for uid, frame in model.images:
                    if uid == img.sop_instance_uid:
                        names[image_key(img, frame)] = frame_label(img, frame)
        window.controller.set_model(model, window.editing.rule())
        window.cells.attach_all(model, lazily)
        window.marks_panel.set_model(model, names)
        reading_setup.model_set(window, model)

    def show_problems(self, study: Study) -> None:
        window = self.window
        window.problems.clear()
        for problem in study.problems:
            prefix = "skipped" if problem.skipped else "cannot open"
            window.problems.addItem(f"{prefix}: {problem.message}")
        errors = [p for p in study.problems if not p.skipped]
        window.problems_dock.setVisible(bool(study.problems))
        if errors:
            window.notify(f"{len(errors)} file(s) could not be opened; see 'Files with problems'")

    def _ask_leave(self, save_first: bool = False) -> bool | None:
        """Ask about unsaved marks before leaving the open study.

        ``None``: the reader cancelled. ``True``: discard them. ``False``: keep them (saved
        when the reader chose Save; otherwise they stay in the recovery file).
        """
        window = self.window
        if not window.session.dirty:
            return True
        if save_first and window.session.read_only_reason is None:
            return False if window.saving.save() else None
        if not window.interactive:
            self._say("unsaved marks were not saved (non-interactive run); they stay in the recovery file")
            return False
        answer = QMessageBox.question(
            window,
            "Unsaved marks",
            "Save the marks before closing this study?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return None
        if answer == QMessageBox.StandardButton.Save:
            return False if window.saving.save() else None
        return True

    def close_study(self) -> bool:
        """Ask about unsaved marks, then close; the writes finish on the writer thread.

        False if the reader cancels.
        """
        window = self.window
        discard = self._ask_leave()
        if discard is None:
            return False
        window.saving.autosave_timer.stop()
        window.loading.loader.cancel()
        window.workflow.others.clear()
        window.workflow.candidates.clear()
        window.session.close(discard=discard)
        gui_gc.release("marks")
        window.marks_panel.set_loading(False)
        gui_gc.thaw()
        return True
