"""One reader's annotations of a study opened from a server: kept on the server, safe offline.

Every save is first written locally (atomically, :class:`viewer.store.session.AnnotationStore`
in ``<user data>/servers/<server key>/<Study Instance UID>/``, with its lock and autosave
recovery), then sent to the server (:meth:`ServerAnnotationStore.push`):

1. read the study's annotations attachment and its ETag;
2. if the saver's own part changed since it was read (the same reader saved from another
   place), stop with :class:`SaveConflictError` - "someone saved this study since you opened
   it" - and let the reader *reload and merge* (:meth:`merge_with_server`) or *save as a
   copy* (:meth:`save_as_copy`); nothing is overwritten;
3. otherwise replace the saver's part and write with ``If-Match``; on a 409 (another reader
   saved in between) go back to 1: different readers' parts merge by themselves.

When the server cannot be reached the save stays local, marked as not sent, and goes out
with the next save or :meth:`push` (also when the study is opened again). A server that is
not an Orthanc (no REST API beside DICOMweb), or has no ``mammo-annotations`` attachment
type, keeps the annotations in that same local folder, and says so.
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from viewer.core.annotation_merge import MergeReport, merge_versions
from viewer.core.annotations import StudyAnnotations
from viewer.sources.dicomweb import Credentials, ServerError
from viewer.sources.orthanc_rest import (
    ANNOTATION_ATTACHMENT,
    NotConfiguredError,
    OrthancRest,
    RevisionConflictError,
    ServerUnreachableError,
    Versioned,
)
from viewer.sources.pacs_cache import safe_uid, server_key
from viewer.sources.server_document import ServerDocumentError, SharedAnnotations, part_digest
from viewer.sources.worklist_status import reader_key, timestamp
from viewer.store.atomic import write_atomic
from viewer.store.errors import SidecarError
from viewer.store.locations import user_data_dir
from viewer.store.serialize import serialize
from viewer.store.session import AnnotationStore

SERVERS_FOLDER = "servers"
SYNC_SUFFIX = ".server"
MAX_ATTEMPTS = 40
"""Writes tried against 409s from other readers before the save is left for later."""
CONFLICT_MESSAGE = "someone saved this study since you opened it"


def local_folder(base: str, study_uid: str) -> Path:
    """``<user data>/servers/<server key>/<Study Instance UID>``: the local side of a server study."""
    return user_data_dir() / SERVERS_FOLDER / server_key(base) / safe_uid(study_uid)


class SaveConflictError(SidecarError):
    """The reader's own part on the server changed since it was read; ``theirs`` is that version."""

    def __init__(self, message: str, theirs: StudyAnnotations) -> None:
        super().__init__(message)
        self.theirs = theirs


@dataclass(frozen=True)
class PushResult:
    """Whether a save reached the server; ``message`` is for the status bar."""

    sent: bool
    message: str


def _loads(data: bytes) -> dict[str, Any]:
    doc = orjson.loads(data)
    if not isinstance(doc, dict):
        raise SidecarError("an annotation document must be a JSON object")
    return doc


