"""Typing a descriptor's quick key."""

from __future__ import annotations

from viewer.core.quick_entry import DescriptorEntry, Waiting
from viewer.store.lexicon_file import load_lexicon


class TestDescriptorEntry:
    def test_single_key(self) -> None:
        """'f' names fine pleomorphic in the shipped morphology set."""
        entry = DescriptorEntry("morphology", load_lexicon().morphology)
        label = entry.feed("f")
        assert label is not None and not isinstance(label, Waiting)
        assert label.id == "fine_pleomorphic"

    def test_prefix_waits(self) -> None:
        """'4' waits for a, b or c; then '4B' is chosen."""
        entry = DescriptorEntry("assessment", load_lexicon().assessment)
        assert isinstance(entry.feed("4"), Waiting)
        label = entry.feed("B")
        assert label is not None and not isinstance(label, Waiting) and label.id == "4B"

    def test_unknown_key(self) -> None:
        """A key no label has gives None."""
        entry = DescriptorEntry("distribution", load_lexicon().distribution)
        assert entry.feed("q") is None
