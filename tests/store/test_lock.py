"""Tests of viewer.store.lock: one writer per annotation file, stale locks taken over."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from viewer.store import lock
from viewer.store.errors import SidecarError


def _dead_pid() -> int:
    """The id of a process that has just ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write_lock(path: Path, pid: int, host: str | None = None) -> None:
    info = lock.LockInfo("someone", host or socket.gethostname(), pid, "2025-01-01T00:00:00Z")
    path.write_bytes(info.to_bytes())


class TestAcquire:
    def test_records_owner_host_pid_time(self, tmp_path: Path) -> None:
        """The lock file says who holds it, where, in which process and since when."""
        path = tmp_path / "a.lock"
        held, notice = lock.acquire(path, "dr a")
        try:
            info = orjson.loads(path.read_bytes())
            assert info["owner"].startswith("dr a")
            assert info["host"] == socket.gethostname()
            assert info["pid"] == os.getpid()
            assert info["time"].endswith("Z")
            assert notice is None
        finally:
            held.release()
        assert not path.exists()

    def test_second_holder_in_same_process_refused(self, tmp_path: Path) -> None:
        """A second window of this process cannot take a lock this process holds."""
        path = tmp_path / "a.lock"
        held, _ = lock.acquire(path, "dr a")
        try:
            with pytest.raises(lock.LockHeldError, match="another mammo-viewer") as info:
                lock.acquire(path, "dr a")
            assert info.value.holder is not None and info.value.holder.pid == os.getpid()
        finally:
            held.release()
        lock.acquire(path, "dr a")[0].release()

    def test_live_process_respected(self, tmp_path: Path) -> None:
        """A lock of another running process is respected."""
        path = tmp_path / "a.lock"
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            _write_lock(path, proc.pid)
            with pytest.raises(lock.LockHeldError, match=f"process {proc.pid}"):
                lock.acquire(path, "dr b")
        finally:
            proc.kill()
            proc.wait()

    def test_dead_process_taken_over(self, tmp_path: Path) -> None:
        """A lock whose process no longer runs is taken over, with a notice naming it."""
        path = tmp_path / "a.lock"
        pid = _dead_pid()
        _write_lock(path, pid)
        held, notice = lock.acquire(path, "dr b")
        try:
            assert notice is not None and f"process {pid}" in notice
            assert "no longer runs" in notice
            assert orjson.loads(path.read_bytes())["pid"] == os.getpid()
        finally:
            held.release()

    def test_other_host_respected(self, tmp_path: Path) -> None:
        """A lock from another machine cannot be checked, so it is respected."""
        path = tmp_path / "a.lock"
        _write_lock(path, _dead_pid(), host="another-host.example")
        with pytest.raises(lock.LockHeldError, match=r"another-host\.example"):
            lock.acquire(path, "dr b")

    def test_unreadable_lock_replaced(self, tmp_path: Path) -> None:
        """A lock file this program did not write is replaced, with a notice."""
        path = tmp_path / "a.lock"
        path.write_bytes(b"\x00garbage")
        held, notice = lock.acquire(path, "dr b")
        assert notice is not None and "unreadable" in notice
        held.release()

    def test_release_leaves_foreign_lock(self, tmp_path: Path) -> None:
        """Releasing does not delete a lock someone else wrote in the meantime."""
        path = tmp_path / "a.lock"
        held, _ = lock.acquire(path, "dr a")
        _write_lock(path, 12345, host="elsewhere")
        held.release()
        assert path.exists()

    def test_unwritable_folder(self, tmp_path: Path) -> None:
        """A lock that cannot be created is a SidecarError naming the lock file."""
        blocker = tmp_path / "file"
        blocker.write_bytes(b"")
        with pytest.raises(SidecarError, match="cannot create the lock file"):
            lock.acquire(blocker / "a.lock", "dr a")

    def test_disk_full_said_once(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A full disk reads 'cannot create the lock file X: the disk is full', one reason, no
        nested 'cannot save X: ... unchanged.' of the lock file's own write."""

        def full(fd: int, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", full)
        target = tmp_path / "a.lock"
        with pytest.raises(SidecarError) as raised:
            lock.acquire(target, "dr a")
        assert str(raised.value) == f"cannot create the lock file {target}: the disk is full"

    def test_takeovers_at_once_cannot_both_win(self, tmp_path: Path) -> None:
        """Six processes taking over the same stale lock at the same moment: exactly one wins."""
        path = tmp_path / "a.lock"
        _write_lock(path, _dead_pid())
        go = tmp_path / "go"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _TAKEOVER, str(path), str(go), f"reader {n}"],
                stdout=subprocess.PIPE,
                text=True,
            )
            for n in range(6)
        ]
        try:
            for proc in procs:  # every process has imported the lock and waits for the signal
                assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            go.touch()
            said = [proc.communicate(timeout=120)[0].strip() for proc in procs]
        finally:
            for proc in procs:
                proc.kill()
        assert sorted(said) == ["lost"] * 5 + ["won"]


_TAKEOVER = """
import sys, time
from pathlib import Path
from viewer.store.lock import LockHeldError, acquire
path, go, owner = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
try:
    held, _ = acquire(path, owner)
except LockHeldError:
    print("lost", flush=True)
else:
    time.sleep(5.0)  # held while the others try
    held.release()
    print("won", flush=True)
"""
"""One of the processes of the takeover test: waits for ``go``, then takes the lock or is refused."""


class TestPidAlive:
    def test_self_and_dead(self) -> None:
        """This process runs; a finished one does not."""
        assert lock.pid_alive(os.getpid())
        assert not lock.pid_alive(_dead_pid())
        assert not lock.pid_alive(0)
