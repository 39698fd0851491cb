"""The local copy of studies retrieved from DICOMweb servers: size-limited, least recently used out.

Layout, in the user's cache folder (:func:`viewer.store.locations.user_cache_dir`)::

    dicomweb/<server key>/<Study Instance UID>/<Series Instance UID>/<SOP Instance UID>.dcm
    dicomweb/<server key>/<Study Instance UID>/.complete     (JSON: the instances, when retrieved)

A study folder holds DICOM files only, so it opens like any local folder; the hidden
``.complete`` marker says every instance is there, and its modification time is the
study's last use. When the cache grows past its limit the studies used longest ago are
removed, never the one being opened. Files are written atomically: a killed retrieval
leaves no half file, only missing ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson

from viewer.store.atomic import write_atomic
from viewer.store.locations import user_cache_dir

DEFAULT_LIMIT_BYTES = 20 * 1024**3
"""20 GiB: a few hundred screening studies; Preferences changes it."""
COMPLETE_MARKER = ".complete"
_SAFE = re.compile(r"[^0-9A-Za-z.\-]+")


def server_key(base_url: str) -> str:
    """A folder name for a server: its host, port and path, readable, plus a short hash.

    The hash keeps two URLs that read alike apart; no credential is part of a URL we keep.
    """
    text = re.sub(r"^[a-z]+://", "", base_url.strip().lower().rstrip("/"))
    text = text.split("@")[-1]  # never a user:password@ part
    digest = hashlib.sha256(base_url.strip().rstrip("/").encode()).hexdigest()[:8]
    return f"{_SAFE.sub('_', text)[:60]}-{digest}"


def safe_uid(uid: str) -> str:
    """A UID as a folder or file name (UIDs are digits and dots; anything else is replaced)."""
    cleaned = _SAFE.sub("_", uid.strip())[:64]
    if not cleaned:
        raise ValueError("an empty UID cannot name a folder")
    return cleaned


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


class StudyCache:
    """Retrieved studies on disk under ``root``, kept below ``limit_bytes``."""

    def __init__(self, root: Path | None = None, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.root = Path(root) if root is not None else user_cache_dir() / "dicomweb"
        self.limit_bytes = int(limit_bytes)

    def study_folder(self, key: str, study_uid: str) -> Path:
        return self.root / key / safe_uid(study_uid)

    def instance_path(self, key: str, study_uid: str, series_uid: str, sop_uid: str) -> Path:
        return self.study_folder(key, study_uid) / safe_uid(series_uid) / f"{safe_uid(sop_uid)}.dcm"

    def has_instance(self, key: str, study_uid: str, series_uid: str, sop_uid: str) -> bool:
        return self.instance_path(key, study_uid, series_uid, sop_uid).is_file()

    def store_instance(self, key: str, study_uid: str, series_uid: str, sop_uid: str, ds: Any) -> Path:
        """Write a retrieved dataset (a pydicom Dataset with its file meta) atomically."""
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        path = self.instance_path(key, study_uid, series_uid, sop_uid)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buffer.getvalue())
        return path

    def complete_folder(self, key: str, study_uid: str) -> Path | None:
        """The study's folder when every instance was retrieved (and mark it used); else None."""
        folder = self.study_folder(key, study_uid)
        marker = folder / COMPLETE_MARKER
        try:
            listed = orjson.loads(marker.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        names = {p.stem for p in folder.glob("*/*.dcm")}
        if not set(listed.get("instances", [])) <= names:
            return None  # a file was removed by hand: retrieve what is missing
        with contextlib.suppress(OSError):
            os.utime(marker)
        return folder

    def listed_instances(self, key: str, study_uid: str) -> set[str]:
        """The instances (as file names, :func:`safe_uid`) the study's marker lists; empty if none."""
        marker = self.study_folder(key, study_uid) / COMPLETE_MARKER
        try:
            return set(orjson.loads(marker.read_bytes()).get("instances", []))
        except (OSError, orjson.JSONDecodeError, AttributeError):
            return set()

    def mark_complete(self, key: str, study_uid: str, sop_uids: list[str]) -> Path:
        """Record that every instance is here, then trim the cache to its limit."""
        folder = self.study_folder(key, study_uid)
        folder.mkdir(parents=True, exist_ok=True)
        marker = {"instances": [safe_uid(u) for u in sop_uids], "retrieved": time.time()}
        write_atomic(folder / COMPLETE_MARKER, orjson.dumps(marker))
        self.trim(keep=folder)
        return folder

    def studies(self) -> list[tuple[float, Path]]:
        """(last use, folder) of every study in the cache, least recently used first."""
        found = []
        for server in sorted(p for p in self.root.glob("*") if p.is_dir()):
            for study in (p for p in server.iterdir() if p.is_dir()):
                marker = study / COMPLETE_MARKER
                try:
                    used = marker.stat().st_mtime
                except OSError:
                    used = study.stat().st_mtime  # incomplete: goes first
                found.append((used, study))
        return sorted(found)

    def size(self) -> int:
        return _size(self.root) if self.root.exists() else 0

    def trim(self, keep: Path | None = None) -> list[Path]:
        """Remove the least recently used studies until the cache is within its limit.

        Returns the folders removed; ``keep`` (the study being opened) is never one.
        """
        studies = self.studies()
        sizes = {folder: _size(folder) for _used, folder in studies}
        total = sum(sizes.values())
        removed = []
        for _used, folder in studies:
            if total <= self.limit_bytes:
                break
            if keep is not None and folder == keep:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            total -= sizes[folder]
            removed.append(folder)
        return removed
