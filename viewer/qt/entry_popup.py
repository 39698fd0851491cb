"""The choices of a quick keyboard entry, shown whole while it waits for keys.

A small panel over the bottom left of the image area (not a status line, which truncates):
every label with its key; after a first key that begins longer keys ("4" of "4a", "4b",
"4c") only those, with the typed part marked and the words "second key awaited". It never
takes the keyboard focus or the mouse: the keys still go to the window's entry.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from viewer.core.lexicon import Label

_STYLE = (
    "QLabel { color: #f0f0f0; background: rgba(20, 20, 28, 235); border: 1px solid #ffd27a;"
    " border-radius: 4px; padding: 6px 10px; }"
)
_MARGIN = 12


def entry_html(title: str, typed: str, choices: list[Label]) -> str:
    """The panel's text: the title, what is awaited, one row per choice (key, then text)."""
    if typed:
        head = f"<b>{escape(title)}</b>: <b>{escape(typed)}</b>… second key awaited &nbsp; Esc cancels"
    else:
        head = f"<b>{escape(title)}</b>: type a key &nbsp; Esc cancels"
    rows = []
    for label in choices:
        key = label.key
        shown = f"<u>{escape(key[: len(typed)])}</u>{escape(key[len(typed) :])}"
        rows.append(
            f"<tr><td style='color:#ffd27a; padding-right:10px'><b>{shown}</b></td>"
            f"<td>{escape(label.text)}</td></tr>"
        )
    return f"{head}<table cellspacing=0 cellpadding=1>{''.join(rows)}</table>"


class EntryPopup(QLabel):
    """The panel of choices; :meth:`show_choices` places it over ``area``'s bottom left."""

    def __init__(self, area: QWidget) -> None:
        super().__init__(area)
        self.setObjectName("entry_choices")
        self.setStyleSheet(_STYLE)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.shown: list[Label] = []
        """The choices on the panel now."""
        self.hide()

    def show_choices(self, title: str, typed: str, choices: list[Label]) -> None:
        self.shown = list(choices)
        self.setText(entry_html(title, typed, choices))
        self.adjustSize()
        area = self.parentWidget()
        if area is not None:
            self.move(_MARGIN, max(0, area.height() - self.height() - _MARGIN))
        self.show()
        self.raise_()
