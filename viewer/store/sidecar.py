"""The annotation file beside a study: where it is, how it is read and written.

One JSON file per study and reader: ``mammo-annotations.<reader>.json`` in the study's
folder, or ``mammo-annotations.<reader>.study-<key>.json`` when the folder holds more than
one study (:func:`study_key`; :mod:`viewer.store.shared_folder` splits an older shared file)
(format: ``docs/annotation-format.md``, schema: ``resources/annotations.schema.json``).
Coordinates in the file are ``[x, y]`` pixels: x = column, y = row, pixel centres at
integers.

Reading never modifies the file: a corrupt file or one from a newer program raises
:class:`CorruptSidecarError` / :class:`NewerSidecarError` and stays byte for byte as it
was; older layouts are migrated in memory. Writing is atomic (:func:`write_atomic`).

This module is the public face of :mod:`viewer.store`; the GUI keeps one
:class:`viewer.store.session.AnnotationStore` per opened study and reader.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viewer.core.annotations import StudyAnnotations
from viewer.store.atomic import write_atomic
from viewer.store.errors import CorruptSidecarError, NewerSidecarError, SidecarError
from viewer.store.safe_names import ascii_fold, text_digest
from viewer.store.serialize import SCHEMA_VERSION, from_dict, serialize, to_dict
from viewer.store.sidecar_reading import SidecarReading, Stage, read_sidecar_bytes

__all__ = [
    "SCHEMA_VERSION",
    "SIDECAR_PREFIX",
    "CorruptSidecarError",
    "LoadedSidecar",
    "NewerSidecarError",
    "SidecarError",
    "earlier_sidecar_path",
    "from_dict",
    "key_path",
    "load",
    "load_document",
    "reader_file_key",
    "reader_of_name",
    "reader_slug",
    "save",
    "serialize",
    "sidecar_path",
    "study_key",
    "to_dict",
    "write_atomic",
]

SIDECAR_PREFIX = "mammo-annotations."
SIDECAR_SUFFIX = ".json"
_MAX_PROBLEMS_SHOWN = 3


def reader_slug(reader: str) -> str:
    """The reader's name simplified: lower-case letters (any script), digits and dashes.

    Used for keys where names that differ only in case or punctuation may meet (status
    files, CSV names) and for the file names of earlier versions; the annotation file's name
    is :func:`reader_file_key`.
    """
    slug = re.sub(r"[\W_]+", "-", reader.strip().lower()).strip("-")
    return slug[:60] or "anonymous"


def reader_file_key(reader: str) -> str:
    """The reader's part of the annotation file's name: stable, safe, and one per exact name.

    A name that is already lower-case ASCII letters, digits and single dashes (``ann``,
    ``dr-a``) is used as it is. Any other name is its folded form (accents dropped, other
    characters as dashes, at most 40 characters) followed by ``_`` and 12 hex digits of the
    SHA-256 of the exact name: ``A. Reader`` -> ``a-reader_c3a03af3f1f5``, ``a reader`` ->
    ``a-reader_a94b0a76405b``. The ``_`` never occurs in a plain name, so the two forms cannot
    meet, and different names do not share a file.
    """
    plain = re.sub(r"[^a-z0-9]+", "-", ascii_fold(reader).lower()).strip("-")
    if plain == reader and 0 < len(reader) <= 60:
        return reader
    return f"{plain[:40].strip('-') or 'reader'}_{text_digest(reader)}"


STUDY_KEY_PREFIX = "study-"
_STUDY_KEY = re.compile(r"study-[0-9a-f]{12}")


def study_key(study_uid: str) -> str:
    """The part of a file name that tells one study of a shared folder from the others:
    ``study-`` and 12 hex digits of the SHA-256 of the Study Instance UID."""
    digest = hashlib.sha256(study_uid.strip().encode("ascii", "replace")).hexdigest()
    return f"{STUDY_KEY_PREFIX}{digest[:12]}"


def sidecar_path(study_folder: Path, reader: str, study_uid: str | None = None) -> Path:
    """Where a reader's annotations of a study go.

    ``<study_folder>/mammo-annotations.<reader key>.json`` when the folder holds one study
    (``study_uid`` None); ``mammo-annotations.<reader key>.study-<key>.json`` for a study
    of a folder that holds several, so that two studies never share a file. The reader key
    is :func:`reader_file_key`: two different names never share a file.
    """
    return key_path(study_folder, reader_file_key(reader), study_uid)


def key_path(study_folder: Path, key: str, study_uid: str | None = None) -> Path:
    """:func:`sidecar_path` for a reader key (:func:`reader_file_key`, or a name's key part)."""
    middle = key if study_uid is None else f"{key}.{study_key(study_uid)}"
    return Path(study_folder) / f"{SIDECAR_PREFIX}{middle}{SIDECAR_SUFFIX}"


def earlier_sidecar_path(study_folder: Path, reader: str, study_uid: str | None = None) -> Path:
    """Where versions before the collision-free names kept the reader's file (its slug)."""
    return key_path(study_folder, reader_slug(reader), study_uid)


def is_sidecar_name(name: str) -> bool:
    """True for a sidecar's file name (not its lock, recovery, backup or temporary files)."""
    if not (name.startswith(SIDECAR_PREFIX) and name.endswith(SIDECAR_SUFFIX)):
        return False
    parts = name[len(SIDECAR_PREFIX) : -len(SIDECAR_SUFFIX)].split(".")
    return len(parts) == 1 or (len(parts) == 2 and _STUDY_KEY.fullmatch(parts[1]) is not None)


def reader_of_name(name: str) -> str:
    """The reader key in a sidecar's file name (:func:`reader_file_key`; a slug in older files)."""
    return name[len(SIDECAR_PREFIX) : -len(SIDECAR_SUFFIX)].split(".")[0]


@dataclass
class LoadedSidecar:
    """A sidecar as read: the model, and the schema version the file had on disk."""

    model: StudyAnnotations
    version: int

    @property
    def migrated(self) -> bool:
        return self.version < SCHEMA_VERSION


def _error(reading: SidecarReading, path: Path | str) -> SidecarError:
    """The exception for a failed reading, naming ``path`` and what the user can do."""
    kept = "It was left unchanged; the study opens read-only"
    version = reading.version
    reason = reading.problems[0] if reading.problems else ""
    if reading.failed is Stage.JSON:
        if reason.startswith("not valid JSON"):
            detail = reason.removeprefix("not valid JSON: ")
            return CorruptSidecarError(
                f"{path} is not a readable annotation file (invalid JSON: {detail}). {kept} for this reader."
            )
        return CorruptSidecarError(f"{path} is not an annotation file (no JSON object at the top). {kept}.")
    if reading.failed is Stage.VERSION:
        return CorruptSidecarError(
            f"{path} has no schema_version: it is not a mammo-viewer annotation file. {kept}."
        )
    if reading.failed is Stage.NEWER:
        return NewerSidecarError(
            f"{path} was written by a newer mammo-viewer (schema version {version}; this program "
            f"reads up to {SCHEMA_VERSION}). It was left unchanged and the study opens read-only "
            "for this reader: update mammo-viewer to edit it."
        )
    if reading.failed is Stage.MIGRATION:
        detail = reason.split(": ", 1)[-1]
        return CorruptSidecarError(f"{path} (schema version {version}) cannot be upgraded: {detail}. {kept}.")
    if reading.failed is Stage.SCHEMA:
        listed = "; ".join(reading.problems)
        return CorruptSidecarError(
            f"{path} does not match the annotation format ({listed}). {kept}. "
            "`mammo-viewer validate` lists every problem."
        )
    detail = reason.removeprefix("/images: ")
    return CorruptSidecarError(f"{path} is inconsistent ({detail}). {kept}.")


def parse(data: bytes, path: Path) -> tuple[dict[str, Any], int]:
    """Decode, version-check, migrate and validate a sidecar's bytes (:mod:`viewer.store.sidecar_reading`).

    Returns the current-version document and the version found on disk. Raises
    :class:`CorruptSidecarError` or :class:`NewerSidecarError` naming ``path``.
    """
    reading = read_sidecar_bytes(data, _MAX_PROBLEMS_SHOWN, build_model=False)
    if reading.failed is not None or reading.document is None or reading.version is None:
        raise _error(reading, path)
    return reading.document, reading.version


def load_document(path: Path, for_saving: bool = False) -> LoadedSidecar:
    """Read, migrate and validate a sidecar; the file itself is never modified.

    ``for_saving``: the model is to be saved again (the marks' text is kept for it, see
    :func:`viewer.store.serialize.remember_read_marks`).

    Raises
    ------
    SidecarError
        When the file cannot be read (the message names it and the reason).
    CorruptSidecarError, NewerSidecarError
        For an invalid file or one from a newer program.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SidecarError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_model(data, path, for_saving)


def parse_model(data: bytes, where: Path | str, for_saving: bool = False) -> LoadedSidecar:
    """The annotations in a sidecar's bytes, through every stage of :mod:`viewer.store.sidecar_reading`.

    ``where`` names the bytes in messages (a file, or a server's part of a study). Raises
    :class:`CorruptSidecarError` or :class:`NewerSidecarError` as :func:`load_document` does.
    """
    reading = read_sidecar_bytes(data, _MAX_PROBLEMS_SHOWN, for_saving=for_saving)
    if reading.failed is not None or reading.model is None or reading.version is None:
        raise _error(reading, where)
    return LoadedSidecar(reading.model, reading.version)


def load(path: Path) -> StudyAnnotations:
    """The annotations stored in ``path`` (see :func:`load_document`)."""
    return load_document(path).model


def save(model: StudyAnnotations, path: Path) -> None:
    """Check ``model`` against the schema, then write it atomically to ``path``.

    Raises ``SidecarError`` (read-only folder, disk full, ...); an earlier file stays intact.
    """
    write_atomic(Path(path), serialize(model))
