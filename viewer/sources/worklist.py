"""The curator's worklist: every study under a folder tree, its views, status and marks.

A :class:`Worklist` indexes a tree of studies (a thousand or more) without keeping any image
in memory: each DICOM file's header is read once (tags only, pixels never), grouped by
Study Instance UID, and cached in SQLite (:mod:`viewer.sources.worklist_index`). Reopening
stats the files and reads again only those whose modification time or size changed, plus
changed annotation files (``mammo-annotations.<reader>.json``, counted per reader) and
status files (:mod:`viewer.sources.worklist_status`). What is read from each file is in
:mod:`viewer.sources.worklist_files`.

Indexing is a generator of :class:`Progress` so that a GUI can run it on a worker thread
and show a progress bar; it opens its own database connection in the thread that runs it.

A study's ``path`` is the deepest folder holding all its files: where its annotation files
and its status file live (as for :func:`viewer.dicom.study.open_study`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viewer.dicom.views import view_label
from viewer.sources import worklist_index as db
from viewer.sources.priors import PriorExam, priors_in_index
from viewer.sources.worklist_files import Listing, list_folder, read_file_record, read_sidecar_record
from viewer.sources.worklist_index import FileRecord, SidecarRecord, Stamp, StatusRecord
from viewer.sources.worklist_status import (
    Status,
    StatusFileError,
    is_newer,
    read_status_file,
    reader_key,
    reader_status,
    study_status,
    timestamp,
    write_status_file,
)
from viewer.store.errors import SidecarError
from viewer.store.locations import user_data_dir
from viewer.store.session import FALLBACK_FOLDER, fallback_path

HANGING_ORDER = ("RCC", "LCC", "RMLO", "LMLO")
BATCH = 200
"""Rows written per transaction while indexing: partial work survives a cancel."""


@dataclass(frozen=True)
class Progress:
    """How far indexing is: ``phase`` is "walking" (listing files), "reading" or "done".

    ``total`` counts the files to read (only changed ones); it is 0 while walking.
    """

    done: int
    total: int
    phase: str
    path: str = ""


@dataclass(frozen=True)
class ReaderMarks:
    """One reader's annotation counts on a study (``None`` with ``error`` when unreadable)."""

    calcifications: int | None
    clusters: int | None
    status: Status
    error: str | None = None


