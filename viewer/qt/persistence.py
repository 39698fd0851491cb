"""Saving the annotations off the UI thread.

The UI thread only takes a snapshot of the model (its marks are immutable, so that is a
copy of a few dictionaries); serialising, checking against the schema and the atomic
write with its fsyncs run on one worker thread, one job after the other.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Signals(QObject):
    finished = Signal(str, str)  # kind ("save" | "autosave"), error message ("" on success)


class _WriteJob(QRunnable):
    def __init__(self, kind: str, job: Callable[[], None], signals: _Signals) -> None:
        super().__init__()
        self.kind, self.job, self.signals = kind, job, signals

    def run(self) -> None:
        try:
            self.job()
        except Exception as exc:
            self.signals.finished.emit(self.kind, str(exc) or exc.__class__.__name__)
        else:
            self.signals.finished.emit(self.kind, "")


class BackgroundWriter(QObject):
    """Runs sidecar writes on a single worker thread and reports the outcome."""

    finished = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.finished.connect(self._done)
        self.pending = 0

    def submit(self, kind: str, job: Callable[[], None]) -> None:
        """Run ``job`` (serialise and write) on the writer thread; report through ``finished``."""
        self.pending += 1
        self._pool.start(_WriteJob(kind, job, self._signals))

    def _done(self, kind: str, error: str) -> None:
        self.pending -= 1
        self.finished.emit(kind, error)

    def wait(self, msecs: int = 10000) -> bool:
        """Block until queued writes are done (on close)."""
        return bool(self._pool.waitForDone(msecs))
