"""The worklist's cache: one SQLite file per indexed folder tree, in the user's cache folder.

The cache remembers, per file, its modification time and size and what its header said, so
that reopening a tree of a thousand studies only stats the files and re-reads the few that
changed. It also holds each reader's study status (new, in progress, done, flagged): the
index is the working copy and ``mammo-status.json`` in the study folder its mirror that
travels with the data (:mod:`viewer.sources.worklist`).

Everything but the ``statuses`` table can be rebuilt from the files, so a cache written by
another version of this module, or one that is not an SQLite file at all, is simply dropped and
rebuilt; the statuses then come back from the study folders' mirror files. Earlier versions kept
the cache in the user data folder: :func:`default_index` moves such a file to the cache folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from viewer.store.locations import user_cache_dir, user_data_dir

log = logging.getLogger(__name__)

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


_SQLITE_COMPANIONS = ("", "-wal", "-shm")
"""The suffixes of an SQLite database's files: the database, its write-ahead log, its shared memory."""


def _file_name(root: Path) -> str:
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:20]
    return f"{digest}.sqlite3"


def index_path(root: Path) -> Path:
    """The cache file of the tree at ``root``: ``<user cache>/worklist/<hash of the path>.sqlite3``."""
    return user_cache_dir() / INDEX_FOLDER / _file_name(root)


def legacy_index_path(root: Path) -> Path:
    """Where earlier versions kept the cache of ``root``: ``<user data>/worklist/<same name>``."""
    return user_data_dir() / INDEX_FOLDER / _file_name(root)


def default_index(root: Path) -> Path:
    """:func:`index_path` of ``root``, after moving there an index an earlier version left.

    The old file (with its -wal and -shm companions) moves only when the cache folder has no
    index of the tree yet. A move that fails leaves the old file where it is and the tree is
    indexed afresh; an old file that is not a usable index is rebuilt by :func:`connect`.
    """
    new, old = index_path(root), legacy_index_path(root)
    if new.exists() or not old.exists():
        return new
    new.parent.mkdir(parents=True, exist_ok=True)
    try:
        for suffix in _SQLITE_COMPANIONS:
            source = old.with_name(old.name + suffix)
            if source.exists():
                os.replace(source, new.with_name(new.name + suffix))
    except OSError as exc:
        # another file system, or a file in use: a cache can be rebuilt, the statuses come
        # back from the studies' mirror files
        log.warning("worklist index %s not moved to %s (%s); indexing afresh", old, new, exc)
        for suffix in _SQLITE_COMPANIONS:
            new.with_name(new.name + suffix).unlink(missing_ok=True)
    else:
        log.info("worklist index moved from the data folder to the cache folder: %s", new)
    return new


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating or rebuilding as needed) the cache at ``path``.

    A connection belongs to the thread that opened it: the background scan opens its own.
    WAL mode lets the GUI read while a scan (or a second program) writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn, version = _open(path)
    except sqlite3.DatabaseError as exc:
        # not an SQLite file (a truncated copy, something else under the name): a cache
        log.warning("worklist index %s unreadable (%s); rebuilding it", path, exc)
        for suffix in _SQLITE_COMPANIONS:
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        conn, version = _open(path)
    if version != INDEX_VERSION:
        with conn:
            for table in ("files", "sidecars", "status_files", "statuses"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.executescript(_TABLES)
            conn.execute(f"PRAGMA user_version={INDEX_VERSION}")
    return conn


def _open(path: Path) -> tuple[sqlite3.Connection, int]:
    conn = sqlite3.connect(path, timeout=30.0)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn, version


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


_FS_BYTES = "fsbytes:"
"""Marks a text SQLite could not store as it is (a name that is not valid UTF-8): hex of its bytes."""


def to_db(value: Any) -> Any:
    """``value`` as SQLite can store it: text that is not valid UTF-8 (a file name in another
    encoding, kept by Python as surrogates) becomes ``fsbytes:`` and the hex of its bytes."""
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _FS_BYTES + value.encode("utf-8", "surrogateescape").hex()
    return value


def from_db(value: Any) -> Any:
    """The inverse of :func:`to_db`."""
    if isinstance(value, str) and value.startswith(_FS_BYTES):
        try:
            return bytes.fromhex(value[len(_FS_BYTES) :]).decode("utf-8", "surrogateescape")
        except ValueError:
            return value
    return value


def _row(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(to_db(v) for v in values)


def _back(row: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(from_db(v) for v in row)


def stamps(conn: sqlite3.Connection, table: str) -> dict[str, Stamp]:
    """``path -> (mtime_ns, size)`` of every file the table knows."""
    if table not in ("files", "sidecars", "status_files"):
        raise ValueError(f"no stamped table {table!r}")
    return {from_db(p): (m, s) for p, m, s in conn.execute(f"SELECT path, mtime_ns, size FROM {table}")}


def forget(conn: sqlite3.Connection, table: str, paths: Iterable[str]) -> None:
    """Drop the rows of files that are gone."""
    if table not in ("files", "sidecars", "status_files"):
        raise ValueError(f"no stamped table {table!r}")
    conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(to_db(p),) for p in paths])


def put_files(conn: sqlite3.Connection, records: Sequence[FileRecord]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [_row(astuple(r)) for r in records],
    )


def put_sidecars(conn: sqlite3.Connection, records: Sequence[SidecarRecord]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO sidecars VALUES (?,?,?,?,?,?,?,?,?)", [_row(astuple(r)) for r in records]
    )


def put_status_file(conn: sqlite3.Connection, path: str, stamp: Stamp, error: str | None) -> None:
    conn.execute("INSERT OR REPLACE INTO status_files VALUES (?,?,?,?)", _row((path, *stamp, error)))


def image_files(conn: sqlite3.Connection) -> list[FileRecord]:
    """Every image file with a Study Instance UID, in path order."""
    rows = conn.execute("SELECT * FROM files WHERE kind = 'image' AND study_uid != '' ORDER BY path")
    return [FileRecord(*_back(row)) for row in rows]


def problem_files(conn: sqlite3.Connection) -> list[FileRecord]:
    """Files whose header could not be read, in path order."""
    return [
        FileRecord(*_back(row))
        for row in conn.execute("SELECT * FROM files WHERE kind = 'error' ORDER BY path")
    ]


def sidecars(conn: sqlite3.Connection) -> list[SidecarRecord]:
    return [SidecarRecord(*_back(row)) for row in conn.execute("SELECT * FROM sidecars ORDER BY path")]


def statuses(conn: sqlite3.Connection) -> list[StatusRecord]:
    return [StatusRecord(*_back(row)) for row in conn.execute("SELECT * FROM statuses")]


def status(conn: sqlite3.Connection, study_uid: str, reader_key: str) -> StatusRecord | None:
    row = conn.execute(
        "SELECT * FROM statuses WHERE study_uid = ? AND reader_key = ?", _row((study_uid, reader_key))
    ).fetchone()
    return StatusRecord(*_back(row)) if row else None


def put_status(conn: sqlite3.Connection, record: StatusRecord) -> None:
    conn.execute("INSERT OR REPLACE INTO statuses VALUES (?,?,?,?,?)", _row(astuple(record)))
