"""The open study as one object: study, annotation file, marks, undo history, saving.

The window shows a :class:`StudySession` and forwards the reader's gestures to it; the
session never imports Qt. What it guarantees:

- **A failed open keeps the current study.** :func:`read_studies` reads the files without
  touching the session; :meth:`StudySession.open` switches only once the new study has
  images and its annotation file is open, then retires the old one.
- **Saves and autosaves are ordered by revision.** Every write carries the history's
  revision; the store keeps an older autosave from outliving a newer save, and a save
  never deletes a recovery file newer than what it wrote. Writes run on one worker thread
  (:class:`~viewer.session.writer.AnnotationWriter`): nothing here waits for a disk, except
  :meth:`flush` and :meth:`shutdown`, asked for by name.
- **Discard means discard.** Closing with ``discard=True`` deletes the recovery file; closing
  unsaved marks without discarding leaves them in it (offered on the next open).
- **One study, one file.** A study whose folder holds other studies gets its own annotation
  file (:func:`viewer.store.sidecar.sidecar_path`); an older shared file is split first
  (:mod:`viewer.store.shared_folder`); the marks are always written under the open study's
  Study Instance UID.
- **Generations.** Every open and close starts a new generation; a worker's result carries
  the :class:`Ticket` it was computed for and is applied only while :meth:`is_current`.
- **Studies from a server** are opened with their
  :class:`~viewer.sources.server_store.ServerAnnotationStore` (opened beforehand, off the UI
  thread: it asks the server): every save goes to this computer first, then to the server;
  a save the server refuses because the same reader saved elsewhere is a conflict the reader
  resolves (:meth:`StudySession.merge_with_server`, :meth:`StudySession.save_as_copy`);
  a save the server did not get is sent again (:meth:`StudySession.send_pending`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from viewer.core.annotation_merge import MergeReport
from viewer.core.annotations import ImageKey, StudyAnnotations
from viewer.core.commands import Command
from viewer.dicom.folder_studies import folder_studies
from viewer.dicom.study import Study, open_studies
from viewer.session.history import History
from viewer.session.marks_reading import MarksReader, MarksReading
from viewer.session.writer import AnnotationWriter, WriteJob
from viewer.sources.dicomweb import ServerError
from viewer.sources.server_store import PushResult, SaveConflictError, ServerAnnotationStore
from viewer.store import sidecar
from viewer.store.errors import SidecarError
from viewer.store.serialize import serialize
from viewer.store.session import AnnotationStore
from viewer.store.shared_folder import split_shared_sidecars

LOADING = "the marks are still being read; they can be edited and saved once they are shown"

AnnotationFile = AnnotationStore | ServerAnnotationStore
"""Where the open study's marks are kept: a file beside the study, or a server (and this computer)."""


class SessionError(Exception):
    """Something the reader asked for cannot be done; the message says what and why."""


@dataclass(frozen=True)
class Ticket:
    """What a background job was started for: a generation of the session and an image."""

    generation: int
    key: ImageKey | None = None


@dataclass
class Opened:
    """What opening a study found, for the window to show or ask about."""

    study: Study
    studies: list[Study]
    notices: list[str] = field(default_factory=list)
    read_only_reason: str | None = None
    recovery: StudyAnnotations | None = None
    """Marks of an autosave newer than the last save: :meth:`StudySession.accept_recovery`
    or :meth:`StudySession.decline_recovery`."""
    reading: MarksReading | None = None
    """The marks are being read in the background: :meth:`StudySession.marks_read` once done
    (then the read-only reason and the autosave are known)."""


@dataclass
class Outcome:
    """What a finished write means for the reader (``message`` empty: nothing to say)."""

    message: str = ""
    error: bool = False
    current: bool = True
    """The write belongs to the study still open."""
    conflict: bool = False
    """The server has a newer version of this reader's marks (saved from elsewhere): the
    reader chooses :meth:`StudySession.merge_with_server` or :meth:`StudySession.save_as_copy`."""


def read_studies(paths: Sequence[Path | str]) -> list[Study]:
    """Open the files (never raises for a file); the first study is the one to show."""
    return open_studies([Path(p) for p in paths])


def why_not_openable(studies: Sequence[Study], paths: Sequence[Path | str]) -> str | None:
    """Why the first of ``studies`` cannot be opened (no image), or ``None`` when it can."""
    study = studies[0]
    if study.images:
        return None
    if study.problems:
        return "No image could be opened: " + "; ".join(p.message for p in study.problems)
    return "No DICOM images found in " + ", ".join(map(str, paths))


def _members(study: Study) -> set[str]:
    return {image.sop_instance_uid for image in study.images}


