"""One reader's annotation file for one opened study: where it goes, who may write it, recovery.

The GUI opens an :class:`AnnotationStore` per study and reader, loads the model from it,
serialises on the UI thread (:func:`viewer.store.serialize.serialize`, checked against the
schema) and hands the bytes to :meth:`AnnotationStore.save_bytes` or
:meth:`AnnotationStore.autosave_bytes` on a worker thread.

Nothing is lost and nothing is clobbered:

- saves are atomic; autosaves go to a separate recovery file beside the sidecar, offered
  on the next open when it holds more than the last save;
- a lock stops a second instance from writing the same file (a stale one is taken over); it
  is taken before the file is read and held until :meth:`AnnotationStore.close`, so a
  read-modify-write never interleaves with another mammo-viewer's; should the file still
  change on disk (a program that ignores the lock), a save keeps the marks that program
  added (:mod:`viewer.store.merge`);
- a recovery file is removed only by the store that wrote it, or by
  :meth:`AnnotationStore.discard_recovery` (the reader chose): a headless save keeps the
  autosave of a crashed GUI session;
- a corrupt file or one from a newer program is never written: the store is read-only
  and says why;
- a read-only study folder sends the file to a fallback folder in the user's data folder,
  keyed by Study Instance UID, so it is found again on the next open;
- a file in an older layout is kept as ``...v<N>-backup.json`` before the first save
  rewrites it in the current one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from pathlib import Path
from types import TracebackType

import orjson

from viewer.core.annotations import StudyAnnotations
from viewer.store import schema, sidecar
from viewer.store.atomic import leftover_temp_files, temp_name, write_atomic
from viewer.store.errors import CorruptSidecarError, NewerSidecarError, SidecarError
from viewer.store.locations import user_data_dir
from viewer.store.lock import Lock, LockHeldError, acquire
from viewer.store.merge import ForeignMarks, model_ids
from viewer.store.safe_names import file_component
from viewer.store.serialize import dumps, serialize

RECOVERY_SUFFIX = ".recovery"
LOCK_SUFFIX = ".lock"
FALLBACK_FOLDER = "annotations"

log = logging.getLogger(__name__)

Fingerprint = tuple[int, int, int] | None
"""(inode, size, modification time in ns) of a file, None when it does not exist."""


def _fingerprint(path: Path) -> Fingerprint:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def folder_writable(folder: Path) -> bool:
    """True when a file can be created in ``folder``.

    Tried for real, because ``os.access`` answers yes for root on a read-only share and
    does not know about read-only mounts.
    """
    probe = temp_name(Path(folder) / "mammo-viewer-write-test")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return True


def fallback_path(study_folder: Path, reader: str, study_uid: str) -> Path:
    """Where a reader's annotations of a study in a read-only folder go.

    ``<user data>/annotations/<Study Instance UID>/mammo-annotations.<reader>.json``; a
    hash of the folder's path stands in for a missing UID.
    """
    if study_uid.strip():
        key = file_component(study_uid.strip(), max_length=64)  # "../.." stays inside
    else:
        digest = hashlib.sha256(str(Path(study_folder).resolve()).encode()).hexdigest()[:16]
        key = f"folder-{digest}"
    return sidecar.sidecar_path(user_data_dir() / FALLBACK_FOLDER / key, reader)


def _companion(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _existing(path: Path, reader: str, study_uid: str | None = None) -> tuple[Path | None, Path | None]:
    """``(file to read, earlier-named file to rename at the first save)`` for ``path``.

    The file itself when it exists; else the reader's file under its earlier name (the
    slug, :func:`viewer.store.sidecar.earlier_sidecar_path`) when that one exists and was
    written for exactly this reader; else nothing.
    """
    if path.exists():
        return path, None
    earlier = sidecar.earlier_sidecar_path(path.parent, reader, study_uid)
    try:
        found = earlier != path and earlier.exists()
    except OSError:  # the earlier name of a long name may be one no file system takes
        found = False
    if not found:
        return None, None
    try:
        owner = sidecar.load(earlier).reader
    except SidecarError:
        return None, None  # not provably this reader's: left alone
    return (earlier, earlier) if owner == reader else (None, None)


def _renamed(earlier: Path) -> Path:
    return earlier.with_name(earlier.name.removesuffix(sidecar.SIDECAR_SUFFIX) + ".renamed-backup.json")


class AnnotationStore:
    """The annotation file of one reader on one study, opened for reading and writing.

    Use :meth:`open`; then :meth:`load`, :meth:`save_bytes`, :meth:`autosave_bytes`,
    :meth:`recovery`, and :meth:`close` (or a ``with`` block).

    Attributes
    ----------
    path
        Where saves go: the sidecar in the study folder, or the fallback when the folder
        is read-only.
    read_only_reason
        ``None`` when saving is allowed; otherwise a message for the user (corrupt or
        newer file kept as it is, another instance holds the lock, nowhere to write).
    notices
        Things the user should be told once (stale lock taken over, fallback folder used,
        file upgraded from an older layout).
    """

    def __init__(self, path: Path, reader: str, study_uid: str) -> None:
        self.path = path
        self.reader = reader
        self.study_uid = study_uid
        self.read_only_reason: str | None = None
        self.notices: list[str] = []
        self._model: StudyAnnotations | None = None
        self._lock: Lock | None = None
        self._io = threading.Lock()
        self._closed = False
        self._backup: tuple[Path, bytes] | None = None
        self._saved_revision = -1
        self._recovery_revision = -1
        self._earlier: Path | None = None
        self._on_disk: Fingerprint = None
        self._foreign: ForeignMarks | None = None
        self.merged_notice: str | None = None
        self._source: Path | None = None
        self._unread = False

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        study_folder: Path,
        reader: str,
        study_uid: str,
        *,
        wait: float = 0.0,
        shared: bool = False,
        defer_read: bool = False,
    ) -> AnnotationStore:
        """Lock, find and read the reader's annotation file of a study.

        The lock is taken first (waiting up to ``wait`` seconds for another instance to
        release it), so what is read is what the next save replaces. ``shared``: the folder
        holds other studies too, so the file's name carries the study
        (:func:`viewer.store.sidecar.sidecar_path`). Never raises for a bad file or a held
        lock: the store then opens read-only with :attr:`read_only_reason` set. Raises
        ``SidecarError`` only when neither the study folder nor the user's data folder can
        be written at all. ``defer_read``: the file is found and locked but not read; call
        :meth:`read` (on any thread) before anything else.
        """
        folder = Path(study_folder)
        primary = sidecar.sidecar_path(folder, reader, study_uid if shared else None)
        fallback = fallback_path(folder, reader, study_uid)
        earlier: Path | None = None
        if folder_writable(folder):
            store = cls(primary, reader, study_uid)
            source, earlier = _existing(primary, reader, study_uid if shared else None)
            if fallback.exists():
                if source is None:
                    source = fallback
                    store.notices.append(
                        f"Annotations saved earlier while this study's folder was read-only "
                        f"were loaded from {fallback}; they will now be saved to {primary}."
                    )
                else:
                    store.notices.append(
                        f"Older annotations of this study saved while its folder was read-only "
                        f"remain at {fallback}; {primary} is used."
                    )
        else:
            store = cls(fallback, reader, study_uid)
            try:
                fallback.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SidecarError(
                    f"cannot save annotations: the study folder {folder} is read-only and the "
                    f"fallback folder {fallback.parent} cannot be created ({exc.strerror})"
                ) from None
            store.notices.append(
                f"The study folder {folder} is read-only: annotations are saved to {fallback} "
                "instead (and found there again next time)."
            )
            source, earlier = _existing(fallback, reader)
            if source is None:
                source, _ = _existing(primary, reader, study_uid if shared else None)
        if earlier is not None:
            store._earlier = earlier
            store.notices.append(
                f"{earlier.name} is this reader's file under the name earlier versions gave it; "
                f"it is read, and the first save writes {store.path.name} and keeps the old file "
                f"as {_renamed(earlier).name}."
            )
        store._take_lock(wait)
        store._source, store._unread = source, True
        if not defer_read:
            store.read()
        return store

    @property
    def unread_bytes(self) -> int:
        """The size of the file found on open while :meth:`read` has not read it (else 0)."""
        if not self._unread or self._source is None:
            return 0
        try:
            return self._source.stat().st_size
        except OSError:
            return 0

    def read(self) -> None:
        """Read the file found on open (once; thread-safe, meant for a worker thread).

        Until it returns, :meth:`load` holds no marks and nothing may be saved. A store closed
        before it is read stays unread.
        """
        with self._io:
            if not self._unread or self._closed:
                return
            self._unread = False
            locked = self._lock is not None
            self._read(self._source)
            if locked and self.read_only_reason is not None:
                # never written (corrupt or newer file): the lock would only stop others reading it
                self._release_lock()

    def _read(self, source: Path | None) -> None:
        if source is None:
            self._model = StudyAnnotations(self.reader, self.study_uid)
            return
        try:
            loaded = sidecar.load_document(source, for_saving=True)
        except (CorruptSidecarError, NewerSidecarError) as exc:
            self.read_only_reason = str(exc)
            self._model = StudyAnnotations(self.reader, self.study_uid)
            return
        except SidecarError as exc:
            self.read_only_reason = f"{exc}; the study opens read-only for this reader."
            self._model = StudyAnnotations(self.reader, self.study_uid)
            return
        self._model = loaded.model
        if source == self.path:
            self._on_disk = _fingerprint(source)
        if loaded.migrated:
            stem = self.path.name.removesuffix(sidecar.SIDECAR_SUFFIX)
            backup = self.path.with_name(f"{stem}.v{loaded.version}-backup.json")
            with contextlib.suppress(OSError):
                self._backup = (backup, source.read_bytes())
            self.notices.append(
                f"{source} was written in the older format version {loaded.version} and was "
                f"upgraded; the first save writes the current format and keeps the old file "
                f"as {backup}."
            )
        if self.study_uid and loaded.model.study_instance_uid not in ("", self.study_uid):
            self.notices.append(
                f"{source} was made for study {loaded.model.study_instance_uid}, not "
                f"{self.study_uid}; marks are matched to images by SOP Instance UID."
            )

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _take_lock(self, wait: float) -> None:
        try:
            self._lock, notice = acquire(_companion(self.path, LOCK_SUFFIX), self.reader, wait)
        except LockHeldError as exc:
            self.read_only_reason = str(exc)
            return
        except SidecarError as exc:
            self.read_only_reason = f"{exc}; the study opens read-only for this reader."
            return
        if notice:
            self.notices.append(f"{notice[0].upper()}{notice[1:]}.")
        # we hold the lock, so temporary files of this sidecar are debris of a killed save
        for debris in leftover_temp_files(self.path) + leftover_temp_files(self.recovery_path):
            with contextlib.suppress(OSError):
                debris.unlink()

    # -- reading ---------------------------------------------------------------------
    @property
    def recovery_path(self) -> Path:
        """The autosave file beside :attr:`path`."""
        return _companion(self.path, RECOVERY_SUFFIX)

    @property
    def writable(self) -> bool:
        return self.read_only_reason is None and not self._closed and not self._unread

    def load(self) -> StudyAnnotations:
        """The annotations as found on open (empty when there was no file or it is unusable)."""
        if self._model is None:
            self._model = StudyAnnotations(self.reader, self.study_uid)
        return self._model

    def recovery(self) -> StudyAnnotations | None:
        """What the last autosave holds, when it is newer than and differs from the last save."""
        rec = self.recovery_path
        if not rec.exists():
            return None
        try:
            recovered = sidecar.load(rec)
        except SidecarError as exc:
            self.notices.append(f"An autosave was found but cannot be used: {exc}")
            return None
        with contextlib.suppress(OSError):
            if self.path.exists() and self.path.stat().st_mtime_ns > rec.stat().st_mtime_ns:
                return None  # saved after the autosave was written
        saved = self._model if self._model is not None else StudyAnnotations()
        if _same_marks(recovered, saved):
            return None
        return recovered

    # -- writing ---------------------------------------------------------------------
    def _check_writable(self, what: Path) -> None:
        if self._closed:
            raise SidecarError(f"cannot save {what}: the study was closed")
        if self._unread:  # what it holds would be overwritten unseen
            raise SidecarError(f"cannot save {what}: its marks have not been read yet")
        if self.read_only_reason is not None:
            raise SidecarError(f"cannot save {what}: {self.read_only_reason}")

    def save_bytes(self, data: bytes, revision: int | None = None) -> None:
        """Write bytes made by :func:`~viewer.store.serialize.serialize` to :attr:`path`.

        Thread-safe; meant for a worker thread. ``revision`` (e.g. the undo-stack index
        when the bytes were made) keeps a slower, older autosave from outliving a save.
        Raises ``SidecarError`` when read-only or when the write fails (the earlier file
        stays intact).
        """
        with self._io:
            self._check_writable(self.path)
            if self._backup is not None:
                backup_path, old = self._backup
                if not backup_path.exists():
                    write_atomic(backup_path, old)
                self._backup = None
            data = self._keep_foreign_marks(data)
            write_atomic(self.path, data)
            self._on_disk = _fingerprint(self.path)
            if self._earlier is not None:
                # no longer a sidecar name: walks, exports and the worklist see one file
                with contextlib.suppress(OSError):
                    os.replace(self._earlier, _renamed(self._earlier))
                self._earlier = None
            if revision is not None:
                self._saved_revision = max(self._saved_revision, revision)
            # only an autosave this store wrote is superseded by its save; another session's
            # (a crashed GUI's) stays until a reader decides on it
            if self._recovery_revision >= 0 and (
                revision is None or self._recovery_revision <= self._saved_revision
            ):
                with contextlib.suppress(OSError):
                    self.recovery_path.unlink(missing_ok=True)
                self._recovery_revision = -1

    def _keep_foreign_marks(self, data: bytes) -> bytes:
        """``data`` with the marks another writer put in the file since this store read it."""
        now = _fingerprint(self.path)
        if now == self._on_disk and self._foreign is None:
            return data
        if self._foreign is None:
            self._foreign = ForeignMarks(model_ids(self.load()))
        if now != self._on_disk and now is not None:
            try:
                disk, _ = sidecar.parse(self.path.read_bytes(), self.path)
            except (OSError, SidecarError) as exc:
                raise SidecarError(
                    f"cannot save {self.path}: another program changed it since it was opened and "
                    f"it cannot be read now ({exc}). It was not overwritten; close the other "
                    "program and save again."
                ) from None
            added = self._foreign.take_from(disk)
            if added:
                self.merged_notice = (
                    f"{self.path} was changed by another program while it was open here: its "
                    f"{added} new mark(s) were kept in the file."
                )
                log.warning("%s", self.merged_notice)
        if not len(self._foreign):
            return data
        merged = self._foreign.apply(orjson.loads(data))
        if not schema.is_valid(merged):
            raise SidecarError(
                f"cannot save {self.path}: the marks another program added to it do not fit "
                "these annotations. It was not overwritten."
            )
        self._foreign.written(merged)
        return dumps(merged)

    def save(self, model: StudyAnnotations) -> None:
        """Serialise and save in one step (headless use; the GUI splits the two)."""
        self.save_bytes(serialize(model))

    def autosave_bytes(self, data: bytes, revision: int | None = None) -> None:
        """Write an autosave to :attr:`recovery_path` (not the sidecar); thread-safe.

        Does nothing when the store is read-only, or when ``revision`` is not newer than the
        last save. Raises ``SidecarError`` when the write fails.
        """
        with self._io:
            if not self.writable:
                return
            if revision is not None:
                if revision <= self._saved_revision:
                    return
                self._recovery_revision = revision
            write_atomic(self.recovery_path, data)

    def discard_recovery(self) -> None:
        """Delete the autosave (the reader chose not to recover it, or closed without saving)."""
        with self._io:
            if self.read_only_reason is not None or self._unread:
                return  # another instance's autosave, or one nobody has seen: not ours to delete
            with contextlib.suppress(OSError):
                self.recovery_path.unlink(missing_ok=True)
            self._recovery_revision = -1

    def close(self) -> None:
        """Release the lock; the store cannot save afterwards."""
        with self._io:
            self._closed = True
            self._release_lock()

    def __enter__(self) -> AnnotationStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _same_marks(a: StudyAnnotations, b: StudyAnnotations) -> bool:
    """True when two models hold the same annotations (times of the whole file aside)."""
    da, db = sidecar.to_dict(a), sidecar.to_dict(b)
    for d in (da, db):
        d.pop("modified", None)
        d.pop("created", None)
        d.pop("program", None)
    return da == db
