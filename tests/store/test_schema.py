"""Tests of viewer.store.schema: the shipped JSON Schema and its two validators."""

from __future__ import annotations

import copy

import orjson
import pytest

from viewer.assets import resource_path
from viewer.store import schema


@pytest.fixture
def example() -> dict:
    """The stored version-2 example document."""
    return orjson.loads(resource_path("examples/v2.json").read_bytes())


class TestProblems:
    def test_example_is_valid(self, example: dict) -> None:
        """The shipped v2 example passes both validators."""
        assert schema.problems(example) == []
        assert schema.is_valid(example)

    def test_pointer_and_message(self, example: dict) -> None:
        """A bad value is reported with its JSON pointer and what is wrong."""
        example["images"][0]["calcifications"][1]["center"] = [1.0, "x"]
        found = schema.problems(example)
        assert [p.pointer for p in found] == ["/images/0/calcifications/1/center/1"]
        assert "is not of type 'number'" in found[0].message
        assert str(found[0]).startswith("/images/0/calcifications/1/center/1: ")
        assert not schema.is_valid(example)

    def test_missing_and_unknown_fields(self, example: dict) -> None:
        """A missing required field and an unexpected one are both reported."""
        del example["reader"]
        example["patient_name"] = "should not be here"
        messages = " ".join(p.message for p in schema.problems(example))
        assert "'reader' is a required property" in messages
        assert "patient_name" in messages

    def test_pointer_escapes(self) -> None:
        """Keys with '/' and '~' are escaped as RFC 6901 says."""
        assert schema._pointer(["a/b", "c~d", 3]) == "/a~1b/c~0d/3"

    @pytest.mark.parametrize(
        "path,value",
        [
            (("images", 0, "frame"), -1),
            (("images", 0, "dicom_spacing", "source"), "guess"),
            (("images", 0, "clusters", 0, "state"), "maybe"),
            (("images", 0, "calcifications", 0, "outline"), [[1.0, 2.0]]),
            (("schema_version",), 3),
            (("created",), "yesterday"),
        ],
    )
    def test_validators_agree(self, example: dict, path: tuple, value: object) -> None:
        """The fast validator rejects exactly what the detailed one reports."""
        bad = copy.deepcopy(example)
        target = bad
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert schema.problems(bad) != []
        assert not schema.is_valid(bad)


class TestCheckPart:
    def test_part_accepts_tuples(self) -> None:
        """Model fields (tuples) are checked as arrays."""
        assert schema.check_part("point", (1.0, 2.0)) is None
        assert schema.check_part("point", (1.0,)) is not None

    def test_unknown_definition(self) -> None:
        """Asking for a definition the schema lacks is a KeyError naming it."""
        with pytest.raises(KeyError, match="no definition 'nope'"):
            schema.check_part("nope", {})


class TestSpacingSources:
    """Every spacing the resolver can give is a valid sidecar spacing."""

    def test_sid_sod_with_a_note(self, example: dict) -> None:
        """The SID/SOD source and a spacing note validate; an unknown source does not."""
        from viewer.core.geometry import Spacing, SpacingSource

        spacing = Spacing(
            0.0909,
            0.0909,
            SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD,
            "mm at the breast plane (SID/SOD 1.10)",
            ermf=1.1,
            note="Estimated Radiographic Magnification Factor (0018,1114) 40 refused: outside 1.0-3.0",
        )
        example["images"][0]["dicom_spacing"] = spacing.to_dict()
        assert schema.problems(example) == []
        assert schema.is_valid(example)
        example["images"][0]["dicom_spacing"]["note"] = 3
        assert not schema.is_valid(example)

    def test_enum_matches_the_sources(self) -> None:
        """The schema's source enum is exactly the SpacingSource values."""
        from viewer.core.geometry import SpacingSource

        doc = orjson.loads(resource_path("annotations.schema.json").read_bytes())
        enum = doc["definitions"]["spacing"]["properties"]["source"]["enum"]
        assert set(enum) == {s.value for s in SpacingSource}
