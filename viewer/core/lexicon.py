"""Descriptor label sets (BI-RADS 5th edition by default) with quick keys, built from parsed JSON.

Core reads no file: :mod:`viewer.store.lexicon_file` reads the shipped ``resources/birads.json``
or a curator's replacement (``lexicon.json`` in the user data folder), checks it against
``resources/lexicon.schema.json`` and hands the parsed data to :meth:`Lexicon.from_dict`, which
checks what a schema cannot say (ids unique, quick keys unique and prefix-free, recommendation
ids that exist); :class:`LexiconError` names the source and the place of the problem as a JSON
pointer (RFC 6901).

File layout::

    {"format": "mammo-viewer lexicon", "version": 1, "name": "...",
     "sets": {"morphology": {"title": "Morphology", "applies_to": "calcification",
                             "labels": [{"id": "punctate", "text": "Punctate",
                                         "key": "p", "group": "typically benign"}, ...]},
              "distribution": {...}, "assessment": {...}, "recommendation": {...}}}

Each label has an ``id`` (stored in annotation files), a display ``text`` and a quick
``key``: one to three characters, unique within the set ignoring case, and no key the
beginning of another (so typing "4" waits for "a", "b" or "c"). Optional fields:
``group``, ``description``, ``codes`` (names in other label systems, e.g.
``{"cbis_ddsm": "PUNCTATE"}``) and, for assessments, the default ``recommendation`` id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = "mammo-viewer lexicon"
VERSION = 1
REQUIRED_SETS = ("morphology", "distribution", "assessment", "recommendation")
"""The sets the viewer relies on; a file may add more."""
APPLIES_TO = ("calcification", "cluster")
SHIPPED_NAME = "birads.json"
OVERRIDE_NAME = "lexicon.json"
"""File name of a curator's replacement lexicon in the user data folder."""

SCHEMA_NAME = "lexicon.schema.json"
"""The JSON Schema of the file layout (in ``resources/``)."""


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Label:
    """One choice in a label set."""

    id: str
    text: str
    key: str
    group: str | None = None
    description: str | None = None
    codes: Mapping[str, str] = field(default_factory=dict)
    recommendation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "text": self.text, "key": self.key}
        for name in ("group", "description", "recommendation"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.codes:
            data["codes"] = dict(self.codes)
        return data


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of labels for one descriptor (morphology, distribution, ...)."""

    name: str
    title: str
    applies_to: str
    labels: tuple[Label, ...]

    def __iter__(self) -> Iterator[Label]:
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, label_id: object) -> bool:
        return any(label.id == label_id for label in self.labels)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels)

    def get(self, label_id: str | None) -> Label | None:
        """The label with this id, or ``None``."""
        return next((label for label in self.labels if label.id == label_id), None)

    def text_of(self, label_id: str | None) -> str:
        """Display text of an id; an id this lexicon does not know is shown as it is."""
        if label_id is None:
            return ""
        label = self.get(label_id)
        return label.text if label is not None else label_id

    def by_key(self, typed: str) -> Label | None:
        """The label whose quick key is ``typed`` (ignoring case), or ``None``."""
        typed = typed.lower()
        return next((label for label in self.labels if label.key.lower() == typed), None)

    def is_key_prefix(self, typed: str) -> bool:
        """True when ``typed`` begins a longer key: the GUI waits for the next key press."""
        typed = typed.lower()
        return any(
            label.key.lower().startswith(typed) and label.key.lower() != typed for label in self.labels
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "applies_to": self.applies_to,
            "labels": [label.to_dict() for label in self.labels],
        }


@dataclass(frozen=True)
class Lexicon:
    """All label sets of one lexicon file."""

    name: str
    sets: Mapping[str, LabelSet]
    source: str = ""
    """Where it was loaded from (for messages and the About box)."""
    version: int = VERSION

    @property
    def morphology(self) -> LabelSet:
        return self.sets["morphology"]

    @property
    def distribution(self) -> LabelSet:
        return self.sets["distribution"]

    @property
    def assessment(self) -> LabelSet:
        return self.sets["assessment"]

    @property
    def recommendation(self) -> LabelSet:
        return self.sets["recommendation"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "name": self.name,
            "sets": {name: s.to_dict() for name, s in self.sets.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<lexicon>") -> Lexicon:
        """Build the lexicon from parsed JSON that matches ``lexicon.schema.json``.

        Raises
        ------
        LexiconError
            Naming ``source`` and the place, when ids or keys of a set clash or an
            assessment names a recommendation that does not exist; or when ``data`` does
            not have the schema's shape (the schema check gives the precise place).
        """
        try:
            sets = {name: _label_set(name, raw, source) for name, raw in data["sets"].items()}
            name = str(data["name"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise LexiconError(f"{source}: not shaped as {SCHEMA_NAME} says ({exc!r})") from None
        missing = [s for s in REQUIRED_SETS if s not in sets]
        if missing:
            raise LexiconError(f"{source}: /sets: missing required set(s): {', '.join(missing)}")
        recommendations = sets["recommendation"]
        for i, label in enumerate(sets["assessment"]):
            if label.recommendation is not None and label.recommendation not in recommendations:
                raise LexiconError(
                    f"{source}: /sets/assessment/labels/{i}/recommendation: "
                    f"{label.recommendation!r} is not a recommendation id"
                )
        return cls(name, sets, source, VERSION)


def _label_set(set_name: str, raw: Mapping[str, Any], source: str) -> LabelSet:
    """One set, refusing repeated ids and keys that clash (equal or one the start of another)."""
    where = f"/sets/{set_name}/labels"
    labels = [_label(item) for item in raw["labels"]]
    seen_ids: dict[str, int] = {}
    seen_keys: dict[str, str] = {}
    for i, label in enumerate(labels):
        if label.id in seen_ids:
            raise LexiconError(f"{source}: {where}/{i}/id: {label.id!r} repeats {where}/{seen_ids[label.id]}")
        seen_ids[label.id] = i
        key = label.key.lower()
        for other_key, other_id in seen_keys.items():
            if key == other_key:
                raise LexiconError(
                    f"{source}: {where}/{i}/key: {label.key!r} is also the key of {other_id!r}"
                )
            if key.startswith(other_key) or other_key.startswith(key):
                raise LexiconError(
                    f"{source}: {where}/{i}/key: {label.key!r} and the key of {other_id!r} "
                    f"({other_key!r}) begin alike; one would never be reached"
                )
        seen_keys[key] = label.id
    return LabelSet(set_name, str(raw["title"]), str(raw["applies_to"]), tuple(labels))


def _label(raw: Mapping[str, Any]) -> Label:
    return Label(
        str(raw["id"]),
        str(raw["text"]),
        str(raw["key"]),
        raw.get("group"),
        raw.get("description"),
        dict(raw.get("codes", {})),
        raw.get("recommendation"),
    )
