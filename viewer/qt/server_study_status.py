"""Study > Mark study done / Flag / In progress on a server's study: the status goes to the server.

A study opened from a server keeps each reader's status in Orthanc's metadata (with
revisions, :mod:`viewer.sources.server_status`), so the team's worklist shows it. Setting it
is a network request, so it runs on a worker thread; the status bar says when the server has
it, or why it does not (the server cannot be reached, or refused), naming the study.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from viewer.sources.dicomweb import ServerError
from viewer.sources.orthanc_rest import OrthancRest
from viewer.sources.server_status import overall, set_status
from viewer.sources.worklist_status import Status


class _Signals(QObject):
    done = Signal(str)


class _SetStatus(QRunnable):
    def __init__(self, base: str, study_uid: str, reader: str, status: Status, signals: _Signals) -> None:
        super().__init__()
        self.base, self.study_uid, self.reader, self.status, self.signals = (
            base,
            study_uid,
            reader,
            status,
            signals,
        )

    def run(self) -> None:
        short = f"study ...{self.study_uid[-12:]}"
        try:
            readers = set_status(OrthancRest(self.base), self.study_uid, self.reader, self.status)
        except (ServerError, OSError) as exc:
            self.signals.done.emit(f"{short}: the status was not recorded on {self.base}: {exc}")
            return
        others = len(readers) - 1
        team = f"; over {others + 1} readers it is {overall(readers).value}" if others > 0 else ""
        self.signals.done.emit(f"{short} marked {self.status.value} on {self.base}{team}")


class ServerStudyStatus(QObject):
    """Sends a reader's status of a server's study, one request at a time per window."""

    def __init__(self, parent: QObject, notify: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # statuses arrive at the server in the order given
        self._signals = _Signals(self)
        self._signals.done.connect(notify)
        self.pending = 0
        self._signals.done.connect(self._finished)

    def _finished(self, _message: str) -> None:
        self.pending -= 1

    def send(self, base: str, study_uid: str, reader: str, status: Status) -> None:
        self.pending += 1
        self._pool.start(_SetStatus(base, study_uid, reader, status, self._signals))

    def wait(self, ms: int = 30000) -> bool:
        return self._pool.waitForDone(ms)
