"""The program's own small JSON files (lexicon, hanging protocols): reading and schema checks.

Each file type has a JSON Schema in ``resources/`` (draft-07, see
``tests/store/test_schema_agreement.py``); problems are reported naming the file and the place
as a JSON pointer (RFC 6901), so a curator editing a file by hand finds the line to change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from viewer.assets import resource_path


class JsonFileError(ValueError):
    """A file that is missing, unreadable or not JSON; the message names it."""


def pointer(path: Iterable[Any]) -> str:
    """The JSON pointer (RFC 6901) of a place given as its keys and indices; ``/`` for the root."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


def read_json(file: Path, what: str) -> Any:
    """The parsed JSON of ``file``; ``what`` names the kind of file in messages ("lexicon file").

    Raises
    ------
    JsonFileError
        When the file is missing, unreadable or not valid JSON (with the line and column).
    """
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JsonFileError(f"{file}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JsonFileError(f"{file}: cannot read the {what} ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonFileError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


@cache
def _validator(schema_name: str) -> jsonschema.protocols.Validator:
    schema = json.loads(resource_path(schema_name).read_text(encoding="utf-8"))
    validator: jsonschema.protocols.Validator = jsonschema.validators.validator_for(schema)(schema)
    return validator


def first_problem(schema_name: str, data: Any) -> str | None:
    """The first place (in document order) where ``data`` breaks the shipped schema, or None.

    As ``"/pointer: message"``, followed by how many more problems there are.
    """
    errors = sorted(
        _validator(schema_name).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if not errors:
        return None
    first = errors[0]
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{pointer(first.absolute_path)}: {first.message}{more}"
