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

from viewer.core.annotations import Calcification, Calibration, ImageAnnotations, ImageKey, new_id, utc_now
from viewer.core.commands import AddCalcification, Command, ReplaceCalcification, SetCalibration
from viewer.core.geometry import Point, Spacing, distance_px, point_in_polygon, polygon_area, polygon_centroid
from viewer.core.windowing import ModalityLut


class EventKind(str, Enum):
    CLICK = "click"
    PRESS = "press"
    MOVE = "move"
    RELEASE = "release"
    DOUBLE_CLICK = "double_click"
    """The second click of a double click (the first came as a CLICK): the view maximises;
    a tool takes back what that first click did."""


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

    def stored_pixels(self) -> np.ndarray:
        """Stored values of the frame under the pointer (not converted: a click converts its window)."""
        ...

    @property
    def modality_lut(self) -> ModalityLut:
        """The Modality LUT of that frame (PS3.3 C.11.1)."""
        ...

    def push(self, command: Command) -> None: ...

    def take_back(self, command: Command) -> bool:
        """Undo ``command`` if it is the newest step, leaving nothing to redo (a double
        click's first click); False when it is not the newest step."""
        ...

    def notify(self, message: str) -> None: ...

    def show_line(self, p1: Point, p2: Point | None, text: str) -> None: ...

    @property
    def annotations(self) -> ImageAnnotations: ...

    @property
    def selected_ids(self) -> set[str]: ...

    @property
    def pick_radius(self) -> float:
        """How far (image pixels) from a point a press still grabs it: a few screen pixels."""
        ...

    def show_polygon(self, points: list[Point] | None, closed: bool = False) -> None: ...

    def preview_outline(self, calc_id: str, outline: list[Point] | None) -> None: ...

    def ask_length_mm(self, p1: Point, p2: Point) -> float | None: ...

    def lasso_done(self, polygon: list[Point]) -> None: ...


class Tool(Protocol):
    name: str

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        """Handle an event; return True when it was used (the view then does nothing else)."""
        ...


class CalcificationTool:
    """Click on a calcification: its outline is found and a mark added.

    Shift+click adds a point-only mark (size "not measured") without outlining. A double
    click adds no mark: it maximises the view as everywhere, and the mark its first click
    added is taken back (nothing left to redo).
    """

    name = "calcification"

    def __init__(self) -> None:
        self._last_added: Command | None = None
        """The mark the last click added, taken back if that click starts a double click."""

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        if event.button != "left":
            return False
        if event.kind is EventKind.DOUBLE_CLICK:
            added, self._last_added = self._last_added, None
            if added is not None and ctx.take_back(added):
                ctx.notify("double click: no mark added (it maximises the view)")
            return False  # the view maximises
        if event.kind is not EventKind.CLICK:
            return False
        self._last_added = None
        return self._click(event, ctx)

    def _add(self, ctx: ToolContext, command: Command) -> None:
        ctx.push(command)
        self._last_added = command

    def _click(self, event: PointerEvent, ctx: ToolContext) -> bool:
        from viewer.core.measure import find_calcification

        spacing = ctx.spacing
        if "shift" in event.modifiers:
            calc = Calcification.create((event.x, event.y), None, spacing, reader=ctx.reader)
            self._add(ctx, AddCalcification(ctx.image_key, calc, text="add point mark"))
            return True
        result = find_calcification(
            ctx.stored_pixels(),
            event.x,
            event.y,
            spacing,
            bright_is_high=ctx.bright_is_high,
            modality=ctx.modality_lut,
        )
        if not result.found or result.outline is None or result.center is None:
            ctx.notify(result.reason or "no calcification found here")
            return True
        existing = mark_at(ctx, *result.center)
        if existing is not None:
            ctx.notify("this calcification is already marked (E edits its outline)")
            return True
        calc = Calcification.create(
            result.center, result.outline, spacing, intensity=result.intensity, reader=ctx.reader
        )
        self._add(ctx, AddCalcification(ctx.image_key, calc))
        return True


