"""Saving the open study's marks: explicit saves, autosaves after edits, their outcome.

Serialising happens on the UI thread (a consistent snapshot); writing happens on the
:class:`viewer.qt.persistence.BackgroundWriter` thread, so the window never waits for a disk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from viewer.qt.persistence import BackgroundWriter
from viewer.sources.server_store import ServerAnnotationStore
from viewer.store.serialize import serialize

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

AUTOSAVE_DELAY_MS = 1500


class Saving(QObject):
    """Save and autosave of the window's study, and whether marks are unsaved."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.writer = BackgroundWriter(self)
        self.writer.finished.connect(self._write_finished)
        self.dirty_without_command = False
        """Unsaved marks that no undo step made (recovered from an autosave)."""
        self._save_clean_index = -1
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)

    @property
    def dirty(self) -> bool:
        return (not self.window.undo_stack.isClean()) or self.dirty_without_command

    def mark_dirty_without_command(self) -> None:
        self.dirty_without_command = True
        self.window.update_title()

    def edited(self) -> None:
        store = self.window.store
        if store is not None and store.read_only_reason is None:
            self.autosave_timer.start()

    def save(self, wait: bool = False) -> bool:
        """Save the marks as JSON beside the study (atomic, in a worker thread)."""
        window = self.window
        if window.store is None:
            window.notify("Nothing to save: no study is open")
            return False
        if window.store.read_only_reason:
            QMessageBox.warning(window, "Cannot save", window.store.read_only_reason)
            return False
        snapshot, store = window.model.snapshot(), window.store
        self._save_clean_index = window.undo_stack.index()

        def write() -> None:
            store.save_bytes(serialize(snapshot))  # a server store also sends it (or keeps it here)

        self.writer.submit("save", write)
        if wait:
            self.writer.wait()
            QCoreApplication.processEvents()
            return window.undo_stack.isClean()
        return True

    def autosave(self) -> None:
        window = self.window
        if window.store is None or window.store.read_only_reason or window.undo_stack.isClean():
            return
        snapshot, store = window.model.snapshot(), window.store
        self.writer.submit("autosave", lambda: store.autosave_bytes(serialize(snapshot)))

    def _write_finished(self, kind: str, error: str) -> None:
        window = self.window
        if kind == "save":
            store = window.store
            if error and isinstance(store, ServerAnnotationStore) and store.conflict is not None:
                window.notify(f"Not saved to the server: {error}")
                window.server_opening.resolve_conflict(store)
                return
            if error:
                QMessageBox.critical(
                    window,
                    "Save failed",
                    f"{error}\n\nYour marks are still open here; any earlier file is unchanged.",
                )
                window.notify(f"Save failed: {error}")
                return
            if window.undo_stack.index() == self._save_clean_index:
                window.undo_stack.setClean()
            self.dirty_without_command = False
            if window.store is not None:
                window.store.discard_recovery()
                if isinstance(window.store, ServerAnnotationStore):
                    window.notify(f"{window.model.count()[0]} marks: {window.store.last_result.message}")
                else:
                    window.notify(f"Saved {window.model.count()[0]} marks to {window.store.path}")
            window.update_title()
        elif error:
            window.notify(f"Autosave failed: {error}")
