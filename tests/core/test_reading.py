"""Tests for viewer.core.reading and reading_commands: assessment, links, landmarks as undo steps."""

from __future__ import annotations

import pytest

from viewer.core.annotations import Calcification, ImageAnnotations, StudyAnnotations
from viewer.core.commands import CommandStack
from viewer.core.landmarks import Landmarks, LandmarkSource
from viewer.core.reading import (
    FindingLink,
    FindingRef,
    ImageLandmarks,
    StudyAssessment,
    most_worrying,
)
from viewer.core.reading_commands import LinkFindings, SetAssessment, SetLandmarks, UnlinkFindings

CC, MLO, MLO2 = ("1.1", 0), ("1.2", 0), ("1.3", 0)


def _model() -> StudyAnnotations:
    model = StudyAnnotations("dr a", "1")
    for key in (CC, MLO, MLO2):
        model.ensure_image(ImageAnnotations(key[0], 0, "1", "", 100, 100, "L", "CC" if key == CC else "MLO"))
        model.put_calcification(key, Calcification("m", (10.0, 10.0)))
    return model


class TestAssessment:
    def test_overall_defaults_to_the_more_worrying_breast(self) -> None:
        """With no overall set, 4A on one side and 2 on the other is 4A; 0 outranks 1-3."""
        assert StudyAssessment(right="2", left="4A").overall_category == "4A"
        assert StudyAssessment(right="0", left="3").overall_category == "0"
        assert StudyAssessment(right="2", left="4A", overall="5").overall_category == "5"
        assert most_worrying(None, None) is None

    @pytest.mark.parametrize(("field", "value"), [("composition", "e"), ("left", "4D"), ("overall", "7")])
    def test_invalid_values_named(self, field: str, value: str) -> None:
        """A composition or category outside BI-RADS is refused, naming the field."""
        with pytest.raises(ValueError, match=field):
            StudyAssessment(**{field: value})

    def test_round_trip(self) -> None:
        """to_dict / from_dict keep every field."""
        a = StudyAssessment("d", "1", "4C", None, "biopsy", "text", "dr a", "2026-01-01T00:00:00Z")
        assert StudyAssessment.from_dict(a.to_dict()) == a


class TestReadingCommands:
    def test_each_edit_is_one_undo_step(self) -> None:
        """Nipple move, link and assessment each undo alone; the listeners hear each."""
        model = _model()
        heard: list[str] = []
        model.reading.subscribe(heard.append)
        stack = CommandStack(model)
        found = ImageLandmarks(Landmarks((50.0, 50.0), ((0.0, 0.0), (0.0, 99.0))))
        moved = ImageLandmarks(found.landmarks.with_nipple((55.0, 48.0)))
        stack.push(SetLandmarks(CC, None, found))
        stack.push(SetLandmarks(CC, found, moved))
        link = FindingLink("l1", "L", FindingRef(CC, "m"), FindingRef(MLO, "m"))
        stack.push(LinkFindings(link))
        stack.push(SetAssessment(StudyAssessment(), StudyAssessment(left="4B")))
        assert model.reading.landmarks[CC].landmarks.source is LandmarkSource.READER
        assert heard == ["landmarks", "landmarks", "links", "assessment"]
        stack.undo()
        assert model.reading.assessment.empty
        stack.undo()
        assert model.reading.links == {}
        stack.undo()
        assert model.reading.landmarks[CC] == found
        stack.undo()
        assert CC not in model.reading.landmarks

    def test_relinking_replaces_and_undo_restores(self) -> None:
        """Linking the CC finding to another MLO replaces the old link; undo brings it back."""
        model = _model()
        stack = CommandStack(model)
        first = FindingLink("l1", "L", FindingRef(CC, "m"), FindingRef(MLO, "m"))
        second = FindingLink("l2", "L", FindingRef(CC, "m"), FindingRef(MLO2, "m"))
        stack.push(LinkFindings(first))
        stack.push(LinkFindings(second))
        assert list(model.reading.links) == ["l2"]
        assert model.reading.link_of(FindingRef(MLO, "m")) is None
        stack.undo()
        assert list(model.reading.links) == ["l1"]
        stack.push(UnlinkFindings(first))
        assert model.reading.links == {}
        stack.undo()
        assert model.reading.link_of(FindingRef(CC, "m")) == first

    def test_link_needs_two_images(self) -> None:
        """A link of an image with itself is refused."""
        with pytest.raises(ValueError, match="two different images"):
            FindingLink("x", "L", FindingRef(CC, "m"), FindingRef(CC, "n"))

    def test_snapshot_copies_the_reading(self) -> None:
        """A snapshot for saving keeps the reading as it was when taken."""
        model = _model()
        model.reading.set_assessment(StudyAssessment(left="2"))
        snap = model.snapshot()
        model.reading.set_assessment(StudyAssessment(left="5"))
        assert snap.reading.assessment.left == "2"
