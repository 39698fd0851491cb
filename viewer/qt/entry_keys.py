"""Quick keyboard entry of a descriptor in the window: the next keys pick a label by its key.

While an entry is under way its keys are not shortcuts: :meth:`EntryKeys.handle_event`
takes them (from the application's event filter) before any action sees them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

from viewer.core.quick_entry import DescriptorEntry, Waiting

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class EntryKeys:
    """The descriptor being typed (if any) and the keys that feed it."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.entry: DescriptorEntry | None = None

    def start(self, set_name: str) -> None:
        """Quick keyboard entry: the next keys pick a label of ``set_name`` by its key."""
        label_set = getattr(self.window.lexicon, set_name)
        self.entry = DescriptorEntry(set_name, label_set)
        choices = ", ".join(f"{lab.key} {lab.text}" for lab in label_set)
        self.window.notify(f"{set_name.capitalize()}: type a key ({choices}); Esc cancels")

    def handle_event(self, watched: QObject, event: QEvent) -> bool:
        """True when ``event`` was a key of the entry under way (and is consumed)."""
        etype = event.type()
        if (
            self.entry is not None
            and etype in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
            and isinstance(watched, QWidget)
            and watched.window() is self.window
        ):
            # While a descriptor is being typed, its keys are not shortcuts.
            if etype == QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if self.feed(event.text(), event.key()):  # type: ignore[attr-defined]
                return True
        return False

    def feed(self, text: str, key: int) -> bool:
        """Feed a key to the quick entry; True when it was used."""
        entry = self.entry
        if entry is None:
            return False
        window = self.window
        if key == Qt.Key.Key_Escape:
            self.entry = None
            window.notify("cancelled")
            return True
        if not text or not text.isprintable():
            return False
        result = entry.feed(text)
        if isinstance(result, Waiting):
            return True
        self.entry = None
        if result is None:
            window.notify(f"no {entry.set_name} label has the key '{entry.typed}'")
            return True
        if entry.set_name == "morphology":
            window.controller.set_morphology(result.id)
        else:
            window.controller.set_cluster_field(entry.set_name, result.id)
        window.notify(f"{entry.set_name}: {result.text}")
        return True
