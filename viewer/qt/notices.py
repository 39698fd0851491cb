"""The status bar's notices: each stays until the reader's next action, not a fixed time.

A notice ("no calcification found here", "file's window on 4 linked views...") is read
when the reader looks down, which may be long after it came; a timer would wipe it first.
It goes when the reader next presses a key or a mouse button in the window, unless that
action brought a notice of its own.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QStatusBar

ACTIONS = (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.MouseButtonPress)
"""The events that count as the reader's next action."""


class Notices(QObject):
    """Shows notices in ``bar`` and clears the one the reader has acted past."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self._bar = bar
        self._serial = 0
        self._pending = False

    def show(self, message: str) -> None:
        self._serial += 1
        self._bar.showMessage(message)  # no timeout: it stays until the next action

    def event_seen(self, event: QEvent) -> None:
        """Note an event of the window; an action clears the notice shown before it."""
        if event.type() in ACTIONS and not self._pending and self._bar.currentMessage():
            self._pending = True
            serial = self._serial
            # after the action has run: a notice it showed is newer and stays
            QTimer.singleShot(0, lambda: self._clear(serial))

    def _clear(self, serial: int) -> None:
        self._pending = False
        if serial == self._serial:
            self._bar.clearMessage()
