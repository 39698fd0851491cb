"""Descriptor label sets (BI-RADS 5th edition by default) with quick keys, built from parsed JSON.

Core reads no file: :mod:`viewer.store.lexicon_file` reads the shipped ``resources/birads.json``
or a curator's replacement (``lexicon.json`` in the user data folder) and hands the parsed data
to :meth:`Lexicon.from_dict`, which validates it; :class:`LexiconError` names the source and the
exact place of the problem.

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

import re
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

_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_LABEL_FIELDS = {"id", "text", "key", "group", "description", "codes", "recommendation"}


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
    def from_dict(cls, data: Any, source: str = "<lexicon>") -> Lexicon:
        """Validate parsed JSON and build the lexicon; raise LexiconError naming ``source``."""
        return _Validator(source).lexicon(data)


class _Validator:
    """Checks a parsed lexicon, naming the place of the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> LexiconError:
        return LexiconError(f"{self.source}: {where}: {problem}")

    def text(self, obj: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
        value = obj.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            problem = "is missing" if name not in obj else f"must be a non-empty text, got {value!r}"
            raise self.fail(f"{where}.{name}", problem)
        return value

    def lexicon(self, data: Any) -> Lexicon:
        if not isinstance(data, dict):
            raise self.fail("top level", "must be a JSON object")
        if data.get("format") != FORMAT:
            raise self.fail("format", f"must be {FORMAT!r}, got {data.get('format')!r}")
        version = data.get("version")
        if version != VERSION:
            raise self.fail(
                "version", f"version {version!r} is not supported (this program reads version {VERSION})"
            )
        name = self.text(data, "name", "lexicon")
        sets = data.get("sets")
        if not isinstance(sets, dict):
            raise self.fail("sets", "must be an object of label sets")
        missing = [s for s in REQUIRED_SETS if s not in sets]
        if missing:
            raise self.fail("sets", f"missing required set(s): {', '.join(missing)}")
        built = {set_name: self.label_set(set_name, raw) for set_name, raw in sets.items()}
        recommendations = built["recommendation"]
        for label in built["assessment"]:
            if label.recommendation is not None and label.recommendation not in recommendations:
                raise self.fail(
                    f"sets.assessment label {label.id!r}.recommendation",
                    f"{label.recommendation!r} is not a recommendation id",
                )
        assert name is not None
        return Lexicon(name, built, self.source, VERSION)

    def label_set(self, set_name: str, raw: Any) -> LabelSet:
        where = f"sets.{set_name}"
        if not isinstance(raw, dict):
            raise self.fail(where, "must be an object")
        title = self.text(raw, "title", where)
        applies_to = raw.get("applies_to")
        if applies_to not in APPLIES_TO:
            raise self.fail(
                f"{where}.applies_to", f"must be one of {', '.join(APPLIES_TO)}, got {applies_to!r}"
            )
        labels_raw = raw.get("labels")
        if not isinstance(labels_raw, list) or not labels_raw:
            raise self.fail(f"{where}.labels", "must be a non-empty list")
        labels = [self.label(f"{where}.labels[{i}]", item) for i, item in enumerate(labels_raw)]
        seen_ids: dict[str, int] = {}
        seen_keys: dict[str, str] = {}
        for i, label in enumerate(labels):
            if label.id in seen_ids:
                raise self.fail(
                    f"{where}.labels[{i}].id", f"{label.id!r} repeats labels[{seen_ids[label.id]}]"
                )
            seen_ids[label.id] = i
            key = label.key.lower()
            for other_key, other_id in seen_keys.items():
                if key == other_key:
                    raise self.fail(
                        f"{where}.labels[{i}].key", f"{label.key!r} is also the key of {other_id!r}"
                    )
                if key.startswith(other_key) or other_key.startswith(key):
                    raise self.fail(
                        f"{where}.labels[{i}].key",
                        f"{label.key!r} and the key of {other_id!r} "
                        f"({other_key!r}) begin alike; one would never be reached",
                    )
            seen_keys[key] = label.id
        assert title is not None
        return LabelSet(set_name, title, str(applies_to), tuple(labels))

    def label(self, where: str, raw: Any) -> Label:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be an object with id, text and key")
        unknown = sorted(set(raw) - _LABEL_FIELDS)
        if unknown:
            raise self.fail(
                where, f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_LABEL_FIELDS))})"
            )
        label_id = self.text(raw, "id", where)
        assert label_id is not None
        if not _ID.match(label_id):
            raise self.fail(f"{where}.id", f"{label_id!r} may only hold letters, digits, '_', '-' and '.'")
        text = self.text(raw, "text", where)
        key = raw.get("key")
        if (
            not isinstance(key, str)
            or not 1 <= len(key) <= 3
            or not key.isprintable()
            or any(ch.isspace() for ch in key)
        ):
            raise self.fail(f"{where}.key", f"must be 1 to 3 characters without spaces, got {key!r}")
        codes = raw.get("codes", {})
        if not isinstance(codes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in codes.items()
        ):
            raise self.fail(f"{where}.codes", "must be an object of texts")
        assert text is not None
        return Label(
            label_id,
            text,
            key,
            self.text(raw, "group", where, required=False),
            self.text(raw, "description", where, required=False),
            dict(codes),
            self.text(raw, "recommendation", where, required=False),
        )
