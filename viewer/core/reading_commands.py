"""Undoable edits of a study's reading (:mod:`viewer.core.reading`): landmarks, links, assessment.

They follow :class:`viewer.core.commands.Command` and go on the same stack as the marks'
edits, so a nipple drag, a link or an assessment is one undo step and makes the study dirty.
"""

from __future__ import annotations

from dataclasses import dataclass

from viewer.core.annotations import StudyAnnotations
from viewer.core.reading import FindingLink, ImageKey, ImageLandmarks, StudyAssessment


@dataclass
class SetLandmarks:
    """Place (or move, or clear with ``after=None``) an image's nipple and chest wall."""

    image: ImageKey
    before: ImageLandmarks | None
    after: ImageLandmarks | None
    text: str = "move nipple"

    def do(self, model: StudyAnnotations) -> None:
        model.reading.set_landmarks(self.image, self.after)

    def undo(self, model: StudyAnnotations) -> None:
        model.reading.set_landmarks(self.image, self.before)


@dataclass
class LinkFindings:
    """Join a CC and an MLO finding into one; a link either side already had is replaced."""

    link: FindingLink
    text: str = "link CC and MLO"

    def __post_init__(self) -> None:
        self._replaced: list[FindingLink] = []

    def do(self, model: StudyAnnotations) -> None:
        reading = model.reading
        self._replaced = [
            lk for lk in reading.links.values() if lk.involves(self.link.cc) or lk.involves(self.link.mlo)
        ]
        for old in self._replaced:
            reading.remove_link(old.id)
        reading.put_link(self.link)

    def undo(self, model: StudyAnnotations) -> None:
        model.reading.remove_link(self.link.id)
        for old in self._replaced:
            model.reading.put_link(old)


@dataclass
class UnlinkFindings:
    link: FindingLink
    text: str = "unlink CC and MLO"

    def do(self, model: StudyAnnotations) -> None:
        model.reading.remove_link(self.link.id)

    def undo(self, model: StudyAnnotations) -> None:
        model.reading.put_link(self.link)


@dataclass
class SetAssessment:
    before: StudyAssessment
    after: StudyAssessment
    text: str = "set study assessment"

    def do(self, model: StudyAnnotations) -> None:
        model.reading.set_assessment(self.after)

    def undo(self, model: StudyAnnotations) -> None:
        model.reading.set_assessment(self.before)
