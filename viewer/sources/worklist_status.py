"""A reader's progress on a study (new, in progress, done, flagged) and its mirror file.

Where the status lives, and why: the worklist index (SQLite in the user's cache folder) is
the working copy, fast to query and sort. Every change is also written, atomically, to
``mammo-status.json`` in the study's folder, beside the annotation files, so that the
status travels with the data (copied to another machine, read by another program or by
another curator indexing the same share) and survives a lost or rebuilt index. When the
index meets a status file that changed, its entries are merged in: for each study and
reader the later ``modified`` time wins. A read-only study folder's status file goes where
its annotation files go, ``<user data>/annotations/<Study Instance UID>/`` (the caller is
told), which the index reads too: clearing the cache loses no status.

The mirror file::

    {"format": "mammo-viewer study status", "version": 1,
     "studies": {"<Study Instance UID>": {
         "<reader key>": {"reader": "Alice", "status": "done",
                          "modified": "2024-05-01T10:11:12.345678Z"}}}}

The reader key is the reader's name as it appears in annotation file names
(:func:`viewer.store.sidecar.reader_slug`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import orjson

from viewer.sources.worklist_index import StatusRecord
from viewer.store.atomic import write_atomic
from viewer.store.sidecar import reader_slug

STATUS_FILE = "mammo-status.json"
FORMAT_NAME = "mammo-viewer study status"
FORMAT_VERSION = 1


class Status(str, Enum):
    """Where a reader stands with a study."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FLAGGED = "flagged"
    """Set aside for discussion (bad image, unsure, needs a second look)."""

    @property
    def label(self) -> str:
        """What the worklist shows: ``"in progress"`` rather than ``"in_progress"``."""
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> Status:
        """A status from its value or label (``"in progress"``, ``"in-progress"`` too)."""
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown status {text!r} (one of: {names})") from None


class StatusFileError(ValueError):
    """A ``mammo-status.json`` that cannot be read; the message names the file and the reason."""


def reader_key(reader: str) -> str:
    """The key a reader's status is filed under (the slug of their annotation file's name)."""
    return reader_slug(reader)


def timestamp() -> str:
    """Now, as ISO 8601 UTC with microseconds (two clicks in one second still order)."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_newer(candidate: str, than: str) -> bool:
    """True when the time ``candidate`` is strictly later than ``than`` (unreadable = oldest)."""
    return _when(candidate) > _when(than)


def reader_status(explicit: Status | None, has_marks: bool) -> Status:
    """A reader's status: the one they set, else "in progress" once they have marks, else new."""
    if explicit is not None:
        return explicit
    return Status.IN_PROGRESS if has_marks else Status.NEW


def study_status(per_reader: Iterable[Status]) -> Status:
    """One status for a study over its readers (when no reader is chosen).

    Flagged if any reader flagged it; done when every reader who started is done; new when
    nobody started; otherwise in progress.
    """
    found = set(per_reader)
    if Status.FLAGGED in found:
        return Status.FLAGGED
    if not found or found == {Status.NEW}:
        return Status.NEW
    if found == {Status.DONE}:
        return Status.DONE
    return Status.IN_PROGRESS


def _parse(data: bytes, path: Path) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StatusFileError(f"{path} is not valid JSON ({exc}); its statuses are ignored") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise StatusFileError(f"{path} is not a mammo-viewer status file; it is ignored")
    version = doc.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StatusFileError(
            f"{path} was written by a newer mammo-viewer (version {version}); "
            "its statuses are ignored and the file is left unchanged"
        )
    if not isinstance(doc.get("studies"), dict):
        raise StatusFileError(f"{path} has no 'studies' object; it is ignored")
    return doc


def read_status_file(path: Path) -> list[StatusRecord]:
    """The statuses recorded in a mirror file; raise StatusFileError naming the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise StatusFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    doc = _parse(data, path)
    records: list[StatusRecord] = []
    for study_uid, readers in doc["studies"].items():
        if not isinstance(readers, dict):
            continue
        for key, entry in readers.items():
            if not isinstance(entry, dict):
                continue
            try:
                status = Status.parse(str(entry.get("status", "")))
            except ValueError:
                continue  # a status this version does not know: leave it to the newer program
            records.append(
                StatusRecord(
                    str(study_uid),
                    str(key),
                    str(entry.get("reader") or key),
                    status.value,
                    str(entry.get("modified", "")),
                )
            )
    return records


def write_status_file(folder: Path, record: StatusRecord) -> Path:
    """Put one reader's status of one study into ``folder/mammo-status.json``, atomically.

    Other studies' and readers' entries are kept. A file this version cannot read is not
    overwritten. Raises ``StatusFileError`` or ``viewer.store.errors.SidecarError`` (read-only
    folder, disk full) with a message naming the file.
    """
    path = Path(folder) / STATUS_FILE
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "studies": {}}
    if path.exists():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StatusFileError(f"cannot read {path}: {exc.strerror or exc}") from None
        doc = _parse(data, path)
        doc["version"] = FORMAT_VERSION
    readers = doc["studies"].setdefault(record.study_uid, {})
    if not isinstance(readers, dict):
        readers = doc["studies"][record.study_uid] = {}
    readers[record.reader_key] = {
        "reader": record.reader,
        "status": record.status,
        "modified": record.modified,
    }
    write_atomic(path, orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    return path
