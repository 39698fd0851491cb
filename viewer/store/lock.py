"""A lock file that stops a second mammo-viewer from writing the same reader's annotations.

The lock is a small JSON file (owner, host, pid, time, program) beside the sidecar. It is
created atomically (written to a temporary name, then hard-linked to the lock name, which
fails if a lock exists), so a lock file is never half written. A lock left by a process
that died (same host, pid no longer running) is stale: it is taken over and the caller is
told. A lock from another host cannot be checked and is respected.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from viewer import __version__
from viewer.core.annotations import utc_now
from viewer.store.atomic import temp_name
from viewer.store.errors import SidecarError

# Lock files this process holds: a second store in the same process (a second window on the
# same study) must see them as taken even though their pid is alive and is ours.
_HELD: set[Path] = set()
_HELD_GUARD = threading.Lock()


class LockHeldError(SidecarError):
    """Another running mammo-viewer holds the lock; ``holder`` says who."""

    def __init__(self, message: str, holder: LockInfo | None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock: the reader and OS user, the machine, the process and since when."""

    owner: str
    host: str
    pid: int
    time: str
    program: str = ""

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
                str(d["owner"]), str(d["host"]), int(d["pid"]), str(d["time"]), str(d.get("program", ""))
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
    return LockInfo(who, socket.gethostname(), os.getpid(), utc_now(), f"mammo-viewer {__version__}")


class Lock:
    """A held lock; :meth:`release` removes the file if it is still ours."""

    def __init__(self, path: Path, info: LockInfo, content: bytes) -> None:
        self.path = path
        self.info = info
        self._content = content
        self._released = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        with _HELD_GUARD:
            _HELD.discard(self.path)
        with contextlib.suppress(OSError):
            if self.path.read_bytes() == self._content:
                self.path.unlink()


def _create(path: Path, content: bytes) -> bool:
    """Create ``path`` with ``content`` if it does not exist; False if it does."""
    tmp = temp_name(path)
    tmp.write_bytes(content)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:
        # file systems without hard links (FAT, some shares): exclusive create instead
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        return True
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _stale_reason(path: Path, current: bytes, holder: LockInfo | None) -> str | None:
    """Why the existing lock may be taken over, or None if it must be respected."""
    if holder is None:
        return f"an unreadable lock file {path} was replaced"
    if holder.host != socket.gethostname():
        return None
    with _HELD_GUARD:
        held_here = path in _HELD
    if holder.pid == os.getpid():
        if held_here:
            return None
        return f"a lock left by an earlier run ({holder.describe()}) was taken over"
    if pid_alive(holder.pid):
        return None
    return f"a stale lock left by {holder.describe()}, which no longer runs, was taken over"


def acquire(path: Path, owner: str) -> tuple[Lock, str | None]:
    """Take the lock at ``path`` for ``owner``.

    Returns the lock and a notice when a stale lock was taken over (else None).

    Raises
    ------
    LockHeldError
        When another running instance holds it.
    SidecarError
        When the lock file cannot be written (read-only folder).
    """
    path = Path(path)
    info = _this_process(owner)
    content = info.to_bytes()
    notice: str | None = None
    try:
        for _ in range(5):
            if _create(path, content):
                with _HELD_GUARD:
                    _HELD.add(path)
                return Lock(path, info, content), notice
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                continue  # released in between: try again
            holder = LockInfo.from_bytes(current)
            reason = _stale_reason(path, current, holder)
            if reason is None:
                assert holder is not None
                raise LockHeldError(
                    f"these annotations are being edited in another mammo-viewer by "
                    f"{holder.describe()}; they open read-only here. Close the other window, "
                    f"or delete {path} if you are sure it no longer runs.",
                    holder,
                )
            # only remove the lock we judged stale, not one another process just made
            with contextlib.suppress(OSError):
                if path.read_bytes() == current:
                    path.unlink()
            notice = reason
    except OSError as exc:
        raise SidecarError(f"cannot create the lock file {path}: {exc.strerror or exc}") from None
    raise LockHeldError(f"could not take the lock {path}: other programs keep changing it", None)
