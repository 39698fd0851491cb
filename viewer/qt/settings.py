"""Preferences behind one typed QSettings wrapper (stored in the user data folder)."""

from __future__ import annotations

import getpass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from viewer.sources.pacs_cache import DEFAULT_LIMIT_BYTES
from viewer.store.locations import user_data_dir


class Preferences:
    """Typed access to the user's preferences; one INI file in ``user_data_dir()``."""

    def __init__(self) -> None:
        path = user_data_dir() / "preferences.ini"
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def file(self) -> Path:
        """The INI file the preferences are kept in."""
        return Path(self._qs.fileName())

    def _get(self, key: str, default: object) -> object:
        return self._qs.value(key, default)

    @property
    def reader(self) -> str:
        value = str(self._get("reader/name", "") or "")
        if value:
            return value
        try:
            return getpass.getuser() or "reader"
        except (KeyError, OSError):
            return "reader"

    @reader.setter
    def reader(self, name: str) -> None:
        self._qs.setValue("reader/name", name.strip())

    @property
    def recent_servers(self) -> list[str]:
        """DICOMweb base URLs opened before, most recent first (never with credentials)."""
        value = self._get("servers/recent", [])
        items = [value] if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]
        return [str(v) for v in items if str(v)]

    def add_recent_server(self, base: str, keep: int = 8) -> None:
        servers = [base] + [s for s in self.recent_servers if s != base]
        self._qs.setValue("servers/recent", servers[:keep])

    @property
    def reader_was_set(self) -> bool:
        return bool(self._get("reader/name", ""))

    @property
    def show_size_labels(self) -> bool:
        return str(self._get("display/size_labels", "true")).lower() == "true"

    @show_size_labels.setter
    def show_size_labels(self, on: bool) -> None:
        self._qs.setValue("display/size_labels", "true" if on else "false")

    @property
    def link_views(self) -> bool:
        return str(self._get("display/link_views", "true")).lower() == "true"

    @link_views.setter
    def link_views(self, on: bool) -> None:
        self._qs.setValue("display/link_views", "true" if on else "false")

    @property
    def link_windowing(self) -> bool:
        return str(self._get("display/link_windowing", "true")).lower() == "true"

    @link_windowing.setter
    def link_windowing(self, on: bool) -> None:
        self._qs.setValue("display/link_windowing", "true" if on else "false")

    @property
    def cluster_min_count(self) -> int:
        return int(str(self._get("clusters/min_count", 5)))

    @cluster_min_count.setter
    def cluster_min_count(self, n: int) -> None:
        self._qs.setValue("clusters/min_count", int(n))

    @property
    def cluster_max_distance_mm(self) -> float:
        return float(str(self._get("clusters/max_distance_mm", 10.0)))

    @cluster_max_distance_mm.setter
    def cluster_max_distance_mm(self, d: float) -> None:
        self._qs.setValue("clusters/max_distance_mm", float(d))

    @property
    def cluster_max_span_mm(self) -> float:
        """The largest span of a grouped cluster (BI-RADS: "larger numbers within 2 cm")."""
        try:
            return float(str(self._get("clusters/max_span_mm", 20.0)))
        except ValueError:
            return 20.0

    @cluster_max_span_mm.setter
    def cluster_max_span_mm(self, d: float) -> None:
        self._qs.setValue("clusters/max_span_mm", float(d))

    @property
    def prefetch_studies(self) -> int:
        """Studies after the open one (worklist order) decoded ahead into the pixel cache; 0: none."""
        try:
            return max(0, int(str(self._get("speed/prefetch_studies", 1))))
        except ValueError:
            return 1

    @prefetch_studies.setter
    def prefetch_studies(self, n: int) -> None:
        self._qs.setValue("speed/prefetch_studies", max(0, int(n)))

    @property
    def pixel_cache_gb(self) -> float:
        """Size limit of the decoded-pixel cache in gigabytes (10^9 bytes)."""
        try:
            return max(0.0, float(str(self._get("speed/pixel_cache_gb", 4.0))))
        except ValueError:
            return 4.0

    @pixel_cache_gb.setter
    def pixel_cache_gb(self, gb: float) -> None:
        self._qs.setValue("speed/pixel_cache_gb", max(0.0, float(gb)))

    @property
    def server_cache_gb(self) -> float:
        """Size limit of the studies retrieved from servers, in gigabytes (10^9 bytes)."""
        try:
            return max(0.0, float(str(self._get("speed/server_cache_gb", DEFAULT_LIMIT_BYTES / 1e9))))
        except ValueError:
            return DEFAULT_LIMIT_BYTES / 1e9

    @server_cache_gb.setter
    def server_cache_gb(self, gb: float) -> None:
        self._qs.setValue("speed/server_cache_gb", max(0.0, float(gb)))

    @property
    def window_geometry(self) -> QByteArray | None:
        """The main window's last size, position and docks (``None``: never closed yet)."""
        value = self._get("window/geometry", None)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @property
    def window_state(self) -> QByteArray | None:
        value = self._get("window/state", None)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def remember_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.setValue("window/state", state)

    def recent_paths(self) -> list[str]:
        value = self._get("files/recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def add_recent_path(self, path: str) -> None:
        paths = [p for p in self.recent_paths() if p != path]
        self._qs.setValue("files/recent", [path, *paths][:10])

    def sync(self) -> None:
        self._qs.sync()