def folder_members(study: Study, studies: Sequence[Study]) -> dict[str, set[str]]:
    """The studies whose annotation files live in ``study``'s folder: UID -> SOP UIDs.

    The studies opened together that share the folder, and those of the other DICOM files
    directly in the folder (read by their headers).
    """
    members: dict[str, set[str]] = {}
    for other in studies:
        if other.folder == study.folder and other.images:
            members.setdefault(other.study_instance_uid, set()).update(_members(other))
    known = set().union(*members.values()) if members else set()
    for uid, sops in folder_studies(study.folder).items():
        if uid not in members and not sops <= known:
            members[uid] = sops - known
    return members


class StudySession:
    """One reader's open study: the model of its marks, the history, the annotation file."""

    def __init__(self, reader: str, writer: AnnotationWriter | None = None) -> None:
        self.reader = reader
        """Who opens the next study (the open study's file belongs to :attr:`mark_reader`)."""
        self.study: Study | None = None
        self.store: AnnotationFile | None = None
        self.model = StudyAnnotations(reader)
        self.history = History(self.model)
        self.generation = 0
        self.pending_recovery: StudyAnnotations | None = None
        self.writer = writer or AnnotationWriter()
        self.reading: MarksReading | None = None
        """The open study's marks being read in the background (no edit, no save meanwhile)."""
        self._reader_thread = MarksReader()

    # -- state -------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.study is not None

    @property
    def mark_reader(self) -> str:
        """Who new marks belong to: the reader whose file the open study writes."""
        return self.model.reader or self.reader

    @property
    def read_only_reason(self) -> str | None:
        return self.store.read_only_reason if self.store is not None else None

    @property
    def dirty(self) -> bool:
        """True when the model holds marks the annotation file does not."""
        return self.study is not None and not self.history.clean

    def ticket(self, key: ImageKey | None = None) -> Ticket:
        """The ticket a background job for ``key`` of the open study carries."""
        return Ticket(self.generation, key)

    def is_current(self, ticket: Ticket) -> bool:
        """True while the study a ticket was made for is still the open one."""
        return ticket.generation == self.generation

    # -- opening and closing --------------------------------------------------------------
    @property
    def server_store(self) -> ServerAnnotationStore | None:
        """The open study's store when its marks are kept on a server."""
        return self.store if isinstance(self.store, ServerAnnotationStore) else None

    def open(
        self,
        studies: Sequence[Study],
        index: int = 0,
        *,
        discard: bool = False,
        server: ServerAnnotationStore | None = None,
        background_bytes: int | None = None,
    ) -> Opened:
        """Make ``studies[index]`` the open study; the current one is retired only on success.

        ``discard``: the current study's unsaved marks are thrown away (its recovery file
        deleted); otherwise they stay in its recovery file. ``server``: the study came from
        a server and its marks are kept there (the store is the session's from now on, also
        when the open fails: it is closed then). Raises :class:`SessionError` (the current
        study stays open, editable and savable) when the study has no image or no
        annotation file can be opened for it. ``background_bytes``: an annotation file at least
        that large is read on a worker thread (:mod:`viewer.session.marks_reading`):
        :attr:`Opened.reading` is set and the model is empty until :meth:`marks_read`.
        """
        study = studies[index]
        if not study.images:
            if server is not None:
                server.close()
            raise SessionError(why_not_openable([study], [study.folder]) or "no image")
        if server is not None:
            return self._open_with(study, studies, server, discard)
        uid = study.study_instance_uid
        members = folder_members(study, studies)
        own_file = sidecar.sidecar_path(study.folder, self.reader, uid)
        shared = len(members) > 1 or own_file.exists()  # once a study's own file, always
        notices = split_shared_sidecars(study.folder, members, self.reader) if shared else []
        same_file = self._same_file(study, shared)
        if same_file:
            self._retire(discard)
            self.writer.flush()  # its lock is released on the writer thread
        try:
            store = AnnotationStore.open(study.folder, self.reader, uid, shared=shared, defer_read=True)
        except SidecarError as exc:
            if same_file:
                self._reset(None, StudyAnnotations(self.reader))
            raise SessionError(f"{study.folder.name} was not opened: {exc}") from None
        if not same_file:
            self._retire(discard)
        self.generation += 1
        self.study, self.store = study, store
        if background_bytes is not None and store.unread_bytes >= background_bytes:
            self._reset(study, StudyAnnotations(self.reader, uid))
            notices += store.notices  # before the reader thread adds its own
            self.reading = self._reader_thread.start(store, self.generation, len(store.notices))
            return Opened(study, list(studies), notices, reading=self.reading)
        store.read()
        recovery = store.recovery() if store.read_only_reason is None else None
        return self._loaded(list(studies), notices, recovery)

    def _loaded(self, studies: list[Study], notices: list[str], recovery: StudyAnnotations | None) -> Opened:
        study, store = self.study, self.store
        assert study is not None and store is not None
        notices = notices + [n for n in store.notices if n not in notices]
        self._reset(study, store.load())
        self.pending_recovery = recovery
        return Opened(study, studies, notices, store.read_only_reason, recovery)

    def marks_read(self, reading: MarksReading) -> Opened | None:
        """Show the marks of a finished background reading (on the thread that owns the session).

        ``None`` when the reading is not the open study's (another study was opened or this
        one closed meanwhile: nothing changes) or not finished. Otherwise the model becomes
        the file's marks, and the :class:`Opened` says what the file held (read-only reason,
        notices, a newer autosave) as :meth:`open` does for a file read on the spot.
        """
        if reading is not self.reading or not reading.done or self.study is None:
            return None
        if reading.generation != self.generation or self.store is not reading.store:
            return None
        self.reading = None
        opened = self._loaded([self.study], [], reading.future.result())
        del opened.notices[: reading.notices_shown]  # said when the study opened
        return opened

    def _open_with(
        self, study: Study, studies: Sequence[Study], store: ServerAnnotationStore, discard: bool
    ) -> Opened:
        if study.study_instance_uid != store.study_uid:
            store.close()
            raise SessionError(
                f"the images retrieved belong to study {study.study_instance_uid}, not to the study "
                f"asked for ({store.study_uid}); nothing was opened"
            )
        self._retire(discard)
        self.generation += 1
        self.study, self.store = study, store
        notices = list(store.notices)
        self._reset(study, store.load())
        recovery = store.recovery() if store.read_only_reason is None else None
        self.pending_recovery = recovery
        return Opened(study, list(studies), notices, store.read_only_reason, recovery)

    def _same_file(self, study: Study, shared: bool) -> bool:
        store, current = self.store, self.study
        if store is None or current is None:
            return False
        if current.folder != study.folder:
            return False
        path = sidecar.sidecar_path(study.folder, self.reader, study.study_instance_uid if shared else None)
        return store.path == path or current.study_instance_uid == study.study_instance_uid

    def accept_recovery(self) -> None:
        """Take the marks of the autosave found on open; they are unsaved until a save."""
        recovered, self.pending_recovery = self.pending_recovery, None
        if recovered is None or self.study is None:
            return
        self._reset(self.study, recovered)
        self.history.mark_unsaved()

    def decline_recovery(self) -> None:
        """Throw the autosave found on open away (its file is deleted)."""
        self.pending_recovery = None
        if self.store is not None:
            self.store.discard_recovery()

    def close(self, *, discard: bool = False) -> None:
        """Close the open study (its writes finish on the writer thread; nothing waits).

        ``discard``: unsaved marks are thrown away and the recovery file deleted.
        """
        self._retire(discard)
        self.generation += 1
        self._reset(None, StudyAnnotations(self.reader))

    def _reset(self, study: Study | None, model: StudyAnnotations) -> None:
        self.study = study
        if study is None:
            self.store = None
        else:
            uid = study.study_instance_uid
            model.reader = model.reader or self.reader
            # marks are written under the open study, whatever an older file's header said
            model.study_instance_uid = uid or model.study_instance_uid
            for image in study.images:
                frames = {0, *(f for (sop, f) in model.images if sop == image.sop_instance_uid)}
                for frame in frames:
                    model.ensure_image(image.annotation_record(frame))
        self.model = model
        self.history = History(model)
        self.pending_recovery = None

    def _retire(self, discard: bool) -> None:
        """Hand the open store's last writes and its closing to the writer thread."""
        store = self.store
        if store is None:
            return
        self.store = None
        keep = not discard and self.dirty and store.read_only_reason is None
        if keep:
            self._submit_write("autosave", store)  # everything unsaved goes to the recovery file
        # an autosave found on open that nobody decided on (a run without questions, or one
        # whose marks were still being read) is kept
        reading, self.reading = self.reading, None
        if reading is not None:
            reading.drop()  # not read at all unless it has begun
        undecided = self.pending_recovery is not None or reading is not None
        job = WriteJob("close", self.generation, self.history.revision, self.history.state, store.path)

        def close() -> None:
            if reading is not None:
                reading.wait()  # the lock is let go after the reading, never during it
            if not keep and not undecided:
                store.discard_recovery()
            store.close()

        self.writer.submit(job, close)

    # -- editing ---------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Do an edit as the newest undo step; raises :class:`SessionError` when read-only."""
        if self.study is None:
            raise SessionError("no study is open")
        if self.reading is not None:
            raise SessionError(LOADING)
        if self.read_only_reason:
            raise SessionError(f"read-only: {self.read_only_reason}")
        self.history.push(command)

    def undo(self) -> Command | None:
        return self.history.undo()

    def redo(self) -> Command | None:
        return self.history.redo()

    def take_back(self, command: Command) -> bool:
        """See :meth:`History.take_back`."""
        return self.history.take_back(command)

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> WriteJob:
        """Write the marks to the annotation file (atomic, on the writer thread).

        Raises :class:`SessionError` when no study is open or the file is read-only.
        """
        store = self.store
        if store is None or self.study is None:
            raise SessionError("Nothing to save: no study is open")
        if self.reading is not None:
            raise SessionError(LOADING)
        if store.read_only_reason:
            raise SessionError(store.read_only_reason)
        if self.model.study_instance_uid != self.study.study_instance_uid:
            raise SessionError(
                f"the marks belong to study {self.model.study_instance_uid}, not to the open study "
                f"{self.study.study_instance_uid}; nothing was saved"
            )
        return self._submit_write("save", store)

    def autosave(self) -> WriteJob | None:
        """Write unsaved marks to the recovery file; ``None`` when there is nothing to write."""
        store = self.store
        if store is None or store.read_only_reason or self.history.clean:
            return None
        return self._submit_write("autosave", store)

    def _submit_write(self, kind: str, store: AnnotationFile) -> WriteJob:
        snapshot = self.model.snapshot()
        revision = self.history.revision
        job = WriteJob(kind, self.generation, revision, self.history.state, store.path, snapshot.count()[0])
        if kind == "save":
            return self.writer.submit(job, lambda: store.save_bytes(serialize(snapshot), revision))
        return self.writer.submit(job, lambda: store.autosave_bytes(serialize(snapshot), revision))

    def finish(self, job: WriteJob) -> Outcome:
        """Apply a finished write's outcome (on the thread that owns the session)."""
        current = job.generation == self.generation
        error = job.error
        if job.kind == "save":
            if isinstance(job.exception, SaveConflictError):
                # the save is on this computer: the reader's marks are safe, the server's too
                if current:
                    self.history.mark_unsaved()  # not where the reader asked for it, yet
                return Outcome(str(job.exception), error=True, current=current, conflict=current)
            if error:
                where = (
                    "Your marks are still open here; any earlier file is unchanged."
                    if current
                    else f"The marks stay in {job.path.name}.recovery and are offered when the "
                    "study is opened again."
                )
                return Outcome(f"Save failed: {error}\n\n{where}", error=True, current=current)
            result = job.result
            if isinstance(result, PushResult):  # a study from a server
                message = f"Saved {job.marks} marks. {result.message}"
            else:
                message = f"Saved {job.marks} marks to {job.path}"
            if current:
                self.history.mark_saved(job.state)
                if self.store is not None and self.store.merged_notice:
                    message += f". {self.store.merged_notice}"
                    self.store.merged_notice = None
            return Outcome(message, current=current)
        if job.kind in ("send", "copy"):
            result = job.result
            if error:
                return Outcome(f"Not sent to the server: {error}", True, current)
            return Outcome(result.message if isinstance(result, PushResult) else "", current=current)
        if error:
            return Outcome(f"{job.kind.capitalize()} of {job.path.name} failed: {error}", True, current)
        return Outcome(current=current)

    # -- a study from a server -------------------------------------------------------------
    def send_pending(self) -> WriteJob | None:
        """Send the last save to the server when it has not got it yet (it was unreachable)."""
        store = self.server_store
        if store is None or not store.pending or store.rest is None:
            return None
        job = WriteJob("send", self.generation, self.history.revision, self.history.state, store.path)
        return self.writer.submit(job, store.push)

    def merge_with_server(self) -> MergeReport:
        """Take the reader's version on the server and merge the open marks into it.

        The result is shown and unsaved: the next save replaces the server's version.
        Raises :class:`SessionError` when the server cannot be read.
        """
        store = self.server_store
        if store is None or self.study is None:
            raise SessionError("this study's marks are not kept on a server")
        self.writer.flush()  # a save in flight reads the server's version too
        try:
            merged, report = store.merge_with_server(self.model.snapshot())
        except (SidecarError, ServerError) as exc:
            raise SessionError(f"cannot read the server's version: {exc}") from None
        self._reset(self.study, merged)
        self.history.mark_unsaved()
        return report

    def save_as_copy(self) -> WriteJob:
        """Save the open marks as another reader's part, "<reader> (copy <time>)"."""
        store = self.server_store
        if store is None or self.study is None:
            raise SessionError("this study's marks are not kept on a server")
        snapshot = self.model.snapshot()
        job = WriteJob("copy", self.generation, self.history.revision, self.history.state, store.path)
        return self.writer.submit(job, lambda: store.save_as_copy(snapshot)[1])

    def flush(self, timeout_s: float | None = 10.0) -> bool:
        """Wait for every write asked for so far (an export reads the file next)."""
        return self.writer.flush(timeout_s)

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Close the study keeping unsaved marks in its recovery file, finish every write."""
        if self.store is not None:
            self.close(discard=False)
        done = self.writer.shutdown(timeout_s)
        self._reader_thread.shutdown()
        return done
