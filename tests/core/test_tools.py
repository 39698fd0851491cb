"""Interaction tools as state machines, driven by plain events and a fake context (no canvas)."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.core.annotations import Calcification, ImageAnnotations, ImageKey, StudyAnnotations
from viewer.core.commands import Command, CommandStack
from viewer.core.geometry import Point, Spacing, SpacingSource
from viewer.core.phantom import CalcSpec, make_mammogram
from viewer.core.tools import (
    PICK_RADIUS_SCREEN_PX,
    CalcificationTool,
    CalibrateTool,
    DrawOutlineTool,
    EditTool,
    EventKind,
    PointerEvent,
    RulerTool,
    hit_test,
    pick_radius_px,
)
from viewer.core.windowing import ModalityLut

KEY: ImageKey = ("1.2.3", 0)
SPACING = Spacing(0.07, 0.07, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector (overestimates)")


class FakeContext:
    """A ToolContext over a real model and a synthetic image."""

    def __init__(self, pixels: np.ndarray) -> None:
        self.model = StudyAnnotations("tester")
        self.model.ensure_image(ImageAnnotations(KEY[0], dicom_spacing=SPACING))
        self.stack = CommandStack(self.model)
        self.pixels = pixels
        self.messages: list[str] = []
        self.lines: list[tuple[Point, Point | None, str]] = []
        self.previews: list[tuple[str, list[Point] | None]] = []
        self.length_answer: float | None = None
        self.lassos: list[list[Point]] = []
        self.selected: set[str] = set()
        self.pushed: list[Command] = []

    image_key = KEY
    bright_is_high = True
    reader = "tester"
    pick_radius = 3.0

    @property
    def spacing(self) -> Spacing:
        return self.model.image(KEY).spacing

    @property
    def annotations(self) -> ImageAnnotations:
        return self.model.image(KEY)

    @property
    def selected_ids(self) -> set[str]:
        return self.selected

    def stored_pixels(self) -> np.ndarray:
        return self.pixels

    modality_lut = ModalityLut()

    def push(self, command: Command) -> None:
        self.stack.push(command)
        self.pushed.append(command)

    def take_back(self, command: Command) -> bool:
        if not self.pushed or self.pushed[-1] is not command:
            return False
        self.pushed.pop()
        self.stack.undo()
        return True

    def notify(self, message: str) -> None:
        self.messages.append(message)

    def show_line(self, p1: Point, p2: Point | None, text: str) -> None:
        self.lines.append((p1, p2, text))

    def show_polygon(self, points: list[Point] | None, closed: bool = False) -> None:
        pass

    def preview_outline(self, calc_id: str, outline: list[Point] | None) -> None:
        self.previews.append((calc_id, outline))

    def ask_length_mm(self, p1: Point, p2: Point) -> float | None:
        return self.length_answer

    def lasso_done(self, polygon: list[Point]) -> None:
        self.lassos.append(polygon)


def ev(kind: EventKind, x: float, y: float, *mods: str) -> PointerEvent:
    return PointerEvent(kind, x, y, "left", frozenset(mods))


@pytest.fixture(scope="module")
def phantom_pixels() -> np.ndarray:
    phantom = make_mammogram(
        400, 300, (0.07, 0.07), "L", "CC", seed=3, calcifications=[CalcSpec((150.0, 200.0), 1.0)]
    )
    return phantom.pixels.astype(np.float32)


@pytest.fixture
def ctx(phantom_pixels: np.ndarray) -> FakeContext:
    return FakeContext(phantom_pixels)


def marks(ctx: FakeContext) -> list[Calcification]:
    return list(ctx.annotations.calcifications.values())


class TestCalcificationTool:
    def test_click_on_speck_adds_measured_mark(self, ctx: FakeContext) -> None:
        """A click on the 1 mm speck adds one outlined mark of about 1 mm."""
        assert CalcificationTool().handle(ev(EventKind.CLICK, 150, 200), ctx)
        (calc,) = marks(ctx)
        assert calc.sizes is not None and calc.sizes.long_axis_mm is not None
        assert calc.sizes.long_axis_mm == pytest.approx(1.0, abs=0.1)
        assert calc.reader == "tester"

    def test_shift_click_adds_point_mark(self, ctx: FakeContext) -> None:
        """Shift+click keeps a point-only mark: no outline, size not measured."""
        CalcificationTool().handle(ev(EventKind.CLICK, 150, 200, "shift"), ctx)
        (calc,) = marks(ctx)
        assert calc.outline is None and calc.sizes is None

    def test_click_on_nothing_says_so(self, ctx: FakeContext) -> None:
        """Away from any speck, nothing is added and the reader is told."""
        CalcificationTool().handle(ev(EventKind.CLICK, 60, 60), ctx)
        assert marks(ctx) == []
        assert ctx.messages and "no calcification found here" in ctx.messages[-1]

    def test_ignores_drags(self, ctx: FakeContext) -> None:
        """A press is not a click: the view may pan."""
        assert not CalcificationTool().handle(ev(EventKind.PRESS, 150, 200), ctx)


class TestEditTool:
    def test_vertex_drag_then_undo(self, ctx: FakeContext) -> None:
        """Dragging a vertex outward lengthens the long axis in one undoable step."""
        CalcificationTool().handle(ev(EventKind.CLICK, 150, 200), ctx)
        (before,) = marks(ctx)
        assert before.outline is not None and before.sizes is not None
        vx, vy = before.outline[0]
        tool = EditTool()
        assert tool.handle(ev(EventKind.PRESS, vx, vy), ctx)
        tool.handle(ev(EventKind.MOVE, vx + 5, vy), ctx)
        tool.handle(ev(EventKind.RELEASE, vx + 10, vy), ctx)
        (after,) = marks(ctx)
        assert after.sizes is not None
        assert after.sizes.long_axis_px > before.sizes.long_axis_px
        assert ctx.previews[-1] == (before.id, None)
        ctx.stack.undo()
        assert marks(ctx) == [before]

    def test_drag_inside_moves_mark(self, ctx: FakeContext) -> None:
        """A press inside the outline (not on a vertex) moves the whole mark; size unchanged."""
        CalcificationTool().handle(ev(EventKind.CLICK, 150, 200), ctx)
        (before,) = marks(ctx)
        tool = EditTool()
        tool.handle(ev(EventKind.PRESS, before.center[0] + 0.3, before.center[1]), ctx)
        tool.handle(ev(EventKind.RELEASE, before.center[0] + 20.3, before.center[1] + 5), ctx)
        (after,) = marks(ctx)
        assert after.center == pytest.approx((before.center[0] + 20, before.center[1] + 5))
        assert after.sizes is not None and before.sizes is not None
        assert after.sizes.long_axis_mm == pytest.approx(before.sizes.long_axis_mm)

    def test_press_on_empty_image_lets_view_pan(self, ctx: FakeContext) -> None:
        """With no mark under the pointer the tool declines the press."""
        assert not EditTool().handle(ev(EventKind.PRESS, 10, 10), ctx)


class TestDrawAndCalibrate:
    def test_draw_new_outline(self, ctx: FakeContext) -> None:
        """A freehand square of 20 px adds a mark whose long axis is the diagonal."""
        tool = DrawOutlineTool()
        tool.handle(ev(EventKind.PRESS, 10, 10), ctx)
        for x, y in ((30, 10), (30, 30), (10, 30)):
            tool.handle(ev(EventKind.MOVE, x, y), ctx)
        tool.handle(ev(EventKind.RELEASE, 10, 11), ctx)
        (calc,) = marks(ctx)
        assert calc.sizes is not None
        assert calc.sizes.long_axis_px == pytest.approx(np.hypot(20, 20), rel=0.05)

    def test_calibration_rescales(self, ctx: FakeContext) -> None:
        """A 100 px line called 10 mm makes 0.1 mm pixels, source 'manual'."""
        ctx.length_answer = 10.0
        tool = CalibrateTool()
        tool.handle(ev(EventKind.PRESS, 0, 50), ctx)
        tool.handle(ev(EventKind.MOVE, 50, 50), ctx)
        tool.handle(ev(EventKind.RELEASE, 100, 50), ctx)
        spacing = ctx.annotations.spacing
        assert spacing.source is SpacingSource.MANUAL
        assert spacing.col_mm == pytest.approx(0.1)
        ctx.stack.undo()
        assert ctx.annotations.spacing == SPACING

    def test_calibration_cancelled(self, ctx: FakeContext) -> None:
        """Cancelling the length dialog changes nothing."""
        tool = CalibrateTool()
        tool.handle(ev(EventKind.PRESS, 0, 50), ctx)
        tool.handle(ev(EventKind.RELEASE, 100, 50), ctx)
        assert ctx.annotations.calibration is None

    def test_ruler_reports_mm(self, ctx: FakeContext) -> None:
        """The ruler shows the length in mm with the image spacing."""
        tool = RulerTool()
        tool.handle(ev(EventKind.PRESS, 0, 0), ctx)
        tool.handle(ev(EventKind.RELEASE, 30, 40), ctx)
        assert ctx.lines[-1][2] == "3.50 mm (detector)"

    def test_ruler_names_a_magnification_like_the_marks(self, ctx: FakeContext) -> None:
        """The ruler's length carries the spacing source, with the one ERMF rounding."""
        ermf = Spacing(0.07 / 1.0734, 0.07 / 1.0734, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "x", 1.0734)
        ctx.model.image(KEY).dicom_spacing = ermf
        tool = RulerTool()
        tool.handle(ev(EventKind.PRESS, 0, 0), ctx)
        tool.handle(ev(EventKind.RELEASE, 0, 100), ctx)
        assert ctx.lines[-1][2] == f"{100 * 0.07 / 1.0734:.2f} mm (ERMF 1.07)"
        assert ermf.short_label == "ERMF 1.07"


