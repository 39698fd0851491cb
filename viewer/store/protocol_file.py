"""Reading a hanging protocol file: the shipped protocols or a reader's replacement.

:mod:`viewer.core.hanging_protocol` holds and arranges the protocols; this module finds the
file, checks it against ``resources/hanging_protocols.schema.json`` and reports problems
naming the file and the place.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from viewer.assets import MissingResourceError, resource_path
from viewer.core.hanging_protocol import SCHEMA_NAME, SHIPPED_NAME, ProtocolError, ProtocolSet

OVERRIDE_NAME = SHIPPED_NAME
"""A file of this name in the user data folder replaces the shipped protocols."""


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(resource_path(SCHEMA_NAME).read_text(encoding="utf-8"))
    validator: jsonschema.protocols.Validator = jsonschema.validators.validator_for(schema)(schema)
    return validator


def _pointer(path: Any) -> str:
    return "".join(f"/{p}" for p in path) or "/"


def load_protocols(path: Path | str | None = None) -> ProtocolSet:
    """Read and validate a protocol file; ``None`` reads the shipped one.

    Raises
    ------
    ProtocolError
        When the file is missing, not JSON or not valid; the message names the file and the place.
    """
    try:
        file = Path(path) if path is not None else resource_path(SHIPPED_NAME)
    except MissingResourceError as exc:
        raise ProtocolError(str(exc)) from None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProtocolError(f"{file}: hanging protocol file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"{file}: cannot read the hanging protocol file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ProtocolError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ProtocolError(f"{file}: {_pointer(first.absolute_path)}: {first.message}{more}")
    return ProtocolSet.from_dict(data, source=str(file))


def load_preferred_protocols(override: Path | str | None) -> tuple[ProtocolSet, str | None]:
    """The reader's protocols when ``override`` exists and is valid, else the shipped ones.

    Returns the protocols and, when an override was present but unusable, a message saying
    why and that the built-in protocols are used instead.
    """
    if override is not None and Path(override).is_file():
        try:
            return load_protocols(override), None
        except ProtocolError as exc:
            return load_protocols(), f"{exc}. Using the built-in hanging protocols instead."
    return load_protocols(), None
