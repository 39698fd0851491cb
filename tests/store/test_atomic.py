"""Tests of viewer.store.atomic: replace a file completely or not at all."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from viewer.store import atomic
from viewer.store.errors import SidecarError


class TestWriteAtomic:
    def test_writes_and_replaces(self, tmp_path: Path) -> None:
        """The file holds exactly the last bytes written, and no temporary file remains."""
        target = tmp_path / "a.json"
        atomic.write_atomic(target, b"one")
        atomic.write_atomic(target, b"two")
        assert target.read_bytes() == b"two"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]

    def test_missing_folder(self, tmp_path: Path) -> None:
        """A folder that is a file (cannot hold files) gives a message naming the file."""
        blocker = tmp_path / "not-a-folder"
        blocker.write_bytes(b"x")
        with pytest.raises(SidecarError, match=r"cannot save .*not-a-folder/a\.json: the folder"):
            atomic.write_atomic(blocker / "a.json", b"data")

    def test_disk_full_keeps_earlier_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A write that fails half-way (ENOSPC) says 'disk is full' and keeps the old file."""
        target = tmp_path / "a.json"
        atomic.write_atomic(target, b"earlier")
        real_write = os.write

        def full(fd: int, data: bytes) -> int:
            real_write(fd, bytes(data)[:3])
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", full)
        with pytest.raises(SidecarError, match=r"the disk is full.*earlier version .* unchanged"):
            atomic.write_atomic(target, b"new content")
        assert target.read_bytes() == b"earlier"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]

    def test_read_only_folder_message(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """EROFS (a read-only mount; chmod cannot simulate it for root) reads as read-only."""

        def refuse(*args: object, **kwargs: object) -> int:
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr(os, "open", refuse)
        with pytest.raises(SidecarError, match="read-only"):
            atomic.write_atomic(tmp_path / "a.json", b"x")

    def test_leftover_temp_files(self, tmp_path: Path) -> None:
        """Temporary names of a file are found (and only those)."""
        target = tmp_path / "a.json"
        tmp = atomic.temp_name(target)
        tmp.write_bytes(b"")
        (tmp_path / "b.json").write_bytes(b"")
        assert atomic.leftover_temp_files(target) == [tmp]
