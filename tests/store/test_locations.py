"""Tests for viewer.store.locations: the per-user data and cache folders."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from viewer.sources.worklist_index import index_path
from viewer.store.locations import user_cache_dir, user_data_dir


@pytest.fixture
def no_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Neither variable set; on Linux the XDG folders point into ``tmp_path``."""
    monkeypatch.delenv("MAMMO_VIEWER_DATA_DIR", raising=False)
    monkeypatch.delenv("MAMMO_VIEWER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path


class TestUserFolders:
    def test_data_override(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """MAMMO_VIEWER_DATA_DIR is the data folder, created on first use; the cache lives inside it."""
        monkeypatch.delenv("MAMMO_VIEWER_CACHE_DIR", raising=False)
        monkeypatch.setenv("MAMMO_VIEWER_DATA_DIR", str(tmp_path / "portable"))
        assert user_data_dir() == tmp_path / "portable" and (tmp_path / "portable").is_dir()
        assert user_cache_dir() == tmp_path / "portable" / "cache"

    def test_cache_override(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """MAMMO_VIEWER_CACHE_DIR wins for the cache, and the worklist index goes there."""
        monkeypatch.setenv("MAMMO_VIEWER_CACHE_DIR", str(tmp_path / "c"))
        assert user_cache_dir() == tmp_path / "c"
        assert index_path(tmp_path / "tree").parent == tmp_path / "c" / "worklist"

    def test_os_folders(self, no_overrides: Path) -> None:
        """Without the variables the folders are the OS's, as platformdirs names them, and differ."""
        data, cache = user_data_dir(), user_cache_dir()
        assert data == Path(platformdirs.user_data_dir("mammo-viewer", appauthor=False, roaming=True))
        assert cache == Path(platformdirs.user_cache_dir("mammo-viewer", appauthor=False))
        assert data != cache and data.is_dir() and cache.is_dir()
        if sys.platform.startswith("linux"):
            assert data == no_overrides / "xdg-data" / "mammo-viewer"
            assert cache == no_overrides / "xdg-cache" / "mammo-viewer"
