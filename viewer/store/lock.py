"""A lock that stops a second mammo-viewer from writing the same reader's annotations.

Two files beside the sidecar. The OS lock (``filelock``: ``flock`` on POSIX, ``LockFileEx`` on
Windows) on the hidden ``.NAME.lock`` decides who holds it: the operating system drops it when
its process ends, however it ends, so a crash never leaves a study locked, and two processes
taking over the same stale lock cannot both win. The visible ``NAME.lock`` is a small JSON file
(owner, host, pid, time, program) that says who holds it, for the message the second instance
shows. A JSON lock left by a program that had no OS lock (an older mammo-viewer) is still
respected while its process runs; one from another host cannot be checked and is respected.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout

from viewer import __version__
from viewer.core.annotations import utc_now
from viewer.store.atomic import os_error_reason, write_atomic
from viewer.store.errors import SidecarError


class LockHeldError(SidecarError):
    """Another running mammo-viewer holds the lock; ``holder`` says who."""

    def __init__(self, message: str, holder: LockInfo | None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock: the reader and OS user, the machine, the process and since when.

    ``os_lock`` is True when the holder also holds the OS lock, so that the lock file is stale
    exactly when the OS lock is free (whatever its pid).
    """

    owner: str
    host: str
    pid: int
    time: str
    program: str = ""
    os_lock: bool = False

    def describe(self) -> str:
        return f"{self.owner or 'unknown user'} (process {self.pid} on {self.host}, since {self.time})"

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.__dict__, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)

    @classmethod
    def from_bytes(cls, data: bytes) -> LockInfo | None:
        """The lock's content, or None when it is not a lock this program wrote."""
        try:
            d: Any = orjson.loads(data)
            return cls(
                str(d["owner"]),
                str(d["host"]),
                int(d["pid"]),
                str(d["time"]),
                str(d.get("program", "")),
                d.get("os_lock") is True,
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None


def pid_alive(pid: int) -> bool:
    """True when a process with this id runs on this machine (or when that cannot be known)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def _this_process(owner: str) -> LockInfo:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = ""
    who = f"{owner} [{user}]" if owner and user else owner or user
    return LockInfo(who, socket.gethostname(), os.getpid(), utc_now(), f"mammo-viewer {__version__}", True)


def os_lock_path(path: Path) -> Path:
    """The hidden file the OS lock of the lock file ``path`` is taken on."""
    return path.with_name(f".{path.name}")


class Lock:
    """A held lock; :meth:`release` removes the lock file if it is still ours, then the OS lock."""

    def __init__(self, path: Path, info: LockInfo, content: bytes, os_lock: FileLock) -> None:
        self.path = path
        self.info = info
        self._content = content
        self._os_lock = os_lock
        self._released = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        with contextlib.suppress(OSError):
            if self.path.read_bytes() == self._content:
                self.path.unlink()
        with contextlib.suppress(OSError):
            self._os_lock.release(force=True)


def _read_info(path: Path) -> tuple[bytes | None, LockInfo | None]:
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        return None, None
    return current, LockInfo.from_bytes(current)


def _stale_reason(path: Path, holder: LockInfo | None) -> str | None:
    """Why an existing lock file may be replaced (we hold the OS lock), or None to respect it."""
    if holder is None:
        return f"an unreadable lock file {path} was replaced"
    if holder.host != socket.gethostname():
        return None
    if holder.os_lock:  # its holder had the OS lock, which we now have: it is gone
        return f"a stale lock left by {holder.describe()}, which no longer runs, was taken over"
    if holder.pid == os.getpid():
        return f"a lock left by an earlier run ({holder.describe()}) was taken over"
    if pid_alive(holder.pid):
        return None  # an older mammo-viewer without the OS lock, still running
    return f"a stale lock left by {holder.describe()}, which no longer runs, was taken over"


def _held_message(holder: LockInfo | None, path: Path) -> str:
    who = holder.describe() if holder is not None else "a program that is starting or closing"
    return (
        f"these annotations are being edited in another mammo-viewer by {who}; they open "
        f"read-only here. Close the other window, or delete {path} if you are sure it no longer runs."
    )


def acquire(path: Path, owner: str, wait: float = 0.0) -> tuple[Lock, str | None]:
    """Take the lock at ``path`` for ``owner``, waiting up to ``wait`` seconds for its holder.

    Returns the lock and a notice when a stale lock was taken over (else None).

    Raises
    ------
    LockHeldError
        When another running instance holds it (after ``wait`` seconds).
    SidecarError
        When the lock file cannot be written (read-only folder).
    """
    path = Path(path)
    info = _this_process(owner)
    content = info.to_bytes()
    os_lock = FileLock(os_lock_path(path), thread_local=False)
    try:
        try:
            os_lock.acquire(timeout=max(0.0, wait))
        except Timeout:
            raise LockHeldError(_held_message(_read_info(path)[1], path), _read_info(path)[1]) from None
        try:
            current, holder = _read_info(path)
            notice: str | None = None
            if current is not None:
                notice = _stale_reason(path, holder)
                if notice is None:
                    raise LockHeldError(_held_message(holder, path), holder)
            write_atomic(path, content)
        except BaseException:
            os_lock.release(force=True)
            raise
    except OSError as exc:
        raise SidecarError(f"cannot create the lock file {path}: {os_error_reason(exc)}") from None
    except SidecarError as exc:
        if isinstance(exc, LockHeldError):
            raise
        # write_atomic's own message names the file and says the old one is unchanged: only its reason
        cause = exc.__cause__
        reason = os_error_reason(cause) if isinstance(cause, OSError) else str(exc)
        raise SidecarError(f"cannot create the lock file {path}: {reason}") from None
    return Lock(path, info, content, os_lock), notice
