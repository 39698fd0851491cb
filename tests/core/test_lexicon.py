"""Tests for viewer.core.lexicon: the shipped BI-RADS labels, quick keys, validation messages."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from viewer.core.lexicon import REQUIRED_SETS, Lexicon, LexiconError
from viewer.store.lexicon_file import load_lexicon, load_preferred_lexicon


@pytest.fixture(scope="module")
def shipped() -> Lexicon:
    return load_lexicon()


@pytest.fixture
def raw() -> dict[str, Any]:
    """The shipped file's JSON, to break in each test."""
    return copy.deepcopy(load_lexicon().to_dict())


def write(tmp_path: Path, data: Any, name: str = "lexicon.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


class TestShippedLexicon:
    def test_has_the_birads_sets(self, shipped: Lexicon) -> None:
        """All four sets are there with the 5th-edition contents."""
        assert set(REQUIRED_SETS) <= set(shipped.sets)
        assert shipped.assessment.ids == ("0", "1", "2", "3", "4A", "4B", "4C", "5", "6")
        assert set(shipped.distribution.ids) == {"diffuse", "regional", "grouped", "linear", "segmental"}
        benign = {lab.id for lab in shipped.morphology if lab.group == "typically benign"}
        assert benign == {
            "skin",
            "vascular",
            "coarse_popcorn",
            "large_rod_like",
            "round",
            "punctate",
            "rim",
            "dystrophic",
            "milk_of_calcium",
            "suture",
        }
        suspicious = {lab.id for lab in shipped.morphology if lab.group == "suspicious"}
        assert suspicious == {
            "amorphous",
            "coarse_heterogeneous",
            "fine_pleomorphic",
            "fine_linear_branching",
        }
        assert "indeterminate" in shipped.morphology
        assert {"biopsy", "short_term_follow_up", "routine_screening"} <= set(shipped.recommendation.ids)

    def test_applies_to(self, shipped: Lexicon) -> None:
        """Morphology describes a calcification; the rest describe a cluster."""
        assert shipped.morphology.applies_to == "calcification"
        assert {shipped.sets[s].applies_to for s in REQUIRED_SETS[1:]} == {"cluster"}

    def test_quick_keys(self, shipped: Lexicon) -> None:
        """Keys resolve ignoring case; '4' is a prefix waiting for a, b or c."""
        assert shipped.morphology.by_key("P") is shipped.morphology.get("punctate")
        assert shipped.assessment.by_key("4") is None
        assert shipped.assessment.is_key_prefix("4")
        assert not shipped.assessment.is_key_prefix("5")
        label = shipped.assessment.by_key("4c")
        assert label is not None and label.id == "4C"

    def test_assessment_default_recommendation(self, shipped: Lexicon) -> None:
        """Category 3 defaults to short-term follow-up, 4B to biopsy."""
        three, four_b = shipped.assessment.get("3"), shipped.assessment.get("4B")
        assert three is not None and three.recommendation == "short_term_follow_up"
        assert four_b is not None and four_b.recommendation == "biopsy"

    def test_unknown_id_displays_as_itself(self, shipped: Lexicon) -> None:
        """An id from another lexicon is shown, not lost."""
        assert shipped.morphology.text_of("PLEOMORPHIC_X") == "PLEOMORPHIC_X"
        assert shipped.morphology.text_of("fine_pleomorphic") == "Fine pleomorphic"
        assert shipped.morphology.text_of(None) == ""

    def test_round_trip(self, shipped: Lexicon, tmp_path: Path) -> None:
        """to_dict written out loads back equal."""
        again = load_lexicon(write(tmp_path, shipped.to_dict()))
        assert again.sets == shipped.sets and again.name == shipped.name


BREAKAGES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("missing set", lambda d: d["sets"].pop("distribution"), r"/sets: 'distribution' is a required property"),
    ("bad version", lambda d: d.update(version=7), "/version: version 7 is not supported"),
    ("wrong format", lambda d: d.update(format="x"), "/format: 'mammo-viewer lexicon' was expected"),
    (
        "duplicate id",
        lambda d: d["sets"]["morphology"]["labels"][1].update(id="skin"),
        "/sets/morphology/labels/1/id: 'skin' repeats /sets/morphology/labels/0",
    ),
    (
        "duplicate key",
        lambda d: d["sets"]["distribution"]["labels"][1].update(key="D"),
        "/sets/distribution/labels/1/key: 'D' is also the key of 'diffuse'",
    ),
    (
        "prefix key",
        lambda d: d["sets"]["assessment"]["labels"][0].update(key="4"),
        r"/sets/assessment/labels/\d/key: .* begin alike",
    ),
    (
        "empty text",
        lambda d: d["sets"]["morphology"]["labels"][2].update(text=""),
        "/sets/morphology/labels/2/text: '' should be non-empty",
    ),
    (
        "long key",
        lambda d: d["sets"]["morphology"]["labels"][0].update(key="abcd"),
        "/sets/morphology/labels/0/key: 'abcd' is too long",
    ),
    (
        "unknown field",
        lambda d: d["sets"]["morphology"]["labels"][0].update(colour="red"),
        r"/sets/morphology/labels/0: Additional properties .*'colour' was unexpected",
    ),
    (
        "bad applies_to",
        lambda d: d["sets"]["distribution"].update(applies_to="image"),
        r"/sets/distribution/applies_to: 'image' is not one of \['calcification', 'cluster'\]",
    ),
    (
        "dangling recommendation",
        lambda d: d["sets"]["assessment"]["labels"][3].update(recommendation="pray"),
        "/sets/assessment/labels/3/recommendation: 'pray' is not a recommendation id",
    ),
    (
        "no labels",
        lambda d: d["sets"]["recommendation"].update(labels=[]),
        r"/sets/recommendation/labels: \[\] should be non-empty",
    ),
    (
        "blank text",
        lambda d: d["sets"]["morphology"]["labels"][2].update(text="   "),
        r"/sets/morphology/labels/2/text: '   ' does not match",
    ),
    (
        "key with a space",
        lambda d: d["sets"]["morphology"]["labels"][0].update(key="a b"),
        "/sets/morphology/labels/0/key: 'a b' does not match",
    ),
    (
        "control key",
        lambda d: d["sets"]["morphology"]["labels"][0].update(key="\x01"),
        "/sets/morphology/labels/0/key: .* does not match",
    ),
    (
        "id with a space",
        lambda d: d["sets"]["morphology"]["labels"][0].update(id="a b"),
        "/sets/morphology/labels/0/id: 'a b' does not match",
    ),
    (
        "codes not texts",
        lambda d: d["sets"]["morphology"]["labels"][0].update(codes={"x": 1}),
        "/sets/morphology/labels/0/codes/x: 1 is not of type 'string'",
    ),
    ("empty object", lambda d: d.clear(), "/: 'format' is a required property"),
]


