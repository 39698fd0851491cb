"""File > Open from server: a study of a DICOMweb archive opened as any study, its marks kept there.

The reader picks a study in :class:`~viewer.qt.server_dialog.OpenFromServerDialog` (or gives
its address, ``BASE/studies/<uid>``, on the command line). Off the UI thread, the study is
retrieved into the cache (WADO-RS, four images at a time; a study retrieved before opens with
no network), its files are read, and the reader's annotations on the server are opened
(:class:`~viewer.sources.server_store.ServerAnnotationStore`: it asks the server, which may
be slow or down). The window shows the progress in the status bar and stays usable; the
study opens when all that is done, unless the reader opened another study meanwhile.

Saves go to this computer first, then to the server; when the server has a newer version of
the reader's own marks (saved from another workstation), the reader chooses "Reload and
merge" or "Save as a copy": nothing is overwritten. A save the server did not get (it was
unreachable) is sent again every :data:`RESEND_INTERVAL_MS` and with the next save.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from viewer.dicom.study import Study
from viewer.qt.server_dialog import OpenFromServerDialog
from viewer.session.server_studies import localize
from viewer.session.study_session import SessionError, read_studies
from viewer.sources.credential_store import credentials_for
from viewer.sources.dicomweb import ServerError, parse_url
from viewer.sources.pacs_cache import StudyCache
from viewer.sources.server_store import ServerAnnotationStore
from viewer.store.errors import SidecarError

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

RESEND_INTERVAL_MS = 30_000
"""How often a save the server did not get is sent again."""


@dataclass
class Retrieved:
    """What the worker prepared for one request: the study's files and its annotations."""

    request: int
    url: str
    base: str
    folder: Path | None = None
    studies: list[Study] | None = None
    store: ServerAnnotationStore | None = None
    error: str = ""


class _Signals(QObject):
    progress = Signal(int, int, int)  # request, done, total
    done = Signal(object)  # Retrieved


class _Retrieve(QRunnable):
    def __init__(self, job: Retrieved, reader: str, cache_bytes: int, signals: _Signals) -> None:
        super().__init__()
        self.job, self.reader, self.signals = job, reader, signals
        self.cache_bytes = cache_bytes  # the preference's limit of studies kept from servers

    def run(self) -> None:
        job = self.job
        address = parse_url(job.url)
        try:
            credentials = credentials_for(job.base)  # saved in Preferences, else the environment
            job.folder = localize(
                job.url,
                cache=StudyCache(limit_bytes=self.cache_bytes),
                progress=lambda done, total: self.signals.progress.emit(job.request, done, total),
                credentials=credentials,
            )
            job.studies = read_studies([job.folder])
            job.store = ServerAnnotationStore.open(job.base, address.study_uid, self.reader, credentials)
        except (ServerError, SidecarError, OSError) as exc:
            job.error = str(exc)
        except Exception as exc:  # reported to the reader, never lost in a worker thread
            job.error = f"{type(exc).__name__}: {exc}"
        self.signals.done.emit(job)


