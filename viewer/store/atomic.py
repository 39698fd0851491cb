"""Atomic file replacement: a reader sees the old file or the new one, never a mix or nothing.

The new content goes to a temporary file in the same folder (so the final rename stays on
one file system), is flushed to the disk with fsync, then renamed over the target with
``os.replace`` (atomic on POSIX and Windows), and the folder itself is fsynced so the
rename survives a power cut. A failure at any step removes the temporary file and leaves
the earlier file untouched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from viewer.store.errors import SidecarError

TEMP_SUFFIX = ".tmp"


def temp_name(path: Path) -> Path:
    """A fresh hidden temporary name beside ``path`` (``.NAME.<random>.tmp``)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def leftover_temp_files(path: Path) -> list[Path]:
    """Temporary files of ``path`` left behind by a process killed mid-save."""
    try:
        return sorted(path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"))
    except OSError:
        return []


def os_error_reason(exc: OSError) -> str:
    """What ``exc`` means for someone saving a file: 'the disk is full', 'the folder is read-only ...'."""
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the folder is read-only or you may not write there"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.ENOTDIR, errno.ENOENT):
        return "the folder does not exist"
    return exc.strerror or str(exc)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; os.replace is durable there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically and durably.

    Raises
    ------
    SidecarError
        With a message naming the file and the reason (read-only folder, disk full, ...);
        any earlier file at ``path`` is left intact.
    """
    path = Path(path)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise SidecarError(
            f"cannot save {path}: {os_error_reason(exc)}. Any earlier version of the file is unchanged."
        ) from exc
    # the rename happened; a folder that refuses fsync (some network shares) is no error
    with contextlib.suppress(OSError):
        _fsync_dir(path.parent)
