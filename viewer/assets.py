"""Lookup of the data files that ship in ``resources/`` (packaged as ``viewer.resources``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


class MissingResourceError(FileNotFoundError):
    """A resource the program needs is not installed with it."""


def resource_path(name: str) -> Path:
    """Return the path of the shipped resource ``name``; raise MissingResourceError if absent."""
    try:
        root = resources.files("viewer.resources")
        candidate = Path(str(root.joinpath(name)))
    except ModuleNotFoundError:
        candidate = Path(__file__).resolve().parents[1] / "resources" / name
    if not candidate.is_file():
        raise MissingResourceError(
            f"resource {name!r} is missing from the installation ({candidate}); reinstall mammo-viewer"
        )
    return candidate