def format_length(spacing: Spacing, p1: Point, p2: Point) -> str:
    """``"12.34 mm (ERMF 1.08)"`` (or ``"123.4 px (uncalibrated)"``) for a segment: the
    length with its spacing source, as every size."""
    return spacing.format_sourced_length(spacing.distance_mm(p1, p2), distance_px(p1, p2))


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


PICK_RADIUS_SCREEN_PX = 8.0
"""How far (screen pixels) from a mark's centre or vertex a click still takes it: the one
tolerance of every hit-test (selection by click, the edit tool, redraw)."""


def pick_radius_px(zoom: float) -> float:
    """:data:`PICK_RADIUS_SCREEN_PX` in image pixels at ``zoom`` screen pixels per image pixel."""
    return PICK_RADIUS_SCREEN_PX / max(zoom, 1e-6)


def hit_test(image: ImageAnnotations, x: float, y: float, radius: float) -> Calcification | None:
    """The mark under ``(x, y)``: one whose outline holds the point, else the nearest centre
    within ``radius`` image pixels, else None. The one mark hit-test of the program."""
    best: tuple[float, Calcification] | None = None
    for calc in image.calcifications.values():
        if calc.outline is not None and point_in_polygon(x, y, calc.outline):
            return calc
        d = float(np.hypot(calc.center[0] - x, calc.center[1] - y))
        if d <= radius and (best is None or d < best[0]):
            best = (d, calc)
    return best[1] if best else None


def mark_at(ctx: ToolContext, x: float, y: float) -> Calcification | None:
    """:func:`hit_test` in the tool's view, with its pick radius."""
    return hit_test(ctx.annotations, x, y, ctx.pick_radius)


class EditTool:
    """Drag a vertex of a mark's outline, or drag the mark to move it; one gesture, one undo.

    The vertex wins when the press is within the pick radius of one of the marks'
    vertices (selected marks first); otherwise a press inside a mark moves the whole mark.
    """

    name = "edit"

    def __init__(self) -> None:
        self._calc: Calcification | None = None
        self._vertex: int | None = None
        self._start: Point | None = None
        self._outline: list[Point] | None = None
        self._offset: Point = (0.0, 0.0)

    def _grab(self, ctx: ToolContext, x: float, y: float) -> None:
        marks = list(ctx.annotations.calcifications.values())
        marks.sort(key=lambda c: c.id not in ctx.selected_ids)
        best: tuple[float, Calcification, int] | None = None
        for calc in marks:
            for i, (vx, vy) in enumerate(calc.outline or ()):
                d = float(np.hypot(vx - x, vy - y))
                if d <= ctx.pick_radius and (best is None or d < best[0]):
                    best = (d, calc, i)
        if best is not None:
            self._calc, self._vertex = best[1], best[2]
        else:
            self._calc, self._vertex = mark_at(ctx, x, y), None

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        if event.button != "left":
            return False
        here = (event.x, event.y)
        if event.kind is EventKind.PRESS:
            self._grab(ctx, *here)
            if self._calc is None:
                return False  # nothing under the pointer: the view pans
            self._start = here
            self._outline = list(self._calc.outline) if self._calc.outline else None
            return True
        if self._calc is None or self._start is None:
            return False
        calc = self._calc
        dx, dy = here[0] - self._start[0], here[1] - self._start[1]
        if event.kind is EventKind.MOVE:
            if self._vertex is not None and self._outline is not None:
                self._outline[self._vertex] = here
                ctx.preview_outline(calc.id, self._outline)
            elif calc.outline is not None:
                ctx.preview_outline(calc.id, [(px + dx, py + dy) for px, py in calc.outline])
            else:
                ctx.preview_outline(calc.id, [(calc.center[0] + dx, calc.center[1] + dy)])
            return True
        if event.kind is EventKind.RELEASE:
            ctx.preview_outline(calc.id, None)
            self._calc = None
            if dx == 0 and dy == 0:
                return True
            if self._vertex is not None and self._outline is not None:
                if polygon_area(self._outline) <= 0:
                    ctx.notify("that outline has no area; the edit was not applied")
                    return True
                after = calc.with_outline(self._outline, ctx.spacing)
                ctx.push(ReplaceCalcification(ctx.image_key, calc, after, text="edit outline"))
            else:
                ctx.push(
                    ReplaceCalcification(ctx.image_key, calc, calc.moved(dx, dy), text="move calcification")
                )
            return True
        return event.kind is EventKind.CLICK


