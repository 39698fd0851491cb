"""Opening a study from a DICOMweb server in the window, and the server's side of saving.

File > Open from server shows :class:`viewer.qt.server_dialog.OpenFromServerDialog`; the
chosen study is retrieved into the cache on a worker thread (a progress dialog counts the
images; a cached study opens at once), then opened as a local folder with the reader's
annotations kept on the server (:class:`viewer.sources.server_store.ServerAnnotationStore`).
When a save finds that the same reader saved the study elsewhere, :meth:`resolve_conflict`
asks: reload and merge, or save as a copy; nothing is overwritten either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from viewer.sources.dicomweb import DicomwebServer, ServerError, parse_url
from viewer.sources.pacs_cache import StudyCache
from viewer.sources.server_store import ServerAnnotationStore

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class _Signals(QObject):
    progress = Signal(int, int)
    done = Signal(str, str)  # folder, error


class _Retrieve(QRunnable):
    def __init__(self, base: str, study_uid: str, signals: _Signals) -> None:
        super().__init__()
        self.base, self.study_uid, self.signals = base, study_uid, signals

    def run(self) -> None:
        try:
            folder = DicomwebServer(self.base).retrieve_study(
                self.study_uid, StudyCache(), progress=self.signals.progress.emit
            )
        except ServerError as exc:
            self.signals.done.emit("", str(exc))
        except OSError as exc:
            self.signals.done.emit("", f"cannot write the study into the cache: {exc}")
        else:
            self.signals.done.emit(str(folder), "")


class ServerOpening:
    """File > Open from server, and the conflict dialog of saves to a server."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._pool = QThreadPool(window)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._progress: QProgressDialog | None = None
        self._pending: tuple[str, str] | None = None
        self._signals.progress.connect(self._show_progress)
        self._signals.done.connect(self._retrieved)

    def open_dialog(self) -> None:
        from viewer.qt.server_dialog import OpenFromServerDialog

        dialog = OpenFromServerDialog(self.window.prefs.recent_servers, self.window)
        if dialog.exec() and dialog.chosen is not None:
            base, study = dialog.chosen
            self.open_study(base, study.study_instance_uid)

    def open_study(self, base: str, study_uid: str) -> None:
        """Retrieve (or find in the cache) and open one study of ``base``."""
        self.window.prefs.add_recent_server(base)
        self._pending = (base, study_uid)
        self._progress = QProgressDialog(f"Retrieving study {study_uid} ...", "Hide", 0, 0, self.window)
        self._progress.setWindowTitle("Open from server")
        self._progress.setWindowModality(Qt.WindowModality.WindowModal)
        self._progress.setMinimumDuration(300)
        self._pool.start(_Retrieve(base, study_uid, self._signals))

    def open_url(self, url: str) -> bool:
        """Open ``BASE/studies/<uid>`` now (the command line, a screenshot): waits for retrieval."""
        try:
            address = parse_url(url)
            if not address.study_uid:
                raise ServerError(f"{url} names a server, not a study: add /studies/<Study Instance UID>")
            folder = DicomwebServer(address.base).retrieve_study(address.study_uid, StudyCache())
        except ServerError as exc:
            self.window.notify(str(exc))
            return False
        self.window.prefs.add_recent_server(address.base)
        reader = self.window.reader
        return self.window.opening.open_paths(
            [folder],
            store_factory=lambda _s: ServerAnnotationStore.open(address.base, address.study_uid, reader),
        )

    def _show_progress(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.setMaximum(total)
            self._progress.setValue(done)
            self._progress.setLabelText(f"Retrieving image {min(done + 1, total)} of {total} ...")

    def _retrieved(self, folder: str, error: str) -> None:
        if self._progress is not None:
            self._progress.reset()
            self._progress = None
        if self._pending is None:
            return
        base, study_uid = self._pending
        self._pending = None
        if error:
            QMessageBox.warning(self.window, "Cannot open the study", error)
            self.window.notify(error)
            return
        window = self.window
        window.opening.open_paths(
            [Path(folder)],
            store_factory=lambda _study: ServerAnnotationStore.open(base, study_uid, window.reader),
        )

    def publish(self) -> None:
        """File > Publish: this reader's marks as a DICOM SR in the study on its server."""
        window = self.window
        store = window.store
        if not isinstance(store, ServerAnnotationStore) or window.study is None:
            window.notify("Publish works on a study opened from a server (File > Open from server)")
            return
        from viewer.session.publish import publish_sr

        try:
            published = publish_sr(store.base, window.study.folder, window.model.snapshot())
        except ServerError as exc:
            QMessageBox.warning(window, "Not published", str(exc))
            return
        for message in published.messages:
            window.notify(message)
        window.notify(
            f"Published {window.model.count()[0]} marks to {store.base} as DICOM SR "
            f"{published.sop_instance_uid}"
        )

    def wait(self, msecs: int = 60000) -> bool:
        """Block until a retrieval is done (tests)."""
        return bool(self._pool.waitForDone(msecs))

    # -- saving ------------------------------------------------------------------------
    def resolve_conflict(self, store: ServerAnnotationStore) -> None:
        """The same reader saved this study elsewhere: reload and merge, or save as a copy."""
        assert store.conflict is not None
        self.apply_conflict_choice(store, self.ask_conflict(str(store.conflict)))

    def ask_conflict(self, message: str) -> str:
        """ "merge", "copy" or "later", asked in a dialog."""
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Saved elsewhere")
        box.setText(message)
        box.setInformativeText(
            "Reload and merge: the marks saved elsewhere are added to yours, then saved.\n"
            "Save as a copy: yours are saved beside them under another name.\n"
            "Your marks stay open here and on this computer either way."
        )
        merge = box.addButton("Reload and merge", QMessageBox.ButtonRole.AcceptRole)
        copy = box.addButton("Save as a copy", QMessageBox.ButtonRole.ActionRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        clicked = box.clickedButton()
        return "merge" if clicked is merge else "copy" if clicked is copy else "later"

    def apply_conflict_choice(self, store: ServerAnnotationStore, choice: str) -> None:
        window = self.window
        if choice == "merge" and window.study is not None:
            try:
                merged, report = store.merge_with_server(window.model.snapshot())
            except ServerError as exc:
                window.notify(f"Cannot reload from the server: {exc}")
                return
            window.opening.set_model(merged, window.study)
            window.saving.mark_dirty_without_command()
            window.notify(f"Merged: {report.sentence()}")
            window.saving.save()
        elif choice == "copy":
            _name, result = store.save_as_copy(window.model.snapshot())
            window.notify(result.message)
        else:
            window.notify("Not saved to the server yet: your marks are kept on this computer.")
