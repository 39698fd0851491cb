"""viewer.store.mark_check: never vouches for a mark the schema refuses, and vouches for the program's."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import given, settings

from tests.fixtures.annotation_strategies import studies
from tests.store.test_schema_agreement import neighbours
from viewer.assets import resource_path
from viewer.core.annotations import StudyAnnotations
from viewer.store import schema, serialize
from viewer.store.mark_check import DEFINITION_DIGEST, plain_mark

READ = ("calcification", "point", "polygon", "sizes", "spacing", "intensity")
"""The definitions plain_mark is written for, with those they refer to."""
READ_TOO = ("optional_string", "optional_number", "timestamp")


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def definition_digest() -> str:
    definitions = schema.schema()["definitions"]
    read = {name: _without_descriptions(definitions[name]) for name in READ + READ_TOO}
    return hashlib.sha256(orjson.dumps(read, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _marks() -> list[dict[str, Any]]:
    doc = orjson.loads(resource_path("examples/v2.json").read_bytes())
    return [mark for image in doc["images"] for mark in image["calcifications"]]


def _detailed() -> jsonschema.protocols.Validator:
    full = schema.schema()
    target = {"definitions": full["definitions"], "$ref": "#/definitions/calcification"}
    validator: jsonschema.protocols.Validator = jsonschema.Draft7Validator(target)
    return validator


class TestPlainMark:
    def test_definition_unchanged(self) -> None:
        """The schema's mark definitions are those plain_mark was written for (revise both together)."""
        assert definition_digest() == DEFINITION_DIGEST

    def test_images_hold_marks_plainly(self) -> None:
        """An image's calcifications are a list of marks and nothing more (is_valid checks them apart)."""
        image = schema.schema()["definitions"]["image"]
        assert image["properties"]["calcifications"] == {
            "type": "array",
            "items": {"$ref": "#/definitions/calcification"},
        }

    def test_example_marks(self) -> None:
        """Every mark of the shipped example is vouched for."""
        marks = _marks()
        assert marks and all(plain_mark(mark, set()) for mark in marks)

    @pytest.mark.slow
    def test_never_vouches_for_a_refused_mark(self) -> None:
        """On each example mark and every mark one change from it (at any depth), a True is a valid mark."""
        detailed = _detailed()
        vouched = refused = 0
        for mark in _marks():
            for changed in neighbours(mark):
                if plain_mark(changed, set()):
                    assert detailed.is_valid(changed), changed
                    vouched += 1
                if not detailed.is_valid(changed):
                    refused += 1
        assert vouched > 20 and refused > 100

    def test_numbers_of_other_kinds(self) -> None:
        """A bool, a string or a negative size where the schema wants a number is not vouched for."""
        mark = _marks()[0]
        for path, value in [
            (("center", 0), True),
            (("outline", 1, 0), "1"),
            (("outline", 2), [1.0]),
            (("sizes", "long_axis_px"), -1.0),
            (("sizes", "spacing", "row_mm"), 0),
            (("sizes", "spacing", "source"), "other"),
            (("created",), "2025-01-31 14:05:00"),
            (("id",), ""),
        ]:
            changed = copy.deepcopy(mark)
            node: Any = changed
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value
            assert not plain_mark(changed, set()), path
            assert not _detailed().is_valid(changed), path

    @given(studies())
    @settings(max_examples=10, deadline=None)
    def test_written_marks(self, model: StudyAnnotations) -> None:
        """The marks the program writes, read back as JSON, are vouched for (the fast path is taken)."""
        doc = orjson.loads(serialize.serialize(model))
        seen: set[str] = set()
        for image in doc["images"]:
            for mark in image["calcifications"]:
                assert plain_mark(mark, seen)
