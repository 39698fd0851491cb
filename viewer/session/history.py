"""The undo history of an open study, with the two numbers saving needs.

``revision`` counts every change of the model (an edit, an undo, a redo): it orders
snapshots in time, so an older autosave never outlives a newer save. ``state`` names the
model's content: two positions of the history with the same state hold the same marks, so
"unsaved" is exactly ``state != saved_state`` (undoing back to what was saved is clean).
"""

from __future__ import annotations

from viewer.core.annotations import StudyAnnotations
from viewer.core.commands import Command


class History:
    """Undo and redo of core commands on one model, with revision and content state."""

    def __init__(self, model: StudyAnnotations) -> None:
        self.model = model
        self._done: list[tuple[Command, int]] = []
        """Commands done, each with the state it led to."""
        self._undone: list[tuple[Command, int]] = []
        self._base_state = 0
        self._next_state = 1
        self.revision = 0
        self.saved_state: int | None = 0
        """The state the annotation file holds (``None``: no state of this history)."""

    @property
    def state(self) -> int:
        return self._done[-1][1] if self._done else self._base_state

    @property
    def clean(self) -> bool:
        """True when the model holds what was last saved."""
        return self.state == self.saved_state

    def push(self, command: Command) -> None:
        """Do ``command`` as the newest step; if it raises, the history is unchanged."""
        command.do(self.model)
        self._done.append((command, self._next_state))
        self._next_state += 1
        self._undone.clear()
        self.revision += 1

    def undo(self) -> Command | None:
        """Undo the newest step; the command undone, or ``None`` when there is none."""
        if not self._done:
            return None
        command, state = self._done.pop()
        command.undo(self.model)
        self._undone.append((command, state))
        self.revision += 1
        return command

    def take_back(self, command: Command) -> bool:
        """Undo ``command`` if it is the newest step and forget it (nothing to redo).

        For a gesture that turned out to be another one (a double click's first click);
        False, and nothing changes, when ``command`` is not the newest step.
        """
        if not self._done or self._done[-1][0] is not command:
            return False
        self._done.pop()
        command.undo(self.model)
        self.revision += 1
        return True

    def redo(self) -> Command | None:
        """Redo the step undone last; the command, or ``None`` when there is none."""
        if not self._undone:
            return None
        command, state = self._undone.pop()
        command.do(self.model)
        self._done.append((command, state))
        self.revision += 1
        return command

    @property
    def undo_text(self) -> str | None:
        return self._done[-1][0].text if self._done else None

    @property
    def redo_text(self) -> str | None:
        return self._undone[-1][0].text if self._undone else None

    def mark_saved(self, state: int) -> None:
        """The annotation file now holds ``state`` (a save of that state finished)."""
        self.saved_state = state

    def mark_unsaved(self) -> None:
        """The file holds no state of this history (marks recovered from an autosave)."""
        self.saved_state = None
