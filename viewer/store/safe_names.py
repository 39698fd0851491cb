"""File names made from text we do not control (UIDs, reader names, imported data).

Every path the program writes is ours: :func:`file_component` turns any text into one name of
a safe alphabet and length, and :func:`inside` checks the final path stays in the folder the
user chose. A UID of ``../..``, an absolute path, a reader called ``..\\x`` or sixty 4-byte
letters all give a harmless name; different texts never share one (a hash of the exact text is
appended whenever the name is not the text itself).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

MAX_COMPONENT = 96
"""Characters of a name component we make (file systems allow 255 bytes; room for suffixes)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)


class UnsafePathError(ValueError):
    """A path that would leave the folder it must stay in; the message names both."""


def text_digest(text: str, length: int = 12) -> str:
    """A stable short hash of the exact text (its UTF-8 bytes, surrogates kept)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def ascii_fold(text: str) -> str:
    """``text`` with accents dropped and other non-ASCII letters removed (NFKD)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def file_component(text: str, *, fallback: str = "unnamed", max_length: int = MAX_COMPONENT) -> str:
    """One safe file name component for ``text``: ASCII letters, digits, ``.``, ``_``, ``-``.

    A text that already is such a name (and no dot name, no reserved Windows name) is used
    as it is, so ordinary UIDs keep their names; any other text becomes its folded, cleaned
    form plus ``_`` and a hash of the exact text, so two different texts never get one name.
    """
    cleaned = _UNSAFE.sub("_", ascii_fold(text)).strip("._-")
    plain = (
        cleaned == text
        and 0 < len(text) <= max_length
        and text.split(".")[0].upper() not in _WINDOWS_RESERVED
    )
    if plain:
        return text
    stem = cleaned[: max_length - 13] or fallback
    return f"{stem}_{text_digest(text)}"


def inside(folder: Path, path: Path) -> Path:
    """``path`` when it lies inside ``folder`` (links and ``..`` resolved); else UnsafePathError."""
    root = Path(folder).resolve()
    target = Path(path).resolve()
    if target != root and root not in target.parents:
        raise UnsafePathError(f"refused to write {path}: it is outside the chosen folder {folder}")
    return Path(path)