@dataclass(frozen=True)
class StudyEntry:
    """One row of the worklist."""

    path: Path
    study_instance_uid: str
    patient_id: str
    study_id: str
    study_date: str
    description: str
    views: tuple[str, ...]
    """View labels present ("RCC", "LMLO", ...), standard four first."""
    images: int
    frames: int
    status: Status
    """The chosen reader's status, or the study's over all readers (see ``study_status``)."""
    readers: dict[str, ReaderMarks] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """Done or flagged: nothing left to do for now."""
        return self.status in (Status.DONE, Status.FLAGGED)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: the objects of ``mammo-viewer worklist --json``."""
        return {
            "path": str(self.path),
            "study_instance_uid": self.study_instance_uid,
            "patient_id": self.patient_id,
            "study_id": self.study_id,
            "study_date": self.study_date,
            "description": self.description,
            "views": list(self.views),
            "images": self.images,
            "frames": self.frames,
            "status": self.status.value,
            "readers": {
                name: {
                    "calcifications": m.calcifications,
                    "clusters": m.clusters,
                    "status": m.status.value,
                    **({"error": m.error} if m.error else {}),
                }
                for name, m in self.readers.items()
            },
        }


@dataclass
class ScanSummary:
    """What one indexing pass did: how many changed files it read, in how many seconds."""

    read: int = 0
    seconds: float = 0.0


class Worklist:
    """The studies under ``root``, indexed into a cache that makes reopening instant.

    Parameters
    ----------
    root
        The folder tree to index.
    index_file
        The SQLite cache; by default one per tree in the user's cache folder.
    """

    def __init__(self, root: Path | str, index_file: Path | None = None) -> None:
        self.root = Path(root).resolve()
        self.index_file = index_file or db.default_index(self.root)

    # -- indexing ------------------------------------------------------------------------
    def _walk(self) -> Iterator[Listing]:
        """List the tree (yielding the growing listing now and then), then the fallback folder."""
        listing = Listing()
        pending = [str(self.root)]
        visited = 0
        while pending:
            subfolders: list[str] = []
            list_folder(pending.pop(), listing, subfolders)
            pending.extend(reversed(subfolders))
            visited += 1
            if visited % 100 == 0:
                yield listing
        fallback = user_data_dir() / FALLBACK_FOLDER
        if fallback.is_dir():
            for folder in sorted(fallback.iterdir()):
                if folder.is_dir():
                    extra = Listing()
                    list_folder(str(folder), extra, [])
                    listing.sidecars.update(extra.sidecars)
                    listing.status_files.update(extra.status_files)
        yield listing

    def scan(self) -> Iterator[Progress]:
        """Bring the index up to date, yielding progress; stop iterating to cancel.

        Work done before a cancel is kept. Runs in any thread (it opens its own connection).
        """
        conn = db.connect(self.index_file)
        try:
            listing = Listing()
            for listing in self._walk():
                yield Progress(listing.folders, 0, "walking")
            todo: list[tuple[str, str, Stamp]] = []
            with conn:
                for table, seen in (
                    ("files", listing.dicom),
                    ("sidecars", listing.sidecars),
                    ("status_files", listing.status_files),
                ):
                    known = db.stamps(conn, table)
                    db.forget(conn, table, known.keys() - seen.keys())
                    todo += [(table, p, s) for p, s in seen.items() if known.get(p) != s]
            # status files last: they name studies whose headers are read by then
            todo.sort(key=lambda t: t[0] == "status_files")
            total = len(todo)
            yield Progress(0, total, "reading")
            files: list[FileRecord] = []
            sidecars: list[SidecarRecord] = []
            try:
                for done, (table, path, stamp) in enumerate(todo, start=1):
                    if table == "files":
                        files.append(read_file_record(Path(path), stamp))
                    elif table == "sidecars":
                        sidecars.append(read_sidecar_record(Path(path), stamp))
                    else:
                        self._merge_status_file(conn, Path(path), stamp)
                    if len(files) + len(sidecars) >= BATCH:
                        self._store(conn, files, sidecars)
                    yield Progress(done, total, "reading", path)
            finally:  # also on a cancel: what was read is kept
                self._store(conn, files, sidecars)
            yield Progress(total, total, "done")
        finally:
            conn.close()

    @staticmethod
    def _store(conn: sqlite3.Connection, files: list[FileRecord], sidecars: list[SidecarRecord]) -> None:
        with conn:
            db.put_files(conn, files)
            db.put_sidecars(conn, sidecars)
        files.clear()
        sidecars.clear()

    def _merge_status_file(self, conn: sqlite3.Connection, path: Path, stamp: Stamp) -> None:
        try:
            records = read_status_file(path)
            error = None
        except StatusFileError as exc:
            records, error = [], str(exc)
        with conn:
            for record in records:
                current = db.status(conn, record.study_uid, record.reader_key)
                if current is None or is_newer(record.modified, current.modified):
                    db.put_status(conn, record)
            db.put_status_file(conn, str(path), stamp, error)

    def refresh(
        self, progress: Callable[[Progress], None] | None = None, cancelled: Callable[[], bool] | None = None
    ) -> ScanSummary:
        """Run :meth:`scan` to the end (or until ``cancelled()``), reporting to ``progress``."""
        start = time.perf_counter()
        summary = ScanSummary()
        for step in self.scan():
            if progress is not None:
                progress(step)
            if step.phase != "walking":
                summary.read = step.done
            if cancelled is not None and cancelled():
                break
        summary.seconds = time.perf_counter() - start
        return summary

    # -- reading the index ---------------------------------------------------------------
    def studies(self, reader: str | None = None) -> list[StudyEntry]:
        """The indexed studies in folder order (numbers in names compare as numbers).

        ``status`` is ``reader``'s, or the study's over all readers when ``reader`` is None.
        """
        conn = db.connect(self.index_file)
        try:
            files = db.image_files(conn)
            sidecar_rows = db.sidecars(conn)
            status_rows = db.statuses(conn)
        finally:
            conn.close()
        by_study: dict[str, list[FileRecord]] = defaultdict(list)
        for record in files:
            by_study[record.study_uid].append(record)
        by_folder: dict[str, list[SidecarRecord]] = defaultdict(list)
        for row in sidecar_rows:
            by_folder[row.folder].append(row)
        by_uid: dict[str, dict[str, StatusRecord]] = defaultdict(dict)
        for s in status_rows:
            by_uid[s.study_uid][s.reader_key] = s
        paths = {uid: _common_folder(records) for uid, records in by_study.items()}
        studies_in: dict[Path, int] = defaultdict(int)
        for path in paths.values():
            studies_in[path] += 1
        entries = []
        for uid, records in by_study.items():
            path = paths[uid]
            shared = studies_in[path] > 1
            marks = [s for s in by_folder[str(path)] if not shared or s.study_uid == uid]
            fallback = str(fallback_path(path, "x", uid).parent)
            marks += by_folder.get(fallback, [])
            entries.append(_entry(uid, path, records, marks, by_uid.get(uid, {}), reader))
        entries.sort(key=lambda e: (natural_key(str(e.path)), e.study_instance_uid))
        return entries

    def priors(self, patient_id: str, study_date: str, study_uid: str) -> list[PriorExam]:
        """The patient's earlier studies anywhere in the indexed tree (no file is read)."""
        conn = db.connect(self.index_file)
        try:
            files = db.image_files(conn)
        finally:
            conn.close()
        return priors_in_index(files, patient_id, study_date, study_uid)

    def problems(self) -> list[tuple[Path, str]]:
        """Files whose header could not be read, and why."""
        conn = db.connect(self.index_file)
        try:
            return [(Path(r.path), r.error or "unreadable") for r in db.problem_files(conn)]
        finally:
            conn.close()

    # -- status ----------------------------------------------------------------------------
    def set_status(self, study: StudyEntry, reader: str, status: Status) -> str | None:
        """Record ``reader``'s status of ``study`` in the index and in the study folder.

        Returns ``None``, or a notice for the user when the study folder could not take the
        status file (the status is then kept in the index only).
        """
        record = StatusRecord(
            study.study_instance_uid,
            reader_key(reader),
            reader or "anonymous",
            Status(status).value,
            timestamp(),
        )
        conn = db.connect(self.index_file)
        try:
            with conn:
                db.put_status(conn, record)
            notice = None
            try:
                path = write_status_file(study.path, record)
            except (SidecarError, StatusFileError) as exc:
                # a read-only study: beside its marks in this computer's data folder, which
                # outlives the index (a cache, cleared at will)
                try:
                    kept = fallback_path(study.path, "x", study.study_instance_uid).parent
                    kept.mkdir(parents=True, exist_ok=True)
                    path = write_status_file(kept, record)
                except (OSError, SidecarError, StatusFileError) as second:
                    return f"{exc} {second} The status is kept in this computer's worklist index only."
                notice = f"{exc} The status is kept in {path} on this computer."
            st = path.stat()
            with conn:  # our own write: no need to read it back on the next scan
                db.put_status_file(conn, str(path), (st.st_mtime_ns, st.st_size), None)
            return notice
        finally:
            conn.close()


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting ``study-2`` before ``study-10`` (digit runs compare as numbers)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", text) if part
    )


