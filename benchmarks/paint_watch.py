"""Timing a frame as the user waits for it: from a change until the paint it causes has run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any


class PaintWatch:
    """Counts paint events of widgets' viewports, to wait for the paint a change causes."""

    def __init__(self, widgets: Iterable[Any]) -> None:
        from PySide6.QtCore import QEvent, QObject

        watch = self

        class _Filter(QObject):
            def eventFilter(self, obj: Any, event: Any) -> bool:
                if event.type() == QEvent.Type.Paint:
                    watch.counts[obj] = watch.counts.get(obj, 0) + 1
                    watch.last_paint[obj] = time.perf_counter()
                return False

        self._filter = _Filter()
        self.counts: dict[Any, int] = {}
        self.last_paint: dict[Any, float] = {}
        self.viewports = [w.viewport() for w in widgets]
        for viewport in self.viewports:
            viewport.installEventFilter(self._filter)

    def snapshot(self) -> list[int]:
        return [self.counts.get(v, 0) for v in self.viewports]

    def frame(self, app: Any, change: Callable[[], None], busy: Callable[[], bool]) -> float:
        """Milliseconds from ``change()`` until every viewport has painted and ``busy()`` is over."""
        before = self.snapshot()
        t0 = time.perf_counter()
        change()
        for _ in range(1000):
            app.processEvents()
            if not busy() and all(a > b for a, b in zip(self.snapshot(), before, strict=True)):
                break
        return (time.perf_counter() - t0) * 1000.0
