"""The reading of a study beyond its marks: landmarks per image, findings linked across views, the assessment.

A :class:`StudyReading` belongs to a :class:`viewer.core.annotations.StudyAnnotations`
(``model.reading``) and is saved in the same annotation file. It holds

- per image, the nipple and chest wall (:class:`viewer.core.landmarks.Landmarks`) and the
  image's Patient Orientation, which together place a finding (:mod:`viewer.core.location`);
- links: one finding seen on CC and on MLO of the same breast, as a pair of marks or
  clusters (:class:`FindingLink`);
- the study assessment (:class:`StudyAssessment`): breast composition, BI-RADS category per
  breast and overall, recommendation and impression.

Objects are immutable; edits go through commands (:mod:`viewer.core.reading_commands`),
which announce them to the listeners, as the marks' commands do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from viewer.core.landmarks import Landmarks

ImageKey = tuple[str, int]
"""(SOP Instance UID, frame), as in :mod:`viewer.core.annotations`."""

COMPOSITIONS: dict[str, str] = {
    "a": "The breasts are almost entirely fatty",
    "b": "There are scattered areas of fibroglandular density",
    "c": "The breasts are heterogeneously dense, which may obscure small masses",
    "d": "The breasts are extremely dense, which lowers the sensitivity of mammography",
}
"""BI-RADS breast composition (5th edition, 2013), with the Atlas's report sentence."""

CATEGORIES: dict[str, str] = {
    "0": "Incomplete: need additional imaging evaluation and/or prior mammograms for comparison",
    "1": "Negative",
    "2": "Benign",
    "3": "Probably benign",
    "4A": "Low suspicion for malignancy",
    "4B": "Moderate suspicion for malignancy",
    "4C": "High suspicion for malignancy",
    "5": "Highly suggestive of malignancy",
    "6": "Known biopsy-proven malignancy",
}
"""BI-RADS assessment categories with the Atlas's wording."""

_SEVERITY = ("1", "2", "3", "0", "4A", "4B", "4C", "5", "6")
"""Least to most worrying: the overall assessment defaults to the more worrying breast's
(an incomplete 0 outranks the benign categories, as the Atlas's overall-assessment rule has it)."""


def most_worrying(*categories: str | None) -> str | None:
    """The most worrying of the given categories (None when none is given)."""
    given = [c for c in categories if c is not None]
    return max(given, key=_SEVERITY.index) if given else None


@dataclass(frozen=True)
class StudyAssessment:
    """What the reader concludes about the study.

    Parameters
    ----------
    composition
        Breast composition ``"a"``-``"d"`` or None.
    right, left
        BI-RADS category of each breast (a key of :data:`CATEGORIES`) or None.
    overall
        The study's category; None means "the more worrying breast's" (:attr:`overall_category`).
    recommendation
        A recommendation label id of the lexicon (e.g. ``"biopsy"``) or None.
    impression
        Free text.
    """

    composition: str | None = None
    right: str | None = None
    left: str | None = None
    overall: str | None = None
    recommendation: str | None = None
    impression: str = ""
    reader: str = ""
    modified: str = ""

    def __post_init__(self) -> None:
        if self.composition is not None and self.composition not in COMPOSITIONS:
            raise ValueError(f"composition must be one of a, b, c, d, got {self.composition!r}")
        for name in ("right", "left", "overall"):
            value = getattr(self, name)
            if value is not None and value not in CATEGORIES:
                raise ValueError(
                    f"{name} must be a BI-RADS category ({', '.join(CATEGORIES)}), got {value!r}"
                )

    @property
    def overall_category(self) -> str | None:
        """The overall category as set, else the more worrying of the two breasts'."""
        return self.overall if self.overall is not None else most_worrying(self.right, self.left)

    @property
    def empty(self) -> bool:
        return self == StudyAssessment(reader=self.reader, modified=self.modified)

    def to_dict(self) -> dict[str, Any]:
        return {
            "composition": self.composition,
            "right": self.right,
            "left": self.left,
            "overall": self.overall,
            "recommendation": self.recommendation,
            "impression": self.impression,
            "reader": self.reader,
            "modified": self.modified,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudyAssessment:
        return cls(
            data.get("composition"),
            data.get("right"),
            data.get("left"),
            data.get("overall"),
            data.get("recommendation"),
            str(data.get("impression") or ""),
            str(data.get("reader") or ""),
            str(data.get("modified") or ""),
        )


@dataclass(frozen=True)
class ImageLandmarks:
    """An image's landmarks and the Patient Orientation they are read with."""

    landmarks: Landmarks
    orientation: tuple[str, str] | None = None


@dataclass(frozen=True)
class FindingRef:
    """A mark or cluster on one image: ``(image key, item id)``."""

    image: ImageKey
    item_id: str


@dataclass(frozen=True)
class FindingLink:
    """One finding of one breast seen on CC and on MLO."""

    id: str
    laterality: str
    cc: FindingRef
    mlo: FindingRef
    reader: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        if self.laterality not in ("R", "L"):
            raise ValueError(f"laterality must be 'R' or 'L', got {self.laterality!r}")
        if self.cc.image == self.mlo.image:
            raise ValueError("a link joins two different images (CC and MLO)")

    def involves(self, ref: FindingRef) -> bool:
        return ref in (self.cc, self.mlo)


Listener = Callable[[str], None]
"""Called with what changed: ``"landmarks"``, ``"links"`` or ``"assessment"``."""


@dataclass
class StudyReading:
    """Landmarks, links and the assessment of one reader's study (see the module docstring)."""

    landmarks: dict[ImageKey, ImageLandmarks] = field(default_factory=dict)
    links: dict[str, FindingLink] = field(default_factory=dict)
    assessment: StudyAssessment = field(default_factory=StudyAssessment)
    _listeners: list[Listener] = field(default_factory=list, repr=False, compare=False)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def copy(self) -> StudyReading:
        """A copy without listeners (the contents are immutable)."""
        return StudyReading(dict(self.landmarks), dict(self.links), self.assessment)

    def set_landmarks(self, key: ImageKey, value: ImageLandmarks | None) -> None:
        if value is None:
            self.landmarks.pop(key, None)
        else:
            self.landmarks[key] = value
        self._emit("landmarks")

    def put_link(self, link: FindingLink) -> None:
        self.links[link.id] = link
        self._emit("links")

    def remove_link(self, link_id: str) -> FindingLink:
        link = self.links.pop(link_id)
        self._emit("links")
        return link

    def link_of(self, ref: FindingRef) -> FindingLink | None:
        """The link a mark or cluster is part of, if any."""
        return next((lk for lk in self.links.values() if lk.involves(ref)), None)

    def set_assessment(self, assessment: StudyAssessment) -> None:
        self.assessment = assessment
        self._emit("assessment")

    def replace_all(self, other: StudyReading) -> None:
        """Take ``other``'s contents (after a load), keeping the listeners."""
        self.landmarks, self.links, self.assessment = (
            dict(other.landmarks),
            dict(other.links),
            other.assessment,
        )
        for what in ("landmarks", "links", "assessment"):
            self._emit(what)


def with_reader(assessment: StudyAssessment, reader: str, modified: str) -> StudyAssessment:
    """The assessment stamped with who set it and when."""
    return replace(assessment, reader=reader, modified=modified)
