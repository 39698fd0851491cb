"""Interaction tools as small state machines fed plain pointer events (no Qt).

The Qt view turns mouse events into :class:`PointerEvent` in image pixel coordinates
(x = column, y = row, pixel centres at integers) and hands them to the active tool,
which pushes commands through its :class:`ToolContext`. Tests drive tools with fake
events and a fake context, without a canvas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import numpy as np

from viewer.core.annotations import Calcification, ImageKey
from viewer.core.commands import AddCalcification, Command
from viewer.core.geometry import Point, Spacing


class EventKind(str, Enum):
    CLICK = "click"
    PRESS = "press"
    MOVE = "move"
    RELEASE = "release"


@dataclass(frozen=True)
class PointerEvent:
    """A pointer event in image pixel coordinates."""

    kind: EventKind
    x: float
    y: float
    button: str = "left"
    modifiers: frozenset[str] = field(default_factory=frozenset)


class ToolContext(Protocol):
    """What a tool may see and do on the image under the pointer."""

    @property
    def image_key(self) -> ImageKey: ...

    @property
    def spacing(self) -> Spacing: ...

    @property
    def bright_is_high(self) -> bool: ...

    @property
    def reader(self) -> str: ...

    def modality_pixels(self) -> np.ndarray: ...

    def push(self, command: Command) -> None: ...

    def notify(self, message: str) -> None: ...

    def show_line(self, p1: Point, p2: Point | None, text: str) -> None: ...


class Tool(Protocol):
    name: str

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        """Handle an event; return True when it was used (the view then does nothing else)."""
        ...


class CalcificationTool:
    """Click on a calcification: its outline is found and a mark added.

    Shift+click adds a point-only mark (size "not measured") without outlining.
    """

    name = "calcification"

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        if event.kind is not EventKind.CLICK or event.button != "left":
            return False
        from viewer.core.measure import find_calcification

        spacing = ctx.spacing
        if "shift" in event.modifiers:
            calc = Calcification.create((event.x, event.y), None, spacing, reader=ctx.reader)
            ctx.push(AddCalcification(ctx.image_key, calc, text="add point mark"))
            return True
        result = find_calcification(
            ctx.modality_pixels(), event.x, event.y, spacing, bright_is_high=ctx.bright_is_high
        )
        if not result.found or result.outline is None or result.center is None:
            ctx.notify(result.reason or "no calcification found here")
            return True
        calc = Calcification.create(
            result.center, result.outline, spacing, intensity=result.intensity, reader=ctx.reader
        )
        ctx.push(AddCalcification(ctx.image_key, calc))
        return True


def format_length(spacing: Spacing, p1: Point, p2: Point) -> str:
    """``"12.34 mm"`` (or ``"123.4 px"`` when uncalibrated) for a segment."""
    mm = spacing.distance_mm(p1, p2)
    if mm is None:
        return f"{float(np.hypot(p2[0] - p1[0], p2[1] - p1[1])):.1f} px"
    return f"{mm:.2f} mm"


class RulerTool:
    """Press, drag, release: a caliper line with its length in mm and the spacing source."""

    name = "ruler"

    def __init__(self) -> None:
        self.start: Point | None = None
        self.end: Point | None = None

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        if event.button != "left":
            return False
        here = (event.x, event.y)
        if event.kind is EventKind.PRESS:
            self.start, self.end = here, None
            ctx.show_line(here, None, "")
            return True
        if self.start is None:
            return event.kind is EventKind.CLICK
        if event.kind in (EventKind.MOVE, EventKind.RELEASE):
            self.end = here
            ctx.show_line(self.start, here, format_length(ctx.spacing, self.start, here))
            if event.kind is EventKind.RELEASE:
                self.start = None
            return True
        return False