def _common_folder(records: list[FileRecord]) -> Path:
    folders = {r.folder for r in records}
    if len(folders) == 1:
        return Path(next(iter(folders)))
    return Path(os.path.commonpath(sorted(folders)))


def _first(records: list[FileRecord], attr: str) -> str:
    for record in records:
        value = getattr(record, attr)
        if value:
            return str(value)
    return ""


def _views(records: list[FileRecord]) -> tuple[str, ...]:
    labels = {view_label(r.laterality, r.view) for r in records}
    standard = [v for v in HANGING_ORDER if v in labels]
    return (*standard, *sorted(labels - set(standard)))


def _entry(
    uid: str,
    path: Path,
    records: list[FileRecord],
    marks: list[SidecarRecord],
    explicit: dict[str, StatusRecord],
    reader: str | None,
) -> StudyEntry:
    readers: dict[str, ReaderMarks] = {}
    keys_seen: set[str] = set()
    for row in marks:
        key = reader_key(row.reader)
        if key in keys_seen:
            continue  # the study folder's file wins over a fallback copy (listed after it)
        keys_seen.add(key)
        chosen = explicit.get(key)
        started = bool(row.calcifications or row.clusters)
        readers[row.reader] = ReaderMarks(
            row.calcifications,
            row.clusters,
            reader_status(Status(chosen.status) if chosen else None, started),
            row.error,
        )
    for key, chosen in explicit.items():
        if key not in keys_seen:
            readers[chosen.reader] = ReaderMarks(0, 0, Status(chosen.status))
            keys_seen.add(key)
    if reader is None:
        status = study_status(m.status for m in readers.values())
    else:
        mine = [m for name, m in readers.items() if reader_key(name) == reader_key(reader)]
        status = mine[0].status if mine else Status.NEW
    return StudyEntry(
        path=path,
        study_instance_uid=uid,
        patient_id=_first(records, "patient_id"),
        study_id=_first(records, "study_id"),
        study_date=_first(records, "study_date"),
        description=_first(records, "study_description"),
        views=_views(records),
        images=len(records),
        frames=sum(r.frames for r in records),
        status=status,
        readers=dict(sorted(readers.items())),
    )
