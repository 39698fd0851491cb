"""Saving the open study's marks from the window: Ctrl+S, autosave after edits, outcomes.

The work is the session's (:class:`viewer.session.study_session.StudySession`): it takes a
snapshot on the UI thread and writes on its writer thread. This module starts the
autosave timer, brings each finished write back to the UI thread and says what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from viewer.qt import gui_gc
from viewer.session.study_session import SessionError
from viewer.session.writer import WriteJob

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

AUTOSAVE_DELAY_MS = 1500


def _hold_name(job: WriteJob) -> str:
    return f"write {id(job)}"


class Saving(QObject):
    """Save and autosave of the window's study, and the outcome of every write."""

    _write_done = Signal(object)
    """A write finished (emitted on the writer thread, delivered on the UI thread)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._write_done.connect(self._finished)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)

    def edited(self) -> None:
        """The marks changed: autosave once the reader pauses."""
        if self.window.session.is_open and self.window.session.read_only_reason is None:
            self.autosave_timer.start()

    def track(self, job: WriteJob | None) -> None:
        """Report ``job``'s outcome on the UI thread when it is done.

        No garbage collection runs on the UI thread meanwhile: while the writer thread encodes
        the marks (the first save of 10,000 of them, ~12 MB), a full collection of the UI
        thread walked them all, the 77 ms outliers of ``first_save_ui_ms``.
        """
        if job is not None:
            gui_gc.hold(_hold_name(job))
            job.future.add_done_callback(lambda _future: self._write_done.emit(job))

    def save(self, wait: bool = False) -> bool:
        """Save the marks as JSON beside the study (atomic, on the writer thread).

        ``wait``: block until the file is written (an export reads it next); then True only
        when the save worked.
        """
        window = self.window
        session = window.session
        if not session.is_open:
            window.notify("Nothing to save: no study is open")
            return False
        try:
            job = session.save()
        except SessionError as exc:
            QMessageBox.warning(window, "Cannot save", str(exc))
            return False
        self.track(job)
        if wait:
            session.flush()
            QCoreApplication.processEvents()
            return job.error is None and job.future.done()
        return True

    def autosave(self) -> None:
        self.track(self.window.session.autosave())

    def _finished(self, job: WriteJob) -> None:
        gui_gc.release(_hold_name(job))
        window = self.window
        outcome = window.session.finish(job)
        if outcome.conflict:
            window.notify(outcome.message)
            window.server_opening.resolve_conflict(outcome.message)
            window.update_title()
            return
        if outcome.error and job.kind == "save" and outcome.current:
            QMessageBox.critical(window, "Save failed", outcome.message)
        if outcome.message:
            window.notify(outcome.message.replace("\n\n", " "))
        window.update_title()
