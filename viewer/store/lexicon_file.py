"""Reading a lexicon file: the shipped BI-RADS label sets or a curator's replacement.

:mod:`viewer.core.lexicon` validates and holds the labels; this module finds and reads the file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from viewer.assets import MissingResourceError, resource_path
from viewer.core.lexicon import SCHEMA_NAME, SHIPPED_NAME, VERSION, Lexicon, LexiconError


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(resource_path(SCHEMA_NAME).read_text(encoding="utf-8"))
    validator: jsonschema.protocols.Validator = jsonschema.validators.validator_for(schema)(schema)
    return validator


def _pointer(path: Any) -> str:
    """A JSON pointer (RFC 6901) of a place in the document."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


def check(data: Any, source: str) -> None:
    """Raise LexiconError naming ``source`` and the first place where ``data`` breaks the schema."""
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and version != VERSION:
        # a newer file deserves a clearer word than "1 was expected"
        raise LexiconError(
            f"{source}: /version: version {version} is not supported (this program reads version {VERSION})"
        )
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise LexiconError(f"{source}: {_pointer(first.absolute_path)}: {first.message}{more}")


def shipped_path() -> Path:
    """Path of the BI-RADS lexicon that ships with the program."""
    try:
        return resource_path(SHIPPED_NAME)
    except MissingResourceError as exc:
        raise LexiconError(str(exc)) from None


def load_lexicon(path: Path | str | None = None) -> Lexicon:
    """Read and validate a lexicon file; ``None`` loads the shipped BI-RADS lexicon.

    Raises
    ------
    LexiconError
        When the file is missing, not JSON, or not a valid lexicon; the message
        names the file and the place of the problem.
    """
    file = Path(path) if path is not None else shipped_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LexiconError(f"{file}: lexicon file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{file}: cannot read the lexicon file ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LexiconError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    check(data, str(file))
    return Lexicon.from_dict(data, source=str(file))


def load_preferred_lexicon(override: Path | str | None) -> tuple[Lexicon, str | None]:
    """The curator's lexicon when ``override`` exists and is valid, else the shipped one.

    Returns the lexicon and, when an override was present but unusable, a message
    for the user saying why and that the built-in labels are used instead.
    """
    if override is not None and Path(override).is_file():
        try:
            return load_lexicon(override), None
        except LexiconError as exc:
            return load_lexicon(), f"{exc}. Using the built-in BI-RADS labels instead."
    return load_lexicon(), None
