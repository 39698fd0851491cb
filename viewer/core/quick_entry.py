"""Quick keyboard entry of a descriptor: type a label's key (one to three characters).

A small state machine over a lexicon label set: keys are unique within a set and no key
is the beginning of another, so the entry knows after each character whether to wait
("4" waits for "a", "b" or "c"), take a label, or give up.
"""

from __future__ import annotations

from typing import Final

from viewer.core.lexicon import Label, LabelSet


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