class ServerAnnotationStore:
    """A reader's annotations of one study on one server (see the module's description)."""

    def __init__(self, base: str, study_uid: str, reader: str, local: AnnotationStore) -> None:
        self.base = base
        self.study_uid = study_uid
        self.reader = reader
        self.key = reader_key(reader)
        self.local = local
        self.rest: OrthancRest | None = None
        self.notices: list[str] = list(local.notices)
        self.conflict: SaveConflictError | None = None
        self.others: dict[str, StudyAnnotations] = {}
        """Other readers' annotations as last read from the server, by reader key."""
        self.last_result = PushResult(False, "Not saved yet.")
        """The outcome of the last save or push, for the status bar."""
        self._model = local.load()
        self._base_digest = ""
        self._pending = False
        self._study_id = ""
        self._read_sync_state()

    # -- opening -----------------------------------------------------------------------
    @classmethod
    def open(
        cls, base: str, study_uid: str, reader: str, credentials: Credentials | None = None
    ) -> ServerAnnotationStore:
        """Open the reader's annotations; never raises for the server (it may be down)."""
        folder = local_folder(base, study_uid)
        folder.mkdir(parents=True, exist_ok=True)
        store = cls(base, study_uid, reader, AnnotationStore.open(folder, reader, study_uid))
        rest = OrthancRest(base, credentials)
        try:
            info = rest.probe()
        except ServerUnreachableError as exc:
            store.notices.append(store._offline_notice(exc))
            store.rest = rest  # try again with the next save
            return store
        if info is None:
            store.notices.append(
                f"{rest.root} offers no Orthanc REST API beside DICOMweb: this reader's annotations "
                f"of the study are kept on this computer ({folder}); publish them as a DICOM SR "
                "to share them."
            )
            return store
        if not info.check_revisions:
            store.notices.append(
                f'Orthanc at {rest.root} runs with "CheckRevisions": false: two people saving the same '
                "study at the same moment could overwrite each other; ask for it to be set to true."
            )
        store.rest = rest
        try:
            store._sync_on_open()
        except ServerUnreachableError as exc:
            store.notices.append(store._offline_notice(exc))
        except NotConfiguredError as exc:
            store.notices.append(f"{exc}; annotations are kept on this computer ({folder}).")
            store.rest = None
        except (ServerError, ServerDocumentError, SidecarError) as exc:
            store.notices.append(f"The annotations on the server cannot be used: {exc}. Saves stay local.")
            store.rest = None
        return store

    def _offline_notice(self, exc: Exception) -> str:
        return (
            f"{exc}: working from this computer's copy ({self.local.path}); saves are kept here "
            "and sent when the server is back."
        )

    def _sync_on_open(self) -> None:
        assert self.rest is not None
        self._study_id = self.rest.study_id(self.study_uid)
        current = self._read_server()
        doc = SharedAnnotations.parse(current.data if current else None, self._where, self.study_uid)
        self._remember_others(doc)
        if self._pending:
            result = self.push()
            self.notices.append(
                f"Changes saved on this computer while the server was unreachable: {result.message}"
            )
            return
        part = doc.part(self.reader)
        self._base_digest = part_digest(part)
        if part is not None:
            self._model = doc.model(self.key, self._where)
            self.local.save_bytes(serialize(self._model))  # the offline copy
        self._write_sync_state()

    @property
    def _where(self) -> str:
        return f"{self.base}/studies/{self.study_uid}"

    def _read_server(self) -> Versioned | None:
        assert self.rest is not None
        return self.rest.get(self._study_id, "attachments", ANNOTATION_ATTACHMENT)

    def _remember_others(self, doc: SharedAnnotations) -> None:
        models, problems = doc.models(self._where)
        self.others = {k: m for k, m in models.items() if k != self.key}
        self.notices += problems

    # -- the local state of the link ---------------------------------------------------
    @property
    def _sync_path(self) -> Path:
        return self.local.path.with_name(self.local.path.name + SYNC_SUFFIX)

    def _read_sync_state(self) -> None:
        with contextlib.suppress(OSError, orjson.JSONDecodeError, AttributeError):
            state = orjson.loads(self._sync_path.read_bytes())
            self._base_digest = str(state.get("base", ""))
            self._pending = bool(state.get("pending", False))

    def _write_sync_state(self) -> None:
        if not self.local.writable:
            return
        state = {"base": self._base_digest, "pending": self._pending, "modified": timestamp()}
        write_atomic(self._sync_path, orjson.dumps(state))

    # -- what the GUI and the headless commands call -----------------------------------
    @property
    def on_server(self) -> bool:
        """True when saves go to the server (not only to this computer)."""
        return self.rest is not None

    @property
    def path(self) -> Path:
        """This computer's copy of the reader's annotations (what is sent to the server)."""
        return self.local.path

    @property
    def recovery_path(self) -> Path:
        """The autosave file of this computer's copy."""
        return self.local.recovery_path

    @property
    def pending(self) -> bool:
        """True when a save is on this computer only, waiting for the server."""
        return self._pending

    @property
    def writable(self) -> bool:
        return self.local.writable

    @property
    def merged_notice(self) -> str | None:
        """What the last local save merged from another writer of this computer's copy."""
        return self.local.merged_notice

    @merged_notice.setter
    def merged_notice(self, value: str | None) -> None:
        self.local.merged_notice = value

    @property
    def read_only_reason(self) -> str | None:
        return self.local.read_only_reason

    def load(self) -> StudyAnnotations:
        return self._model

    def recovery(self) -> StudyAnnotations | None:
        return self.local.recovery()

    def autosave_bytes(self, data: bytes, revision: int | None = None) -> None:
        self.local.autosave_bytes(data, revision)

    def discard_recovery(self) -> None:
        self.local.discard_recovery()

    def save(self, model: StudyAnnotations) -> PushResult:
        return self.save_bytes(serialize(model))

    def save_bytes(self, data: bytes, revision: int | None = None) -> PushResult:
        """Save on this computer (atomically), then send to the server.

        Raises :class:`SaveConflictError` when the reader's own part changed on the server (the
        local save is kept, marked unsent), ``SidecarError`` when even the local save fails.
        """
        self.local.save_bytes(data, revision)
        if self.rest is None:
            self.last_result = PushResult(False, f"Saved on this computer ({self.local.path}).")
            return self.last_result
        self._pending = True
        self._write_sync_state()
        self.last_result = self.push()
        return self.last_result

    def push(self) -> PushResult:
        """Send the last local save to the server; see the module's description."""
        if self.rest is None:
            return PushResult(False, f"Saved on this computer ({self.local.path}).")
        if not self._pending:
            return PushResult(True, "Nothing to send: the server has the last save.")
        part = _loads(self.local.path.read_bytes())
        try:
            if not self._study_id:
                self._study_id = self.rest.study_id(self.study_uid)
            self._base_digest = self._write_part(self.key, part, self._base_digest)
        except ServerUnreachableError as exc:
            return PushResult(False, f"{exc}: saved on this computer, sent when the server is back.")
        except NotConfiguredError as exc:
            self.rest = None
            self._pending = False
            self._write_sync_state()
            self.notices.append(f"{exc}; annotations are kept on this computer ({self.local.path}).")
            return PushResult(False, self.notices[-1])
        except _BusyError:
            return PushResult(
                False, "The server stayed busy: saved on this computer, sent with the next save."
            )
        except (ServerError, ServerDocumentError) as exc:  # e.g. an HTTP 500: nothing is lost here
            return PushResult(False, f"{exc}: saved on this computer, sent with the next save.")
        self.conflict = None
        self._pending = False
        self._write_sync_state()
        return PushResult(True, f"Saved to {self.rest.root}.")

    def _write_part(self, key: str, part: dict[str, Any], base_digest: str) -> str:
        """Replace reader ``key``'s part on the server; returns the new part's digest.

        ``base_digest`` is the part as last read ("" when the reader had none): when the
        server's part is neither that nor the one being written, the same reader saved
        from elsewhere and :class:`SaveConflictError` is raised.
        """
        assert self.rest is not None
        mine = part_digest(part)
        for attempt in range(MAX_ATTEMPTS):
            current = self._read_server()
            doc = SharedAnnotations.parse(current.data if current else None, self._where, self.study_uid)
            found = part_digest(doc.readers.get(key))
            if found not in (base_digest, mine):
                theirs = doc.model(key, self._where)
                self.conflict = SaveConflictError(
                    f"{CONFLICT_MESSAGE} ({theirs.reader or key}, saved {theirs.modified or 'earlier'}): "
                    "reload and merge, or save yours as a copy. Your version is kept on this computer.",
                    theirs,
                )
                raise self.conflict
            doc.readers[key] = part
            try:
                self.rest.put(
                    self._study_id,
                    "attachments",
                    ANNOTATION_ATTACHMENT,
                    doc.to_bytes(),
                    current.etag if current else None,
                )
            except RevisionConflictError:
                time.sleep(random.uniform(0.0, 0.02 * (attempt + 1)))  # another reader saved: read again
                continue
            self._remember_others(doc)
            return mine
        raise _BusyError()

    def merge_with_server(self, mine: StudyAnnotations) -> tuple[StudyAnnotations, MergeReport]:
        """Reload the reader's version from the server and merge ``mine`` into it.

        The result is what to show and save next; the next save replaces the version read
        here (unless it changes again meanwhile).
        """
        if self.rest is None:
            raise SidecarError("this study's annotations are not kept on a server")
        current = self._read_server()
        doc = SharedAnnotations.parse(current.data if current else None, self._where, self.study_uid)
        part = doc.part(self.reader)
        theirs = doc.model(self.key, self._where) if part is not None else StudyAnnotations(self.reader)
        merged, report = merge_versions(mine, theirs)
        self._base_digest = part_digest(part)
        self._write_sync_state()
        self.conflict = None
        return merged, report

    def save_as_copy(self, mine: StudyAnnotations) -> tuple[str, PushResult]:
        """Save ``mine`` as another reader's part, "<reader> (copy <time>)"; returns that name."""
        name = f"{self.reader} (copy {timestamp()[:16].replace('T', ' ')})"
        copy = mine.snapshot()
        copy.reader = name
        data = serialize(copy)
        with AnnotationStore.open(self.local.path.parent, name, self.study_uid) as kept:
            kept.save_bytes(data)
        if self.rest is None:
            return name, PushResult(False, f"Saved on this computer as {name}.")
        try:
            self._write_part(reader_key(name), _loads(data), "")
        except (ServerUnreachableError, _BusyError) as exc:
            return name, PushResult(False, f"{exc}: the copy {name} is saved on this computer only.")
        return name, PushResult(True, f"Saved to {self.rest.root} as {name}.")

    def close(self) -> None:
        self.local.close()

    def __enter__(self) -> ServerAnnotationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _BusyError(ServerError):
    def __init__(self) -> None:
        super().__init__(f"the server answered 'changed meanwhile' {MAX_ATTEMPTS} times in a row")
