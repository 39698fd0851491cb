"""Text as a person can read it, whatever bytes a file name was made of.

A name the OS gives that is not valid in its encoding (a folder ``caf\\xe9`` written by a
Latin-1 machine, read on a UTF-8 one) reaches Python as lone surrogates (PEP 383). JSON and
terminals cannot carry them, and Qt drops them without a word, so ``caf\\xe9`` would show as
``caf``, the same as a folder really called ``caf``. Everywhere the program shows such a
name (the CLI's output, the window's titles, lists and notices) the odd bytes are written
as ``\\xNN``: visible, and telling two such names apart.
"""

from __future__ import annotations

from typing import Any


def printable_text(text: str) -> str:
    """``text`` with each byte a file name held that is not valid UTF-8 shown as ``\\xNN``.

    >>> printable_text("caf\\udce9")
    'caf\\\\xe9'
    """
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def printable(value: Any) -> Any:
    """``value`` with every text in it (nested lists and dict keys too) made :func:`printable_text`."""
    if isinstance(value, str):
        return printable_text(value)
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    return value