class TestValidation:
    @pytest.mark.parametrize(("what", "breaks", "message"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
    def test_problems_are_named(
        self,
        raw: dict[str, Any],
        tmp_path: Path,
        what: str,
        breaks: Callable[[dict[str, Any]], None],
        message: str,
    ) -> None:
        """Each broken file is refused with its name and the place of the problem."""
        breaks(raw)
        path = write(tmp_path, raw)
        with pytest.raises(LexiconError, match=message) as info:
            load_lexicon(path)
        assert str(path) in str(info.value)

    def test_from_dict_refuses_another_shape(self) -> None:
        """Data the schema would refuse is a LexiconError from core too, not a KeyError."""
        with pytest.raises(LexiconError, match=r"<x>: not shaped as lexicon\.schema\.json says"):
            Lexicon.from_dict({"sets": {"morphology": {"labels": [{}]}}}, source="<x>")

    def test_not_json(self, tmp_path: Path) -> None:
        """A syntax error gives the line and column."""
        path = tmp_path / "lexicon.json"
        path.write_text('{"format": "mammo-viewer lexicon",\n "version": 1 "name": 2}')
        with pytest.raises(LexiconError, match=r"not valid JSON \(line 2, column 15"):
            load_lexicon(path)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is named."""
        with pytest.raises(LexiconError, match=r"nope\.json: lexicon file not found"):
            load_lexicon(tmp_path / "nope.json")

    def test_curator_override(self, raw: dict[str, Any], tmp_path: Path) -> None:
        """A valid override is used, with an extra set and a renamed label."""
        raw["name"] = "Our lab"
        raw["sets"]["morphology"]["labels"][0]["text"] = "Dermal"
        raw["sets"]["subtlety"] = {
            "title": "Subtlety",
            "applies_to": "calcification",
            "labels": [{"id": str(i), "text": str(i), "key": str(i)} for i in range(1, 6)],
        }
        lexicon, warning = load_preferred_lexicon(write(tmp_path, raw))
        assert warning is None and lexicon.name == "Our lab"
        assert lexicon.morphology.text_of("skin") == "Dermal" and len(lexicon.sets["subtlety"]) == 5

    def test_broken_override_falls_back_with_a_message(self, raw: dict[str, Any], tmp_path: Path) -> None:
        """An invalid override yields the built-in labels and a message naming the file."""
        raw["sets"].pop("assessment")
        path = write(tmp_path, raw)
        lexicon, warning = load_preferred_lexicon(path)
        assert lexicon.source == load_lexicon().source
        assert warning is not None and str(path) in warning and "built-in" in warning

    def test_absent_override_is_silent(self, tmp_path: Path) -> None:
        """No override file: the shipped lexicon and no message."""
        lexicon, warning = load_preferred_lexicon(tmp_path / "lexicon.json")
        assert warning is None and "birads.json" in lexicon.source
