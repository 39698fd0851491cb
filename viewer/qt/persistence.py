"""Saving the annotations off the UI thread: serialise on the UI thread, write in a worker.

Serialising is fast (orjson) and reads the model, so it stays on the UI thread where the
model lives; the atomic write with its fsyncs goes to a QThreadPool worker. Saves are
serialised by a lock in the store, and the last request wins.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Signals(QObject):
    finished = Signal(str, str)  # kind ("save" | "autosave"), error message ("" on success)


class _WriteJob(QRunnable):
    def __init__(self, kind: str, write: Callable[[bytes], None], data: bytes,
                 signals: _Signals) -> None:
        super().__init__()
        self.kind, self.write, self.data, self.signals = kind, write, data, signals

    def run(self) -> None:
        try:
            self.write(self.data)
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

    def submit(self, kind: str, write: Callable[[bytes], None], data: bytes) -> None:
        self.pending += 1
        self._pool.start(_WriteJob(kind, write, data, self._signals))

    def _done(self, kind: str, error: str) -> None:
        self.pending -= 1
        self.finished.emit(kind, error)

    def wait(self, msecs: int = 10000) -> bool:
        """Block until queued writes are done (on close)."""
        return bool(self._pool.waitForDone(msecs))
