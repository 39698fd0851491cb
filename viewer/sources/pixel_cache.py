"""The decoded-pixel cache: a fast-to-decode copy of every frame decoded, on disk.

A JPEG 2000 mammogram takes about two seconds of CPU to decode; the same stored values
compressed with Blosc (Zstandard over bit-shuffled bytes, lossless) decode in a few tens
of milliseconds, at under half the raw size. The first decode of a frame writes such a
copy into the user cache folder; a later open of the same file reads it instead of
running the original decoder.

Entries are keyed by the image's SOP Instance UID, the frame, and the file's identity
(device, inode, size, modification time): a changed or replaced file misses the cache,
so the cache never changes what is displayed. An entry holds the frame exactly as
:func:`viewer.dicom.decode.decode_frame` returned it (before any clipping).

Crash safety: an entry is written to a temporary name and renamed into place (a reader
sees a whole entry or none); every entry carries its length and a CRC-32 of its header and payload,
so a torn or corrupt one (a power cut, a disk error) is detected, deleted and rebuilt,
never shown. The folder is kept under a size limit by deleting the least recently used
entries (a hit refreshes an entry's modification time). Several processes may use one
folder at once: every step tolerates another process deleting or replacing an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from viewer.store.locations import user_cache_dir

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAGIC = b"MVPC\x00\x01\r\n"
"""Eight bytes that open every entry (the format's name and version; CR LF catches text-mode copies)."""
_HEAD = struct.Struct("<8sIQI")  # magic, header length, payload length, CRC-32 of header + payload
ENTRY_SUFFIX = ".mvpc"
TEMP_SUFFIX = ".tmp"
DEFAULT_LIMIT_BYTES = 4 << 30
"""Default size limit: about 100 four-view studies of 4096x5120 12-bit images."""
STALE_TEMP_S = 3600.0
"""A temporary file this old was left by a process that died mid-write: removed on eviction."""
_CLEVEL = 1
"""Zstandard level 1: level 5 gains 1-3 % in size for 1.6x the compression time."""


def default_cache_dir() -> Path:
    """The ``pixels`` folder of the user cache folder (:func:`viewer.store.locations.user_cache_dir`)."""
    return user_cache_dir() / "pixels"


@dataclass(frozen=True)
class CacheKey:
    """What identifies a decoded frame: the instance, the frame and the file's identity."""

    sop_instance_uid: str
    frame: int
    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path | str, sop_instance_uid: str, frame: int) -> CacheKey:
        """The key of ``frame`` of the file at ``path`` as it is now (raises OSError if gone)."""
        st = os.stat(path)
        return cls(sop_instance_uid, int(frame), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    @property
    def name(self) -> str:
        """The entry's file name: a hash of the key (UIDs and numbers only, no path)."""
        text = (
            f"{FORMAT_VERSION}|{self.sop_instance_uid}|{self.frame}|{self.device}|{self.inode}|"
            f"{self.size}|{self.mtime_ns}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40] + ENTRY_SUFFIX


@dataclass(frozen=True)
class PixelCache:
    """A folder of decoded frames kept under ``limit_bytes`` (least recently used go first).

    Picklable (a folder and a number): worker processes get it as a job argument.
    """

    folder: Path
    limit_bytes: int = DEFAULT_LIMIT_BYTES

    def path_of(self, key: CacheKey) -> Path:
        return self.folder / key.name

    def contains(self, key: CacheKey) -> bool:
        """True if an entry exists for ``key`` (not checked: :meth:`get` may still reject it)."""
        return self.path_of(key).is_file()

    # -- reading ------------------------------------------------------------------------

    def get(self, key: CacheKey) -> NDArray[Any] | None:
        """The cached frame, or None when there is none or it is torn or corrupt (then deleted)."""
        import blosc

        path = self.path_of(key)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        try:
            header, payload = _parse(data)
            shape = tuple(int(n) for n in header["shape"])
            dtype = np.dtype(str(header["dtype"]))
            if header.get("key") != key.name or len(shape) != 2:
                raise ValueError("the entry belongs to another frame")
            out = np.empty(shape, dtype=dtype)
            if blosc.decompress_ptr(payload, out.ctypes.data) != out.nbytes:
                raise ValueError("the payload does not fill the frame")
        except (ValueError, KeyError, TypeError, RuntimeError, struct.error) as exc:
            log.warning("pixel cache: %s is unusable (%s); it is deleted and rebuilt", path.name, exc)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used
        return out

    # -- writing ------------------------------------------------------------------------

    def put(self, key: CacheKey, frame: NDArray[Any]) -> bool:
        """Store ``frame`` for ``key`` atomically, then evict down to the limit.

        Returns False (and logs why) when the entry could not be written: a cache that
        cannot be written (full disk, read-only folder) only costs speed.
        """
        import blosc

        arr = np.ascontiguousarray(frame)
        if arr.ndim != 2 or arr.nbytes == 0:
            return False
        blosc.set_nthreads(1)  # a worker process per core already
        payload = blosc.compress_ptr(
            arr.ctypes.data,
            arr.size,
            arr.itemsize,
            clevel=_CLEVEL,
            shuffle=blosc.BITSHUFFLE,
            cname="zstd",
        )
        header = json.dumps(
            {"key": key.name, "shape": list(arr.shape), "dtype": arr.dtype.str, "created": time.time()}
        ).encode()
        head = _HEAD.pack(MAGIC, len(header), len(payload), zlib.crc32(payload, zlib.crc32(header)))
        path = self.path_of(key)
        tmp = self.folder / f".{key.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(head)
                fh.write(header)
                fh.write(payload)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("pixel cache: cannot write %s in %s: %s", path.name, self.folder, exc)
            with contextlib.suppress(OSError):
                tmp.unlink()
            return False
        self.evict()
        return True

    def evict(self) -> int:
        """Delete least recently used entries until the folder is under the limit.

        Also removes temporary files abandoned by a process that died mid-write. Returns
        the bytes the entries take afterwards.
        """
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        try:
            scan = list(os.scandir(self.folder))
        except OSError:
            return 0
        for item in scan:
            try:
                st = item.stat()
            except OSError:
                continue
            if item.name.endswith(TEMP_SUFFIX):
                if now - st.st_mtime > STALE_TEMP_S:
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)
                continue
            if item.name.endswith(ENTRY_SUFFIX):
                entries.append((st.st_mtime, st.st_size, Path(item.path)))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.limit_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size
        return total

    def size_bytes(self) -> int:
        """Bytes the entries take now."""
        total = 0
        with contextlib.suppress(OSError):
            for item in os.scandir(self.folder):
                if item.name.endswith(ENTRY_SUFFIX):
                    with contextlib.suppress(OSError):
                        total += item.stat().st_size
        return total

    def clear(self) -> None:
        """Delete every entry (and temporary file) of the folder."""
        with contextlib.suppress(OSError):
            for item in os.scandir(self.folder):
                if item.name.endswith((ENTRY_SUFFIX, TEMP_SUFFIX)):
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)


def _parse(data: bytes) -> tuple[dict[str, Any], memoryview]:
    """The header and payload of an entry; ValueError if it is torn or corrupt."""
    if len(data) < _HEAD.size:
        raise ValueError("the entry is shorter than its header")
    magic, header_len, payload_len, crc = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("not a pixel cache entry of this version")
    start = _HEAD.size + header_len
    if len(data) != start + payload_len:
        raise ValueError(f"the entry has {len(data)} bytes, its header says {start + payload_len}")
    payload = memoryview(data)[start:]
    if zlib.crc32(payload, zlib.crc32(memoryview(data)[_HEAD.size : start])) != crc:
        raise ValueError("the checksum does not match")
    header = json.loads(data[_HEAD.size : start])
    if not isinstance(header, dict):
        raise ValueError("the header is not an object")
    return header, payload