class ServerOpening(QObject):
    """Open studies from DICOMweb servers into the window; conflicts and resends of their saves."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.progress.connect(self._progress)
        self._signals.done.connect(self._retrieved)
        self._request = 0
        self._asked_at = -1
        """``window.opening.requests`` when the retrieval was asked for."""
        self.busy = False
        """True while a study is being retrieved (a screenshot run waits for it)."""
        self.resend_timer = QTimer(self)
        self.resend_timer.setInterval(RESEND_INTERVAL_MS)
        self.resend_timer.timeout.connect(self.send_pending)
        self.resend_timer.start()

    # -- asking --------------------------------------------------------------------------
    def open_dialog(self) -> None:
        """File > Open from server: pick a study of a recent (or a new) server."""
        window = self.window
        dialog = OpenFromServerDialog(window.prefs.recent_servers, window)
        if window.prefs.recent_servers:
            dialog.search()  # the last server's studies at once
        accepted = dialog.exec()
        dialog.wait()
        if accepted and dialog.chosen is not None:
            base, summary = dialog.chosen
            self.open_url(summary.url or f"{base}/studies/{summary.study_instance_uid}")

    def open_url(self, url: str) -> bool:
        """Retrieve and open the study ``url`` names; False when the address names no study."""
        window = self.window
        try:
            address = parse_url(url)
        except ServerError as exc:
            window.notify(str(exc))
            return False
        if not address.study_uid:
            window.notify(f"{url} names a server, not a study: add /studies/<Study Instance UID>")
            return False
        store = window.session.server_store
        if store is not None and (store.base, store.study_uid) == (address.base, address.study_uid):
            window.notify(f"Study {address.study_uid} of {address.base} is already open.")
            return True
        self._request += 1
        self._asked_at = window.opening.requests
        self.busy = True
        window.notify(f"Opening study {address.study_uid} from {address.base} ...")
        job = Retrieved(self._request, address.study_url(), address.base)
        limit = int(window.prefs.server_cache_gb * 1e9)
        self._pool.start(_Retrieve(job, window.session.reader, limit, self._signals))
        return True

    def wait(self, msecs: int = 60_000) -> bool:
        """Block until a retrieval in progress is done (tests, closing)."""
        return bool(self._pool.waitForDone(msecs))

    # -- what the worker says ------------------------------------------------------------
    def _progress(self, request: int, done: int, total: int) -> None:
        if request == self._request and total:
            self.window.notify(f"Retrieving the study from the server: {done} of {total} images")

    def _retrieved(self, job: Retrieved) -> None:
        window = self.window
        if job.request != self._request:  # a newer request replaced it
            if job.store is not None:
                job.store.close()
            return
        self.busy = False
        if window.opening.requests != self._asked_at:  # the reader opened something else meanwhile
            if job.store is not None:
                job.store.close()
            if not job.error:
                window.notify(f"Study {job.url} was retrieved; File > Open from server opens it (cached).")
            return
        if job.error or job.studies is None or job.folder is None or job.store is None:
            message = f"The study was not opened: {job.error}"
            window.notify(message)
            if window.interactive:
                QMessageBox.warning(window, "Open from server", message)
            return
        window.opening.requests += 1
        address = parse_url(job.url)
        if window.opening.open_studies(
            job.studies, [job.folder], study_uid=address.study_uid, server=job.store
        ):
            window.prefs.add_recent_server(job.base)
            where = "kept on the server" if job.store.on_server else "kept on this computer"
            window.notify(f"Opened {job.url}; marks are {where}.")
            window.update_title()

    # -- saves of a server's study -------------------------------------------------------
    def send_pending(self) -> None:
        """Send a save the server did not get (it was unreachable) once more."""
        self.window.saving.track(self.window.session.send_pending())

    def resolve_conflict(self, message: str) -> None:
        """The reader's own marks on the server are newer: reload and merge, or save as a copy."""
        window = self.window
        if not window.interactive:
            window.notify(f"{message} (non-interactive run: kept on this computer)")
            return
        box = QMessageBox(window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Saved elsewhere meanwhile")
        box.setText(message)
        box.setInformativeText(
            "Reload and merge: take the server's version and add your changes to it (nothing is "
            "lost; you save next). Save as a copy: keep both, yours under a copy name."
        )
        merge = box.addButton("Reload and merge", QMessageBox.ButtonRole.AcceptRole)
        copy = box.addButton("Save as a copy", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is merge:
            self.merge()
        elif box.clickedButton() is copy:
            self.save_as_copy()

    def merge(self) -> None:
        """Reload the reader's version from the server and merge the open marks into it."""
        window = self.window
        try:
            report = window.session.merge_with_server()
        except SessionError as exc:
            window.notify(str(exc))
            return
        window.opening.show_model()
        window.edited()
        window.notify(f"Merged with the server's version: {report.sentence()} Save to send the result.")

    def save_as_copy(self) -> None:
        window = self.window
        try:
            window.saving.track(window.session.save_as_copy())
        except SessionError as exc:
            window.notify(str(exc))
