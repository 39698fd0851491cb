"""The JSON Schema of the sidecar (``resources/annotations.schema.json``) and its validators.

Two validators of the same schema: :func:`problems` (jsonschema) explains everything
wrong with a document as JSON pointers and messages, for users and for the
``validate`` command; :func:`is_valid` and :func:`check_part` (fastjsonschema, compiled
once to Python code, ~20x faster) answer yes/no on the load and save paths, where the
detailed report is only needed once something is wrong.

The marks are most of a large file (10,000 marks: 190,000 points), and the compiled validator
spends ~35 us on each. :func:`is_valid` checks the document without them through the
compiled validator, and each mark first through :func:`viewer.store.mark_check.plain_mark`,
a check written out for the ``calcification`` definition that only ever vouches for a valid
mark; a mark it does not vouch for goes to the compiled validator, which decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import fastjsonschema
import orjson

from viewer.assets import resource_path
from viewer.store.mark_check import plain_mark

SCHEMA_RESOURCE = "annotations.schema.json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a JSON pointer, RFC 6901) and what."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


@cache
def schema() -> dict[str, Any]:
    """The shipped JSON Schema (draft-07, which both validators implement) as a dict."""
    data: dict[str, Any] = orjson.loads(resource_path(SCHEMA_RESOURCE).read_bytes())
    return data


@cache
def _detailed() -> Any:
    # jsonschema takes ~0.2 s to import; only the detailed report needs it
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    return cls(schema())


@cache
def _compiled(definition: str | None) -> Callable[[Any], Any]:
    """A compiled validator of the whole document, or of one ``definitions`` entry."""
    full = schema()
    if definition is None:
        target = full
    else:
        if definition not in full["definitions"]:
            raise KeyError(f"the annotation schema has no definition {definition!r}")
        target = {"definitions": full["definitions"], "$ref": f"#/definitions/{definition}"}
    compiled: Callable[[Any], Any] = fastjsonschema.compile(target)
    return compiled


def _pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "".join("/" + p for p in parts)


def problems(data: Any, limit: int = 50) -> list[Problem]:
    """Everything wrong with ``data`` as a version-2 sidecar (at most ``limit``), in order."""
    found = sorted(_detailed().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    out: list[Problem] = []
    for error in found[:limit]:
        out.append(Problem(_pointer(error.absolute_path), error.message))
    return out


def is_valid(data: Any) -> bool:
    """True when ``data`` is a valid version-2 sidecar document (fast path)."""
    split = _without_marks(data)
    try:
        if split is None:
            _compiled(None)(data)
            return True
        skeleton, marks = split
        _compiled(None)(skeleton)
        seen: set[str] = set()
        check = _compiled("calcification")
        for mark in marks:
            if not plain_mark(mark, seen):
                check(mark)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _without_marks(data: Any) -> tuple[dict[str, Any], list[Any]] | None:
    """The document with empty calcification lists, and the marks taken out; None when its
    images are not a list of objects each with a list of calcifications (the whole document
    then goes to the compiled validator)."""
    if not isinstance(data, dict) or type(data.get("images")) is not list:
        return None
    images = []
    marks: list[Any] = []
    for image in data["images"]:
        if not isinstance(image, dict) or type(image.get("calcifications")) is not list:
            return None
        marks.extend(image["calcifications"])
        images.append(dict(image, calcifications=[]))
    return dict(data, images=images), marks


def check_part(definition: str, data: Any) -> str | None:
    """Check a part of a document against ``#/definitions/<definition>``; the problem found, or None.

    Tuples count as arrays here, so model objects' fields can be checked before writing.
    """
    try:
        _compiled(definition)(data)
    except fastjsonschema.JsonSchemaException as exc:
        return str(exc)
    return None
