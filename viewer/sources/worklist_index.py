"""The worklist's cache: one SQLite file per indexed folder tree, in the user's cache folder.

The cache remembers, per file, its modification time and size and what its header said, so
that reopening a tree of a thousand studies only stats the files and re-reads the few that
changed. It also holds each reader's study status (new, in progress, done, flagged): the
index is the working copy and ``mammo-status.json`` in the study folder its mirror that
travels with the data (:mod:`viewer.sources.worklist`).

Everything but the ``statuses`` table can be rebuilt from the files, so a cache written by
another version of this module is simply dropped and rebuilt; the statuses then come back
from the study folders' mirror files.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from viewer.store.locations import user_cache_dir

INDEX_VERSION = 1
"""Bump when a table changes: older caches are dropped and rebuilt."""
INDEX_FOLDER = "worklist"

_TABLES = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, folder TEXT NOT NULL, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    kind TEXT NOT NULL, study_uid TEXT, series_uid TEXT, sop_uid TEXT, patient_id TEXT,
    study_id TEXT, study_date TEXT, study_description TEXT, laterality TEXT, view TEXT,
    frames INTEGER, error TEXT);
CREATE TABLE IF NOT EXISTS sidecars (
    path TEXT PRIMARY KEY, folder TEXT NOT NULL, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    reader TEXT NOT NULL, study_uid TEXT, calcifications INTEGER, clusters INTEGER, error TEXT);
CREATE TABLE IF NOT EXISTS status_files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS statuses (
    study_uid TEXT NOT NULL, reader_key TEXT NOT NULL, reader TEXT NOT NULL,
    status TEXT NOT NULL, modified TEXT NOT NULL, PRIMARY KEY (study_uid, reader_key));
"""


def index_path(root: Path) -> Path:
    """The cache file of the tree at ``root``: ``<user cache>/worklist/<hash of the path>.sqlite3``."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:20]
    return user_cache_dir() / INDEX_FOLDER / f"{digest}.sqlite3"


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating or rebuilding as needed) the cache at ``path``.

    A connection belongs to the thread that opened it: the background scan opens its own.
    WAL mode lets the GUI read while a scan (or a second program) writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != INDEX_VERSION:
        with conn:
            for table in ("files", "sidecars", "status_files", "statuses"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.executescript(_TABLES)
            conn.execute(f"PRAGMA user_version={INDEX_VERSION}")
    return conn


Stamp = tuple[int, int]
"""``(mtime_ns, size)`` of a file: when either differs, the file is read again."""


@dataclass(frozen=True)
class FileRecord:
    """What the index keeps of one file met in the tree (``kind`` "image", "other" or "error").

    "other" is a DICOM object without pixels (a report, a presentation state) or a file
    that is not DICOM; "error" a DICOM file whose header could not be read (``error`` says why).
    """

    path: str
    folder: str
    mtime_ns: int
    size: int
    kind: str
    study_uid: str = ""
    series_uid: str = ""
    sop_uid: str = ""
    patient_id: str = ""
    study_id: str = ""
    study_date: str = ""
    study_description: str = ""
    laterality: str | None = None
    view: str | None = None
    frames: int = 1
    error: str | None = None


@dataclass(frozen=True)
class SidecarRecord:
    """A reader's annotation file: its counts, or the reason it could not be read."""

    path: str
    folder: str
    mtime_ns: int
    size: int
    reader: str
    study_uid: str
    calcifications: int | None
    clusters: int | None
    error: str | None = None


@dataclass(frozen=True)
class StatusRecord:
    """One reader's status of one study, with the time it was set (ISO 8601 UTC)."""

    study_uid: str
    reader_key: str
    reader: str
    status: str
    modified: str


def stamps(conn: sqlite3.Connection, table: str) -> dict[str, Stamp]:
    """``path -> (mtime_ns, size)`` of every file the table knows."""
    if table not in ("files", "sidecars", "status_files"):
        raise ValueError(f"no stamped table {table!r}")
    return {p: (m, s) for p, m, s in conn.execute(f"SELECT path, mtime_ns, size FROM {table}")}


def forget(conn: sqlite3.Connection, table: str, paths: Iterable[str]) -> None:
    """Drop the rows of files that are gone."""
    if table not in ("files", "sidecars", "status_files"):
        raise ValueError(f"no stamped table {table!r}")
    conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(p,) for p in paths])


def put_files(conn: sqlite3.Connection, records: Sequence[FileRecord]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [astuple(r) for r in records],
    )


def put_sidecars(conn: sqlite3.Connection, records: Sequence[SidecarRecord]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO sidecars VALUES (?,?,?,?,?,?,?,?,?)", [astuple(r) for r in records]
    )


def put_status_file(conn: sqlite3.Connection, path: str, stamp: Stamp, error: str | None) -> None:
    conn.execute("INSERT OR REPLACE INTO status_files VALUES (?,?,?,?)", (path, *stamp, error))


def image_files(conn: sqlite3.Connection) -> list[FileRecord]:
    """Every image file with a Study Instance UID, in path order."""
    rows = conn.execute("SELECT * FROM files WHERE kind = 'image' AND study_uid != '' ORDER BY path")
    return [FileRecord(*row) for row in rows]


def problem_files(conn: sqlite3.Connection) -> list[FileRecord]:
    """Files whose header could not be read, in path order."""
    return [
        FileRecord(*row) for row in conn.execute("SELECT * FROM files WHERE kind = 'error' ORDER BY path")
    ]


def sidecars(conn: sqlite3.Connection) -> list[SidecarRecord]:
    return [SidecarRecord(*row) for row in conn.execute("SELECT * FROM sidecars ORDER BY path")]


def statuses(conn: sqlite3.Connection) -> list[StatusRecord]:
    return [StatusRecord(*row) for row in conn.execute("SELECT * FROM statuses")]


def status(conn: sqlite3.Connection, study_uid: str, reader_key: str) -> StatusRecord | None:
    row = conn.execute(
        "SELECT * FROM statuses WHERE study_uid = ? AND reader_key = ?", (study_uid, reader_key)
    ).fetchone()
    return StatusRecord(*row) if row else None


def put_status(conn: sqlite3.Connection, record: StatusRecord) -> None:
    conn.execute("INSERT OR REPLACE INTO statuses VALUES (?,?,?,?,?)", astuple(record))
