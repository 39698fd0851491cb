"""Reading an annotation file's bytes: the one pipeline every reader of a sidecar goes through.

Stages, in order, each of which can stop the reading with the reason:

1. JSON (orjson), and an object at the top;
2. the declared schema version (``version`` in 0, ``schema_version`` since 1), not newer
   than this program's;
3. migration of an older layout, in memory;
4. the JSON Schema (the fast compiled validator answers; the detailed one explains);
5. the model (:func:`viewer.store.serialize.from_dict`): what the schema cannot say, such
   as a cluster naming an unknown mark.

:func:`viewer.store.sidecar.parse` and :func:`~viewer.store.sidecar.load_document` (the
viewer, the headless commands, the worklist) raise on the first failure with a message
naming the file; ``mammo-viewer validate`` lists the problems. Both read through
:func:`read_sidecar_bytes`, so they cannot disagree about what is a valid file.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import orjson

from viewer.core.annotations import StudyAnnotations
from viewer.store import schema
from viewer.store.errors import SidecarError
from viewer.store.migrate import MigrationError, document_version, migrate
from viewer.store.serialize import SCHEMA_VERSION, from_dict, remember_read_marks


class Stage(str, Enum):
    """Where the reading of a sidecar stopped."""

    JSON = "json"
    """Not JSON, or no object at the top."""
    VERSION = "version"
    """No usable schema version."""
    NEWER = "newer"
    """Written by a newer program."""
    MIGRATION = "migration"
    """An older layout that cannot be upgraded."""
    SCHEMA = "schema"
    """Does not match the JSON Schema."""
    MODEL = "model"
    """Matches the schema, but is inconsistent (e.g. a cluster naming an unknown mark)."""


@dataclass
class SidecarReading:
    """What reading a sidecar's bytes found.

    ``failed`` is None when every stage asked for passed. ``problems`` are the reasons,
    one a line, as ``/json/pointer: message`` where a place in the document is known.
    """

    version: int | None = None
    document: dict[str, Any] | None = None
    """The current-version document, once migrated and valid against the schema."""
    model: StudyAnnotations | None = None
    failed: Stage | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def migrated(self) -> bool:
        """True when the file had an older layout (upgraded in memory)."""
        return self.version is not None and self.version < SCHEMA_VERSION

    def _stop(self, stage: Stage, *problems: str) -> SidecarReading:
        self.failed, self.problems = stage, list(problems)
        return self


def read_sidecar_bytes(
    data: bytes, problem_limit: int = 3, build_model: bool = True, for_saving: bool = False
) -> SidecarReading:
    """Run a sidecar's bytes through the stages (see the module docstring).

    ``problem_limit`` bounds the schema problems listed; ``build_model=False`` stops after
    the schema (the worklist only counts marks); ``for_saving``: the model will be saved
    again, so the marks' text is kept (:func:`viewer.store.serialize.remember_read_marks`).
    Never raises for bad content.

    The cyclic garbage collector is paused meanwhile: a 10,000-mark file becomes ~600,000
    new containers, none of them garbage, and the collections they set off (each one walking
    every object the process holds: in the viewer, Qt's and pyqtgraph's too) took longer than
    the parse itself (0.12 -> 0.07 s for orjson alone; several times that in the GUI).
    """
    with collection_paused():
        return _read(data, problem_limit, build_model, for_saving)


@contextmanager
def collection_paused() -> Iterator[None]:
    """Automatic cyclic garbage collection off for the block (as it was found afterwards).

    Nothing is leaked: the objects made meanwhile are counted as usual and collected at the
    next collection after the block. Where collection is already off (the GUI collects on
    its own timer, :mod:`viewer.qt.gui_gc`) this does nothing.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _read(data: bytes, problem_limit: int, build_model: bool, for_saving: bool) -> SidecarReading:
    reading = SidecarReading()
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return reading._stop(Stage.JSON, f"not valid JSON: {exc}")
    if not isinstance(doc, dict):
        return reading._stop(Stage.JSON, "/: the top level must be a JSON object")
    version = document_version(doc)
    reading.version = version
    if version is None:
        return reading._stop(Stage.VERSION, "/schema_version: missing (not a mammo-viewer annotation file?)")
    if version > SCHEMA_VERSION:
        return reading._stop(
            Stage.NEWER, f"/schema_version: {version} is newer than this program reads ({SCHEMA_VERSION})"
        )
    if version < SCHEMA_VERSION:
        try:
            doc = migrate(doc, version)
        except MigrationError as exc:
            return reading._stop(Stage.MIGRATION, f"schema version {version} cannot be upgraded: {exc}")
        except Exception as exc:  # a shape the checks missed: still a message, never a traceback
            reason = f"its content does not have version {version}'s layout ({type(exc).__name__}: {exc})"
            return reading._stop(Stage.MIGRATION, f"schema version {version} cannot be upgraded: {reason}")
    if not schema.is_valid(doc):
        found = [str(p) for p in schema.problems(doc, limit=problem_limit)]
        return reading._stop(Stage.SCHEMA, *(found or ["/: does not match the annotation schema"]))
    reading.document = doc
    if build_model:
        try:
            reading.model = from_dict(doc)
        except (ValueError, KeyError, TypeError, SidecarError) as exc:
            return reading._stop(Stage.MODEL, f"/images: {exc!s}")
        if for_saving:
            remember_read_marks(reading.model, doc)
    return reading
