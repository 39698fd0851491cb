"""Quick keyboard entry of a descriptor: type a label's key (one to three characters).

A small state machine over a lexicon label set: keys are unique within a set and no key
is the beginning of another, so the entry knows after each character whether to wait
("4" waits for "a", "b" or "c"), take a label, or give up.
"""

from __future__ import annotations

from typing import Final

from viewer.core.lexicon import Label, LabelSet
from viewer.core.reading import CATEGORIES, COMPOSITIONS


class Waiting:
    def __repr__(self) -> str:
        return "WAIT"


class DescriptorEntry:
    """Collects typed characters until they name a label of ``label_set``."""

    WAIT: Final = Waiting()

    def __init__(self, set_name: str, label_set: LabelSet) -> None:
        self.set_name = set_name
        self.label_set = label_set
        self.typed = ""

    def feed(self, char: str) -> Label | Waiting | None:
        """Add a character: the label it completes, ``WAIT`` for more, or ``None`` (no match)."""
        self.typed += char.lower()
        label = self.label_set.by_key(self.typed)
        if label is not None:
            return label
        if self.label_set.is_key_prefix(self.typed):
            return self.WAIT
        return None

    def choices(self) -> list[Label]:
        """The labels the keys typed so far can still reach (all of them before a key)."""
        typed = self.typed
        return [label for label in self.label_set if label.key.lower().startswith(typed)]


STUDY_FIELDS: Final = {
    "composition": "Breast composition",
    "right": "Right breast BI-RADS",
    "left": "Left breast BI-RADS",
    "overall": "Overall BI-RADS",
}
"""The study assessment fields typed by key, with their titles."""


STUDY_FIELD_KEYS: Final = {"composition": "c", "right": "r", "left": "l", "overall": "o"}
"""The first key after Study assessment (B): which field the next keys set."""


def study_fields_label_set() -> LabelSet:
    """The study assessment fields as choices (``c`` composition, ``r`` right, ...)."""
    labels = tuple(Label(name, STUDY_FIELDS[name], key) for name, key in STUDY_FIELD_KEYS.items())
    return LabelSet("study", "Study assessment", "study", labels)


def study_label_set(field_name: str) -> LabelSet:
    """The choices of a study assessment field as a label set for :class:`DescriptorEntry`:
    composition ``a``-``d``; a BI-RADS category by its own name (``4a`` for 4A)."""
    title = STUDY_FIELDS[field_name]
    if field_name == "composition":
        labels = tuple(Label(key, f"{key}: {text}", key) for key, text in COMPOSITIONS.items())
    else:
        labels = tuple(Label(key, f"{key}: {text}", key.lower()) for key, text in CATEGORIES.items())
    return LabelSet(field_name, title, "study", labels)
