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

A full collection walks every container of the process: ~200,000 before any study, ~280,000
with 10,000 marks open, ~100 ms of the GUI thread wherever the timer happens to be. What
survives a full collection is frozen (``gc.freeze``: kept out of later collections), so later
ones walk only what was made since; :func:`thaw` gives the frozen objects back when a study is
opened or closed, so the cycles the study left behind are collected by the next full pass.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500

_holds: set[str] = set()


def hold(reason: str) -> None:
    """Skip the timer's collections until :func:`release` of ``reason``.

    For work known to make many objects and no garbage, where a collection would walk them
    all for nothing: a 10,000-mark file being read on another thread (~600,000 containers),
    a save being encoded.
    """
    _holds.add(reason)


def release(reason: str) -> None:
    """End :func:`hold` of ``reason`` (nothing when it was not held)."""
    _holds.discard(reason)


def freeze() -> None:
    """Keep every object alive now out of later collections, until :func:`thaw`.

    Called when a study's marks arrive: the ~600,000 objects of 10,000 marks are no garbage,
    and the next full pass walked them all (~55 ms of UI CPU, 115 ms on a loaded machine).
    Garbage alive now (what the last study left in cycles) is collected after the next
    :func:`thaw`, when a study is opened or closed.
    """
    gc.freeze()


def thaw() -> None:
    """Give the objects frozen after the last full collection back to the collector.

    Called when the open study changes: what the study left behind in reference cycles was
    frozen with everything else and is freed only once it is collected again.
    """
    gc.unfreeze()


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
        """Collect the generations whose counts passed their thresholds; the objects found.

        After a full collection (the oldest generation) the survivors are frozen. Nothing is
        collected while something :func:`hold` s it (the next tick after does).
        """
        if _holds:
            return 0
        found = 0
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self._thresholds[generation]:
                break
            found += gc.collect(generation)
            if generation == 2:
                gc.freeze()
        return found

    def stop(self) -> None:
        """Collect everything now and give collection back to the interpreter."""
        self.timer.stop()
        thaw()
        gc.collect()
        if self._was_enabled:
            gc.enable()
