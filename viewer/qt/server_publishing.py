"""Study > Publish marks to the server: the reader's marks as a DICOM SR (and a GSPS) in the study.

For a study opened from a DICOMweb server, the open marks (a snapshot, saved or not) are built
into a TID 1500 report and a presentation state from the images in the cache and stored in the
same study by STOW-RS (:func:`viewer.session.publish.publish_sr`), off the UI thread; the
status bar says when the server has them, or why not, naming the server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from viewer.core.annotations import StudyAnnotations
from viewer.session.publish import publish_sr
from viewer.sources.dicomweb import ServerError
from viewer.sources.server_store import ServerAnnotationStore


class _Signals(QObject):
    done = Signal(str)


class _Publish(QRunnable):
    def __init__(
        self, store: ServerAnnotationStore, folder: Path, model: StudyAnnotations, signals: _Signals
    ) -> None:
        super().__init__()
        self.base, self.folder, self.model, self.signals = store.base, folder, model, signals

    def run(self) -> None:
        try:
            published = publish_sr(self.base, self.folder, self.model)
        except (ServerError, OSError, ValueError) as exc:
            self.signals.done.emit(f"The marks were not published: {exc}")
            return
        count = self.model.count()[0]
        state = " and a presentation state" if published.presentation_states else ""
        left = f" ({len(published.messages)} image(s) left out)" if published.messages else ""
        self.signals.done.emit(
            f"Published {count} calcification(s) of {self.model.reader} to {self.base} "
            f"as a DICOM SR{state}{left}."
        )


class ServerPublishing(QObject):
    """Publishes the open marks of a server's study, one request at a time per window."""

    def __init__(self, parent: QObject, notify: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.done.connect(notify)
        self._notify = notify

    def publish(self, store: ServerAnnotationStore | None, folder: Path, model: StudyAnnotations) -> bool:
        """Publish a snapshot of ``model`` with the images of ``folder``; False for a local study."""
        if store is None:
            self._notify(
                "Publish needs a study opened from a server (File > Open from server); for a folder, "
                "mammo-viewer export FOLDER --format sr --to BASE stores the report on one"
            )
            return False
        self._notify(f"Publishing the marks to {store.base} ...")
        self._pool.start(_Publish(store, folder, model.snapshot(), self._signals))
        return True

    def wait(self, ms: int = 60000) -> bool:
        return self._pool.waitForDone(ms)
