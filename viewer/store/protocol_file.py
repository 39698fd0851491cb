"""Reading a hanging protocol file: the shipped protocols or a reader's replacement.

:mod:`viewer.core.hanging_protocol` holds and arranges the protocols; this module finds the
file, checks it against ``resources/hanging_protocols.schema.json`` and reports problems
naming the file and the place.
"""

from __future__ import annotations

from pathlib import Path

from viewer.assets import MissingResourceError, resource_path
from viewer.core.hanging_protocol import SCHEMA_NAME, SHIPPED_NAME, ProtocolError, ProtocolSet
from viewer.store.json_file import JsonFileError, first_problem, read_json

OVERRIDE_NAME = SHIPPED_NAME
"""A file of this name in the user data folder replaces the shipped protocols."""


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
        data = read_json(file, "hanging protocol file")
    except JsonFileError as exc:
        raise ProtocolError(str(exc)) from None
    problem = first_problem(SCHEMA_NAME, data)
    if problem is not None:
        raise ProtocolError(f"{file}: {problem}")
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
