"""Core commands on Qt's undo stack: one QUndoCommand per core command."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from viewer.core.annotations import StudyAnnotations
from viewer.core.commands import Command


class ModelCommand(QUndoCommand):
    """Runs a core command on the model; QUndoStack calls redo() once when pushed."""

    def __init__(self, model: StudyAnnotations, command: Command) -> None:
        super().__init__(command.text)
        self.model = model
        self.command = command

    def redo(self) -> None:
        self.command.do(self.model)

    def undo(self) -> None:
        self.command.undo(self.model)
