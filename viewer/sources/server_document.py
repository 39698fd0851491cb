"""What the viewer keeps on an Orthanc server per study: every reader's annotations, the status.

The annotations attachment (``mammo-annotations``, JSON) holds each reader's part, an
annotation document exactly as a sidecar file holds it (``docs/annotation-format.md``)::

    {"format": "mammo-viewer study annotations", "version": 1,
     "study_instance_uid": "1.2...",
     "readers": {"<reader key>": {<annotation document of that reader>}, ...}}

Each reader owns their part: a save replaces only the saver's part (read, replace, write
with If-Match, again on a 409), so different readers never lose each other's marks. A part
is compared by :func:`part_digest` to know whether it changed since it was read.

The status metadata (user metadata 4178, JSON) has the shape of a study's entry in
``mammo-status.json`` (:mod:`viewer.sources.worklist_status`)::

    {"format": "mammo-viewer study status", "version": 1,
     "readers": {"<reader key>": {"reader": "Alice", "status": "done", "modified": "..."}}}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from viewer.core.annotations import StudyAnnotations
from viewer.sources.worklist_status import Status, reader_key, timestamp
from viewer.store.errors import SidecarError
from viewer.store.sidecar import parse_model

FORMAT_NAME = "mammo-viewer study annotations"
STATUS_FORMAT_NAME = "mammo-viewer study status"
FORMAT_VERSION = 1


class ServerDocumentError(ValueError):
    """What the server holds is not a document of this program; the message says where."""


def part_digest(part: dict[str, Any] | None) -> str:
    """A fingerprint of one reader's part ("" for no part), independent of key order."""
    if part is None:
        return ""
    return hashlib.sha256(orjson.dumps(part, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class SharedAnnotations:
    """The annotations attachment of one study: a part per reader."""

    study_instance_uid: str
    readers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes | None, where: str, study_uid: str = "") -> SharedAnnotations:
        """Read the attachment's bytes (``None``: there is none yet). ``where`` names it in errors."""
        if data is None:
            return cls(study_uid)
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ServerDocumentError(f"the annotations of {where} are not readable JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise ServerDocumentError(
                f"the annotations attachment of {where} was not written by mammo-viewer"
            )
        if int(doc.get("version", 0)) > FORMAT_VERSION:
            raise ServerDocumentError(
                f"the annotations of {where} were written by a newer mammo-viewer (layout "
                f"{doc.get('version')}); update mammo-viewer to save to this server"
            )
        readers = doc.get("readers") or {}
        if not isinstance(readers, dict):
            raise ServerDocumentError(f"the annotations of {where} have no readers object")
        return cls(str(doc.get("study_instance_uid") or study_uid), dict(readers))

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "study_instance_uid": self.study_instance_uid,
                "readers": self.readers,
            }
        )

    def part(self, reader: str) -> dict[str, Any] | None:
        return self.readers.get(reader_key(reader))

    def model(self, key: str, where: str) -> StudyAnnotations:
        """One reader's part as annotations: migrated and checked like a sidecar file.

        Raises ``SidecarError`` naming ``where`` and the reader when the part is unusable.
        """
        return parse_model(orjson.dumps(self.readers[key]), f"{where} (reader {key})").model

    def models(self, where: str) -> tuple[dict[str, StudyAnnotations], list[str]]:
        """Every readable reader's annotations by key, and a message per unreadable part."""
        found: dict[str, StudyAnnotations] = {}
        problems: list[str] = []
        for key in self.readers:
            try:
                found[key] = self.model(key, where)
            except SidecarError as exc:
                problems.append(str(exc))
        return found, problems


@dataclass(frozen=True)
class ReaderStatus:
    reader: str
    status: Status
    modified: str


def parse_status(data: bytes | None) -> dict[str, ReaderStatus]:
    """The status metadata's readers (unreadable entries are left out)."""
    if not data:
        return {}
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return {}
    found: dict[str, ReaderStatus] = {}
    for key, entry in ((doc or {}).get("readers") or {}).items() if isinstance(doc, dict) else []:
        try:
            found[key] = ReaderStatus(
                str(entry["reader"]), Status.parse(str(entry["status"])), str(entry["modified"])
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


def status_bytes(readers: dict[str, ReaderStatus]) -> bytes:
    return orjson.dumps(
        {
            "format": STATUS_FORMAT_NAME,
            "version": FORMAT_VERSION,
            "readers": {
                key: {"reader": s.reader, "status": s.status.value, "modified": s.modified}
                for key, s in readers.items()
            },
        }
    )


def with_status(readers: dict[str, ReaderStatus], reader: str, status: Status) -> dict[str, ReaderStatus]:
    """A copy with ``reader``'s status set now."""
    out = dict(readers)
    out[reader_key(reader)] = ReaderStatus(reader, status, timestamp())
    return out
