"""Quick keyboard entry in the window: the next keys pick a label by its key.

A cluster's or mark's descriptor (morphology, distribution, assessment, recommendation)
and the study's assessment (breast composition a-d, BI-RADS of each breast and overall)
are typed the same way. While an entry is under way its keys are not shortcuts:
:meth:`EntryKeys.handle_event` takes them (from the application's event filter) before any
action sees them, and :class:`viewer.qt.entry_popup.EntryPopup` shows every choice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

from viewer.core.lexicon import Label, LabelSet
from viewer.core.quick_entry import (
    STUDY_FIELDS,
    DescriptorEntry,
    Waiting,
    study_fields_label_set,
    study_label_set,
)
from viewer.qt.entry_popup import EntryPopup

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class EntryKeys:
    """The entry being typed (if any), the keys that feed it and the panel of its choices."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.entry: DescriptorEntry | None = None
        self._title = ""
        self._apply: Callable[[Label], bool] = lambda _label: False
        self.popup = EntryPopup(window)

    def start(self, set_name: str) -> None:
        """A descriptor of the selected mark or cluster: the next keys pick a label of ``set_name``."""
        label_set: LabelSet = getattr(self.window.lexicon, set_name)
        controller = self.window.controller

        def apply(label: Label) -> bool:
            if set_name == "morphology":
                return controller.set_morphology(label.id)
            return controller.set_cluster_field(set_name, label.id)

        self._begin(set_name.capitalize(), label_set, apply)

    def start_study_fields(self) -> None:
        """Study assessment by keys (B): a first key picks the field (c, r, l, o), the next its value."""

        def pick(label: Label) -> bool:
            self.start_study(label.id)
            return False  # the next entry is under way: nothing set yet

        if self._study_ready():
            self._begin("Study assessment", study_fields_label_set(), pick)

    def _study_ready(self) -> bool:
        if self.window.assessment_panel.isEnabled():
            return True
        self.window.notify("open a study first")
        return False

    def start_study(self, field_name: str) -> None:
        """The study's assessment: composition, or the right, left or overall BI-RADS category."""
        panel = self.window.assessment_panel
        if not self._study_ready():
            return
        labels = study_label_set(field_name)
        self._begin(STUDY_FIELDS[field_name], labels, lambda lab: panel.set_field(field_name, lab.id))

    def _begin(self, title: str, label_set: LabelSet, apply: Callable[[Label], bool]) -> None:
        self.entry = DescriptorEntry(label_set.name, label_set)
        self._title, self._apply = title, apply
        self._show()

    def _show(self) -> None:
        entry = self.entry
        assert entry is not None
        choices = entry.choices()
        self.popup.show_choices(self._title, entry.typed, choices)
        keys = ", ".join(lab.key for lab in choices)
        if entry.typed:
            self.window.notify(
                f"{self._title}: '{entry.typed}' typed, a second key is awaited ({keys}); Esc cancels"
            )
        else:
            self.window.notify(f"{self._title}: type a key ({keys}); the choices are listed on the image")

    def _end(self) -> None:
        self.entry = None
        self.popup.hide()

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
            self._end()
            window.notify(f"{self._title}: cancelled, nothing changed")
            return True
        if not text or not text.isprintable():
            return False
        result = entry.feed(text)
        if isinstance(result, Waiting):
            self._show()
            return True
        title = self._title
        self._end()
        if result is None:
            window.notify(f"{title}: no choice has the key '{entry.typed}'; nothing changed")
            return True
        if self._apply(result):  # else the target said why (no mark selected) or asks on
            window.notify(f"{title}: {result.text}")
        return True
