"""Python's cyclic garbage collection, on the GUI thread only.

CPython runs the cyclic collector in whichever thread happens to allocate when a threshold
is crossed: a landmark search, a prior search or a decode reply thread. When the garbage
holds a Qt object (a panel or a layer dropped while it was still subscribed to a model, so
in a reference cycle), its C++ destructor then runs off the GUI thread, which Qt does not
allow: the process crashes later, in the event loop, far from the cause. This was seen
once in a few full test runs, with a landmark search thread running.

:class:`GuiCollector` turns automatic collection off and collects on a timer of the GUI
thread instead, with the interpreter's own generational thresholds (the approach of
pyqtgraph's ``GarbageCollector``), so garbage is still collected, only never elsewhere.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiCollector(QObject):
    """While it lives (or until :meth:`stop`), cycles are collected on the GUI thread only."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> int:
        """Collect the generations whose counts passed their thresholds; the objects found."""
        found = 0
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self._thresholds[generation]:
                break
            found += gc.collect(generation)
        return found

    def stop(self) -> None:
        """Collect everything now and give collection back to the interpreter."""
        self.timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
