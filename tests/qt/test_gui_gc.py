"""Cyclic garbage collected on the GUI thread only (viewer.qt.gui_gc)."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from PySide6.QtWidgets import QWidget

from viewer.qt import gui_gc
from viewer.qt.gui_gc import GuiCollector


class _Holder:
    """A panel-like object in a reference cycle with the widget it owns."""

    def __init__(self) -> None:
        self.widget = QWidget()
        self.me = self


def test_a_cycle_holding_a_widget_is_freed_on_the_gui_thread_only(qtbot: Any) -> None:
    """While the collector lives no other thread collects; its timer frees the cycle here."""
    before = gc.isenabled()
    collector = GuiCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        holder = _Holder()
        gone = weakref.ref(holder)
        del holder
        # a busy worker thread allocating many objects: with automatic collection on, this is
        # where the cycle (and the QWidget's destructor) would run
        worker = threading.Thread(target=lambda: [[object()] for _ in range(200_000)])
        worker.start()
        worker.join()
        assert gone() is not None  # with automatic collection on, the worker would have freed it
        gc.collect()  # stands in for the timer: on this (the GUI) thread
        assert gone() is None
        qtbot.wait(30)  # the timer runs without error
    finally:
        collector.stop()
    assert gc.isenabled() == before  # stop() gives back what was there


def test_collect_follows_the_thresholds(qtbot: Any) -> None:
    """A collection pass of the timer frees an unreachable cycle once generation 0 is full."""
    collector = GuiCollector(interval_ms=10_000)
    try:
        holder = _Holder()
        gone = weakref.ref(holder)
        del holder
        for _ in range(gc.get_threshold()[0] + 10):
            [object()]  # fills generation 0's count
        _ = [[] for _ in range(gc.get_threshold()[0] + 10)]
        collector.collect()
        assert gone() is None
    finally:
        collector.stop()


def test_a_full_collection_freezes_its_survivors_until_thaw(qtbot: Any) -> None:
    """After a full pass the survivors are frozen (later passes skip them); thaw() frees their cycles."""
    collector = GuiCollector(interval_ms=10_000)
    try:
        gc.unfreeze()
        holder = _Holder()
        gone = weakref.ref(holder)
        collector._thresholds = (-1, -1, -1)  # every generation is due: a full pass
        collector.collect()
        assert gc.get_freeze_count() > 0
        del holder  # garbage now, but frozen: the next passes do not see it
        gc.collect()
        assert gone() is not None
        gui_gc.thaw()
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert gone() is None
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0  # stop() gives the frozen objects back


def test_nothing_is_collected_while_held(qtbot: Any) -> None:
    """While a reading or a save holds the collector its passes do nothing; after release they collect."""
    collector = GuiCollector(interval_ms=10_000)
    try:
        holder = _Holder()
        gone = weakref.ref(holder)
        del holder
        collector._thresholds = (-1, -1, -1)  # every generation is due
        gui_gc.hold("test")
        assert collector.collect() == 0
        assert gone() is not None
        gui_gc.release("test")
        collector.collect()
        assert gone() is None
    finally:
        gui_gc.release("test")
        collector.stop()
