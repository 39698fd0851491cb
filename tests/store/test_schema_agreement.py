"""The shipped JSON Schemas declare a draft both validators implement, and both give the same verdicts.

jsonschema (the detailed report) and fastjsonschema (the fast yes/no on load and save) check the
annotation schema; the lexicon and the hanging protocols use jsonschema only, but are held to the
same rule so either validator could check them. fastjsonschema implements drafts 04, 06 and 07
(a later ``$schema`` falls back to its draft-07 rules), hence draft-07 everywhere. The corpus is
each shipped example plus every document one change away from it: a member removed, an unknown
member added, any value replaced by a value of another type.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import fastjsonschema
import jsonschema
import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from tests.fixtures.annotation_strategies import studies
from viewer.assets import resource_path
from viewer.core.annotations import StudyAnnotations
from viewer.store import schema, serialize

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

SCHEMAS = {
    "annotations.schema.json": "examples/v2.json",
    "lexicon.schema.json": "birads.json",
    "hanging_protocols.schema.json": "hanging_protocols.json",
}

REPLACEMENTS: list[Any] = [None, True, 0, -1, 1.5, "", "x", [1.0, 2.0], {}]
"""A value of every JSON type, and the edges the schemas draw (0, empty text, a point)."""


def _load(name: str) -> Any:
    return orjson.loads(resource_path(name).read_bytes())


def _places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value inside ``node``, outermost first (the root is ``()``)."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def neighbours(doc: Any) -> Iterator[Any]:
    """The documents one change away from ``doc``, at each place of the schema once.

    Items of a list share their schema, so only the first place of each shape (list indices
    ignored) is changed: the corpus covers every member of every definition the document
    reaches without repeating them for each of a thousand outline points.
    """
    seen: set[tuple[Any, ...]] = set()
    for path in _places(doc):
        shape = tuple("[]" if isinstance(step, int) else step for step in path)
        if shape in seen:
            continue
        seen.add(shape)
        node = _at(doc, path)
        if isinstance(node, dict):
            for key in node:
                changed = copy.deepcopy(doc)
                del _at(changed, path)[key]
                yield changed
            changed = copy.deepcopy(doc)
            _at(changed, path)["zz_unknown"] = 1
            yield changed
        if isinstance(node, list) and node:
            changed = copy.deepcopy(doc)
            _at(changed, path).pop()
            yield changed
            changed = copy.deepcopy(doc)
            _at(changed, path).append(copy.deepcopy(node[0]))
            yield changed
        if not path:
            continue
        for value in REPLACEMENTS:
            if value == node and type(value) is type(node):
                continue
            changed = copy.deepcopy(doc)
            _at(changed, path[:-1])[path[-1]] = copy.deepcopy(value)
            yield changed


def shortened(doc: Any, is_valid: Callable[[Any], bool]) -> Any:
    """``doc`` with each list cut to its first three items where it stays valid.

    A valid document takes the detailed validator time in proportion to its size; the long
    lists (outline points, marks of an image) add nothing the first items do not show.
    """
    small = copy.deepcopy(doc)
    for path in list(_places(small)):
        try:
            node = _at(small, path)
        except (KeyError, IndexError):
            continue
        if isinstance(node, list) and len(node) > 3:
            kept = node[3:]
            del node[3:]
            if not is_valid(small):
                node.extend(kept)
    return small


class Both:
    """The two validators of one shipped schema."""

    def __init__(self, name: str) -> None:
        definition = _load(name)
        self.detailed = jsonschema.validators.validator_for(definition)(definition)
        self.fast = fastjsonschema.compile(definition)

    def verdicts(self, doc: Any) -> tuple[bool, bool]:
        """(jsonschema says valid, fastjsonschema says valid)."""
        try:
            self.fast(doc)
            fast = True
        except fastjsonschema.JsonSchemaException:
            fast = False
        return self.detailed.is_valid(doc), fast


class TestDeclaredDraft:
    @pytest.mark.parametrize("name", sorted(SCHEMAS))
    def test_draft_07(self, name: str) -> None:
        """Each shipped schema declares draft-07 and is a valid draft-07 schema."""
        definition = _load(name)
        assert definition["$schema"] == DRAFT_07
        assert jsonschema.validators.validator_for(definition) is jsonschema.Draft7Validator
        jsonschema.Draft7Validator.check_schema(definition)

    @pytest.mark.parametrize("name", sorted(SCHEMAS))
    def test_no_later_keywords(self, name: str) -> None:
        """No keyword of a later draft, which draft-07 validators would silently ignore."""
        later = {
            "$defs",
            "prefixItems",
            "dependentRequired",
            "dependentSchemas",
            "unevaluatedProperties",
            "unevaluatedItems",
            "$anchor",
            "$dynamicRef",
            "$dynamicAnchor",
            "$recursiveRef",
            "minContains",
            "maxContains",
        }
        found: set[str] = set()
        definition = _load(name)
        for path in _places(definition):
            node = _at(definition, path)
            # a key under "properties" names a member, not a keyword
            if isinstance(node, dict) and (not path or path[-1] != "properties"):
                found |= later & set(node)
        assert found == set()


class TestVerdictsAgree:
    @pytest.mark.slow
    @pytest.mark.parametrize(("name", "example"), sorted(SCHEMAS.items()))
    def test_example_and_its_neighbours(self, name: str, example: str) -> None:
        """On the shipped example and every document one change from it, both say the same."""
        both = Both(name)
        assert both.verdicts(_load(example)) == (True, True)
        doc = shortened(_load(example), both.detailed.is_valid)
        assert both.verdicts(doc) == (True, True)
        disagree = []
        verdicts = []
        for changed in neighbours(doc):
            detailed, fast = both.verdicts(changed)
            verdicts.append(detailed)
            if detailed != fast:
                disagree.append(changed)
        assert disagree == []
        # the corpus holds both kinds, or it would prove nothing
        assert verdicts.count(True) > 0 and verdicts.count(False) > 100

    @pytest.mark.slow
    @given(studies())
    @settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_written_documents(self, model: StudyAnnotations) -> None:
        """Documents the program writes: both accept them, and both judge their neighbours alike."""
        doc = serialize.to_dict(model)
        assert schema.problems(doc) == [] and schema.is_valid(doc)
        for changed in neighbours(shortened(doc, schema.is_valid)):
            assert (schema.problems(changed) == []) == schema.is_valid(changed)

    def test_store_validators_are_the_pair(self) -> None:
        """viewer.store.schema's two entry points agree on a valid and an invalid document."""
        doc = _load("examples/v2.json")
        assert schema.is_valid(doc) and schema.problems(doc) == []
        doc["images"][0]["frame"] = "0"
        assert not schema.is_valid(doc) and schema.problems(doc) != []
