"""Reading a lexicon file: the shipped BI-RADS label sets or a curator's replacement.

This module finds and reads the file and checks it against ``resources/lexicon.schema.json``;
:mod:`viewer.core.lexicon` builds and holds the labels and checks what the schema cannot say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from viewer.assets import MissingResourceError, resource_path
from viewer.core.lexicon import SCHEMA_NAME, SHIPPED_NAME, VERSION, Lexicon, LexiconError
from viewer.store.json_file import JsonFileError, first_problem, read_json


def shipped_path() -> Path:
    """Path of the BI-RADS lexicon that ships with the program."""
    try:
        return resource_path(SHIPPED_NAME)
    except MissingResourceError as exc:
        raise LexiconError(str(exc)) from None


def check(data: Any, source: str) -> None:
    """Raise LexiconError naming ``source`` and the first place where ``data`` breaks the schema."""
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and version != VERSION:
        # a newer file deserves a clearer word than "1 was expected"
        raise LexiconError(
            f"{source}: /version: version {version} is not supported (this program reads version {VERSION})"
        )
    problem = first_problem(SCHEMA_NAME, data)
    if problem is not None:
        raise LexiconError(f"{source}: {problem}")


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
        data = read_json(file, "lexicon file")
    except JsonFileError as exc:
        raise LexiconError(str(exc)) from None
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