class TestDoubleClick:
    """A double click in the calcification tool adds no mark: the view maximises."""

    def test_first_click_taken_back(self, ctx: FakeContext) -> None:
        """The mark of the double click's first click is undone and the event left to the view."""
        tool = CalcificationTool()
        assert tool.handle(ev(EventKind.CLICK, 150, 200), ctx)
        assert len(marks(ctx)) == 1
        assert tool.handle(ev(EventKind.DOUBLE_CLICK, 150, 200), ctx) is False
        assert marks(ctx) == []
        assert ctx.pushed == []

    def test_an_older_mark_is_kept(self, ctx: FakeContext) -> None:
        """A double click whose first click added nothing takes nothing back."""
        tool = CalcificationTool()
        tool.handle(ev(EventKind.CLICK, 150, 200), ctx)
        tool.handle(ev(EventKind.CLICK, 151, 200), ctx)  # already marked: adds nothing
        assert tool.handle(ev(EventKind.DOUBLE_CLICK, 151, 200), ctx) is False
        assert len(marks(ctx)) == 1


def test_second_click_on_a_marked_speck_adds_nothing(ctx: FakeContext) -> None:
    """Clicking an already marked calcification again does not duplicate it."""
    tool = CalcificationTool()
    tool.handle(ev(EventKind.CLICK, 150, 200), ctx)
    tool.handle(ev(EventKind.CLICK, 151, 200), ctx)
    assert len(marks(ctx)) == 1
    assert "already marked" in ctx.messages[-1]


