"""Every edit of the annotations as a command with ``do`` / ``undo``.

The Qt layer wraps these in QUndoCommand on one QUndoStack, so undo/redo, the dirty
flag and autosave hang off one place; the headless commands and the tests run them
directly with :class:`CommandStack`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from viewer.core.annotations import (
    Calcification,
    Calibration,
    Cluster,
    ImageKey,
    StudyAnnotations,
)


class Command(Protocol):
    """An undoable edit. ``text`` names it in the Edit menu ("Undo add calcification")."""

    text: str

    def do(self, model: StudyAnnotations) -> None: ...

    def undo(self, model: StudyAnnotations) -> None: ...


@dataclass
class AddCalcification:
    image: ImageKey
    calcification: Calcification
    text: str = "add calcification"

    def do(self, model: StudyAnnotations) -> None:
        model.put_calcification(self.image, self.calcification)

    def undo(self, model: StudyAnnotations) -> None:
        model.remove_calcification(self.image, self.calcification.id)


@dataclass
class ReplaceCalcification:
    """Any change to one mark: outline edit, move, morphology, point-only."""

    image: ImageKey
    before: Calcification
    after: Calcification
    text: str = "edit calcification"

    def __post_init__(self) -> None:
        if self.before.id != self.after.id:
            raise ValueError("ReplaceCalcification must keep the mark's id")

    def do(self, model: StudyAnnotations) -> None:
        model.put_calcification(self.image, self.after)

    def undo(self, model: StudyAnnotations) -> None:
        model.put_calcification(self.image, self.before)


@dataclass
class RemoveCalcifications:
    """Delete marks; clusters that held them lose those members (and come back on undo)."""

    image: ImageKey
    ids: Sequence[str]
    text: str = "delete calcification"
    _removed: list[Calcification] = field(default_factory=list, init=False)
    _clusters_before: list[Cluster] = field(default_factory=list, init=False)

    def do(self, model: StudyAnnotations) -> None:
        img = model.image(self.image)
        doomed = set(self.ids)
        missing = [i for i in self.ids if i not in img.calcifications]
        if missing:  # checked first: a failing delete leaves the model as it was
            raise KeyError(f"no calcification {', '.join(missing)} on this image")
        self._clusters_before = [c for c in img.clusters.values() if doomed & set(c.member_ids)]
        for cluster in self._clusters_before:
            model.remove_cluster(self.image, cluster.id)
        self._removed = [model.remove_calcification(self.image, i) for i in self.ids]
        for cluster in self._clusters_before:
            members = tuple(m for m in cluster.member_ids if m not in doomed)
            if members:
                model.put_cluster(self.image, replace(cluster, member_ids=members))

    def undo(self, model: StudyAnnotations) -> None:
        img = model.image(self.image)
        for cluster in self._clusters_before:
            if cluster.id in img.clusters:
                model.remove_cluster(self.image, cluster.id)
        for calc in self._removed:
            model.put_calcification(self.image, calc)
        for cluster in self._clusters_before:
            model.put_cluster(self.image, cluster)


@dataclass
class PutCluster:
    """Add a cluster, or replace one with the same id (members, outline, descriptors)."""

    image: ImageKey
    cluster: Cluster
    text: str = "edit cluster"
    _before: Cluster | None = field(default=None, init=False)

    def do(self, model: StudyAnnotations) -> None:
        self._before = model.image(self.image).clusters.get(self.cluster.id)
        model.put_cluster(self.image, self.cluster)

    def undo(self, model: StudyAnnotations) -> None:
        if self._before is None:
            model.remove_cluster(self.image, self.cluster.id)
        else:
            model.put_cluster(self.image, self._before)


@dataclass
class RemoveCluster:
    image: ImageKey
    cluster_id: str
    text: str = "dissolve cluster"
    _removed: Cluster | None = field(default=None, init=False)

    def do(self, model: StudyAnnotations) -> None:
        self._removed = model.remove_cluster(self.image, self.cluster_id)

    def undo(self, model: StudyAnnotations) -> None:
        assert self._removed is not None
        model.put_cluster(self.image, self._removed)


@dataclass
class SetCalibration:
    """Set (or with ``None`` remove) the manual calibration of an image."""

    image: ImageKey
    calibration: Calibration | None
    text: str = "calibrate"
    _before: Calibration | None = field(default=None, init=False)

    def do(self, model: StudyAnnotations) -> None:
        self._before = model.image(self.image).calibration
        model.set_calibration(self.image, self.calibration)

    def undo(self, model: StudyAnnotations) -> None:
        model.set_calibration(self.image, self._before)


@dataclass
class Batch:
    """Several commands as one undo step (one gesture, one undo item)."""

    commands: list[Command]
    text: str = "edit"

    def do(self, model: StudyAnnotations) -> None:
        """Do every command, or none: a failing one undoes those before it and re-raises."""
        done: list[Command] = []
        try:
            for command in self.commands:
                command.do(model)
                done.append(command)
        except Exception:
            for command in reversed(done):
                command.undo(model)
            raise

    def undo(self, model: StudyAnnotations) -> None:
        for command in reversed(self.commands):
            command.undo(model)


class CommandStack:
    """A minimal undo stack for headless use and tests (the GUI uses QUndoStack)."""

    def __init__(self, model: StudyAnnotations) -> None:
        self.model = model
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_index = 0

    def push(self, command: Command) -> None:
        """Do ``command`` and make it the last undo step; if it raises, nothing is pushed."""
        command.do(self.model)
        if self._clean_index > len(self._done):
            self._clean_index = -1  # the saved state was undone and is now overwritten: unreachable
        self._done.append(command)
        self._undone.clear()

    def undo(self) -> bool:
        if not self._done:
            return False
        command = self._done.pop()
        command.undo(self.model)
        self._undone.append(command)
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        command.do(self.model)
        self._done.append(command)
        return True

    def set_clean(self) -> None:
        self._clean_index = len(self._done)

    @property
    def clean(self) -> bool:
        return self._clean_index == len(self._done)


@dataclass
class SetImageView:
    """The reader sets or corrects an image's laterality and view (one undo step)."""

    image: ImageKey
    laterality: str | None
    view: str | None
    text: str = "set view"
    _before: tuple[str | None, str | None, str | None] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.laterality not in (None, "R", "L"):
            raise ValueError(f"laterality must be 'R', 'L' or None, got {self.laterality!r}")

    def do(self, model: StudyAnnotations) -> None:
        img = model.image(self.image)
        self._before = (img.laterality, img.view, img.view_source)
        model.set_view(self.image, self.laterality, self.view, "reader")

    def undo(self, model: StudyAnnotations) -> None:
        assert self._before is not None, "undo before do"
        model.set_view(self.image, *self._before)