class _FreehandTool:
    """Press, drag a closed freehand shape, release: subclasses decide what the shape means."""

    name = "freehand"
    min_vertices = 3

    def __init__(self) -> None:
        self._points: list[Point] = []

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        if event.button != "left":
            return False
        here = (event.x, event.y)
        if event.kind is EventKind.PRESS:
            self._points = [here]
            ctx.show_polygon(self._points)
            return True
        if not self._points:
            return event.kind is EventKind.CLICK
        if event.kind is EventKind.MOVE:
            last = self._points[-1]
            if np.hypot(here[0] - last[0], here[1] - last[1]) >= 0.5:
                self._points.append(here)
                ctx.show_polygon(self._points)
            return True
        if event.kind is EventKind.RELEASE:
            points, self._points = self._points, []
            ctx.show_polygon(None)
            if len(points) < self.min_vertices or polygon_area(points) < 1.0:
                ctx.notify("the drawn shape is too small")
                return True
            self.finish(points, ctx)
            return True
        return False

    def finish(self, points: list[Point], ctx: ToolContext) -> None:
        raise NotImplementedError


class DrawOutlineTool(_FreehandTool):
    """Redraw by hand: a shape around an existing mark's centre replaces its outline;
    elsewhere it adds a mark with that outline."""

    name = "draw"

    def finish(self, points: list[Point], ctx: ToolContext) -> None:
        inside = [c for c in ctx.annotations.calcifications.values() if point_in_polygon(*c.center, points)]
        if len(inside) == 1:
            calc = inside[0]
            ctx.push(
                ReplaceCalcification(
                    ctx.image_key, calc, calc.with_outline(points, ctx.spacing), text="redraw outline"
                )
            )
            return
        if len(inside) > 1:
            ctx.notify("the shape holds several marks; draw around one mark to redraw it")
            return
        center = polygon_centroid(points)
        calc = Calcification.create(center, points, ctx.spacing, reader=ctx.reader)
        ctx.push(AddCalcification(ctx.image_key, calc, text="add drawn calcification"))


class LassoClusterTool(_FreehandTool):
    """Draw a cluster by hand around any marks (the window makes the cluster command)."""

    name = "lasso"

    def finish(self, points: list[Point], ctx: ToolContext) -> None:
        ctx.lasso_done(points)


class CalibrateTool:
    """Draw a line over an object of known length, type the length: a manual calibration."""

    name = "calibrate"

    def __init__(self) -> None:
        self.start: Point | None = None

    def handle(self, event: PointerEvent, ctx: ToolContext) -> bool:
        if event.button != "left":
            return False
        here = (event.x, event.y)
        if event.kind is EventKind.PRESS:
            self.start = here
            return True
        if self.start is None:
            return event.kind is EventKind.CLICK
        if event.kind is EventKind.MOVE:
            ctx.show_line(self.start, here, format_length(ctx.annotations.dicom_spacing, self.start, here))
            return True
        if event.kind is EventKind.RELEASE:
            start, self.start = self.start, None
            ctx.show_line(start, None, "")
            if np.hypot(here[0] - start[0], here[1] - start[1]) < 2.0:
                ctx.notify("draw the calibration line over an object of known length")
                return True
            length = ctx.ask_length_mm(start, here)
            if length is None:
                return True
            if not (length > 0):
                ctx.notify("the length must be a positive number of millimetres")
                return True
            calibration = Calibration(new_id(), start, here, float(length), ctx.reader, utc_now())
            ctx.push(SetCalibration(ctx.image_key, calibration))
            return True
        return False