class TestHitTest:
    """The one mark hit-test: inside an outline, else the nearest centre within the radius."""

    def _image(self) -> tuple[ImageAnnotations, dict[str, str]]:
        image = ImageAnnotations(KEY[0], dicom_spacing=SPACING)
        square = [(0.0, 0.0), (40.0, 0.0), (40.0, 40.0), (0.0, 40.0)]
        marks = {
            "big": Calcification.create((20.0, 20.0), square, SPACING, reader="r"),
            "dot": Calcification.create((60.0, 20.0), None, SPACING, reader="r"),
            "dot2": Calcification.create((66.0, 20.0), None, SPACING, reader="r"),
        }
        for calc in marks.values():
            image.calcifications[calc.id] = calc
        return image, {name: calc.id for name, calc in marks.items()}

    def test_inside_an_outline_far_from_its_centre(self) -> None:
        """A point inside a large outline takes it, though far beyond the radius from its centre."""
        image, ids = self._image()
        hit = hit_test(image, 2.0, 38.0, radius=3.0)
        assert hit is not None and hit.id == ids["big"]

    def test_nearest_centre_within_the_radius(self) -> None:
        """Between two point marks the nearer centre wins; beyond the radius nothing is hit."""
        image, ids = self._image()
        assert (hit := hit_test(image, 62.0, 20.0, radius=3.0)) is not None and hit.id == ids["dot"]
        assert (hit := hit_test(image, 64.5, 20.0, radius=3.0)) is not None and hit.id == ids["dot2"]
        assert hit_test(image, 60.0, 24.0, radius=3.0) is None

    def test_radius_is_a_screen_distance(self) -> None:
        """The pick radius is a fixed number of screen pixels: fewer image pixels when zoomed in."""
        assert pick_radius_px(1.0) == PICK_RADIUS_SCREEN_PX
        assert pick_radius_px(4.0) == PICK_RADIUS_SCREEN_PX / 4
        assert pick_radius_px(0.25) == PICK_RADIUS_SCREEN_PX * 4
