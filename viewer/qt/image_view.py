"""One mammogram on screen: its geometry, pan/zoom, window/level, and the parts that draw it.

Items of the view live in the stored image's pixel coordinates (x = column, y = row,
pixel centres at integers): the view box's image frame (:mod:`viewer.qt.view_box`) turns
and mirrors them on screen by :attr:`ImageView.display_transform`, the hanging's
(:attr:`MammoImage.hanging_transform`: mirrored, or turned when the file is stored a
quarter turn from the reading orientation) followed by the reader's (View > Orientation).
The data is never copied or turned, and marks and clicks stay in stored pixels.

The view is put together from one part a concept: what it is showing and how far the
loading has come (:mod:`viewer.qt.view_loading`), the picture drawn through the display
table (:mod:`viewer.qt.view_picture`), and the text blocks, ruler and sketch over it
(:mod:`viewer.qt.view_overlays`). The view itself keeps the window, the turn and the zoom.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from viewer.core.annotations import ImageKey
from viewer.core.display_lut import display_lut
from viewer.core.display_transform import DisplayTransform
from viewer.core.pyramid import Pyramid
from viewer.core.tools import PointerEvent
from viewer.core.windowing import CUSTOM_VOI_NAME, VoiPreset, named_window
from viewer.dicom.image import MammoImage
from viewer.qt.view_box import MammoViewBox
from viewer.qt.view_loading import ViewLoading
from viewer.qt.view_overlays import ViewOverlays, ViewSketch
from viewer.qt.view_picture import ViewPicture

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def image_key(image: MammoImage, frame: int = 0) -> ImageKey:
    """The annotation key of one frame of an image: (SOP Instance UID, frame)."""
    return (image.sop_instance_uid, frame)


class ImageView(pg.GraphicsView):
    """A single image view with windowing, zoom/pan, overlays and a tool dispatcher."""

    activated = Signal(object)
    double_clicked = Signal(object)
    user_changed_range = Signal(object)
    window_changed = Signal(object)
    cursor_moved = Signal(object, float, float)
    image_changed = Signal(object)
    """The cell lost its image without a range change (emptied, or its image failed to decode)."""

    def __init__(self, label: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background=QColor(0, 0, 0))
        self.cell_label = label
        self.image: MammoImage | None = None
        self.frame = 0
        self.voi: VoiPreset | None = None
        self.invert = False
        self.tool_handler: Callable[[ImageView, PointerEvent], bool] | None = None
        self.align: str | None = None
        """Screen side ("left"/"right") the image is pushed against when fitted, or centred."""
        self.note = ""
        """A banner naming what the cell shows beyond the view, e.g. "PRIOR 2023-01-02"."""
        self._drag_start: tuple[float, float] | None = None
        self.value_range = (0.0, 1.0)
        """Lowest and highest modality value of the pixels shown: the window drag's scale."""
        self.hanging = DisplayTransform()
        """How the hanging turns and mirrors the image shown."""
        self.user_turn = DisplayTransform()
        """The reader's turns and flips after the hanging's (View > Orientation)."""
        self._turned_uid: str | None = None
        """The image ``user_turn`` was made for: another image starts as it hangs."""

        self.vb = MammoViewBox(self)
        self.setCentralItem(self.vb)
        self.picture = ViewPicture(self.vb)
        self.item = self.picture.item
        self.loading = ViewLoading(self)
        self.vb.sigRangeChanged.connect(self._schedule_render)
        self.scene().sigMouseMoved.connect(self._mouse_moved)

        self.sketch = ViewSketch(self.vb)

        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self.render)

        # Two text blocks on the cell's outer side (away from the chest wall, where tissue is).
        self.overlays = ViewOverlays(self)
        self.overlay_top = self.overlays.top
        self.overlay_bottom = self.overlays.bottom
        self.banner = self.overlays.banner
        self.setMinimumSize(120, 120)
        self.update_overlays()

    # -- overlays ------------------------------------------------------------------
    def resizeEvent(self, ev: object) -> None:  # type: ignore[override]
        super().resizeEvent(ev)
        if not hasattr(self, "overlay_bottom"):  # pyqtgraph resizes during its own __init__
            return
        self.place_overlays()
        self._schedule_render()

    def _outer_side(self) -> str:
        return "right" if self.align == "left" else "left"

    def place_overlays(self) -> None:
        """Put the text blocks on the cell's outer side, away from the chest wall."""
        self.overlays.place(self.width(), self.height(), self._outer_side())

    def update_overlays(self) -> None:
        """Say in the text blocks what the cell shows: its view, window, zoom and notes."""
        if self.image is None:
            self.overlays.show_empty(self.cell_label)
        else:
            self.overlays.show_image(
                self.image, self.voi, self.invert, self.frame, self.zoom_percent(), self.note, self.user_turn
            )
        self.place_overlays()

    # -- loading (viewer.qt.view_loading) ------------------------------------------
    def set_image(self, image: MammoImage | None, frame: int = 0) -> None:
        """Show ``image`` (or an empty, labelled cell), with its default window, fitted."""
        self.loading.show(image, frame)

    def set_failed(self, image: MammoImage, message: str) -> None:
        """Say in the cell that ``image`` could not be decoded, and why; nothing is drawn."""
        self.loading.show_failed(image, message)

    def set_loading(self, image: MammoImage, frame: int = 0) -> None:
        """Name the cell after ``image`` while its pixels are decoded elsewhere; nothing drawn.

        Reads the header only: never decodes.
        """
        self.loading.show_loading(image, frame)

    @property
    def pixels_ready(self) -> bool:
        """True when the full-resolution pixels are shown (not loading, not a preview):
        ``image.pixels(frame)`` then returns without decoding."""
        return self.loading.pixels_ready

    def set_preview(self, image: MammoImage, array: np.ndarray, level: int, frame: int = 0) -> None:
        """Show a reduced-resolution picture of ``image`` until :meth:`set_full`.

        ``array`` holds stored values at 1/2**level of the image's size (rounded up),
        within the image's stored range. Never decodes.
        """
        self.loading.show_preview(image, array, level, frame)

    def set_full(self, image: MammoImage, pyramid: Pyramid | None = None, frame: int = 0) -> None:
        """Show ``image`` at full resolution (``pyramid``: its levels, built elsewhere).

        After :meth:`set_preview` of the same image, zoom, pan and window stay as the user
        left them. ``image.pixels(frame)`` should be stored already (the loader does it):
        then nothing is decoded here.
        """
        self.loading.show_full(image, pyramid, frame)

    def set_frame(self, frame: int, pyramid: Pyramid | None = None) -> None:
        """Show another frame of the same image, keeping zoom, pan and window.

        ``pyramid`` holds the frame's decoded levels (:mod:`viewer.qt.frame_pager`); without
        it the frame's pixels are taken from the image (decoded here if need be).
        """
        self.loading.show_frame(frame, pyramid)

    @property
    def pyramid(self) -> Pyramid | None:
        """The resolution levels of the stored values drawn from (a preview's while loading)."""
        return self.picture.pyramid

    # -- geometry ------------------------------------------------------------------
    def hang(self, image: MammoImage, hanging: DisplayTransform) -> None:
        """Hang ``image`` by ``hanging``: its turn and mirror, the aspect ratio from the pixel
        spacing, and the pan limits.

        The reader's own turns are kept while the same image is shown, and dropped for another.
        """
        self.hanging = hanging
        if image.sop_instance_uid != self._turned_uid:
            self.user_turn = DisplayTransform()
            self._turned_uid = image.sop_instance_uid
        self._apply_display_transform(image)

    def _apply_display_transform(self, image: MammoImage) -> None:
        transform = self.display_transform
        spacing = image.spacing
        ratio = 1.0
        if spacing.row_mm is not None and spacing.col_mm is not None:
            # the screen's x runs along the stored rows after a quarter turn
            ratio = spacing.col_mm / spacing.row_mm
            ratio = 1.0 / ratio if transform.swaps_axes else ratio
        self.vb.setAspectLocked(True, ratio=ratio)
        self.vb.set_image_transform(transform, (image.rows, image.columns))
        rows, cols = transform.display_shape((image.rows, image.columns))
        self.vb.setLimits(xMin=-0.5 - cols * 2, xMax=cols * 3, yMin=-0.5 - rows * 2, yMax=rows * 3)

    @property
    def display_transform(self) -> DisplayTransform:
        """How the image is turned and mirrored on screen: the hanging's, then the reader's."""
        return self.hanging.then(self.user_turn)

    def set_user_turn(self, turn: DisplayTransform) -> None:
        """Show the image turned and mirrored by ``turn`` after the hanging's transform.

        A fitted view stays fitted; a zoomed one keeps its zoom on the same point of the image.
        """
        image = self.image
        if image is None or turn == self.user_turn:
            return
        whole = QRectF(-0.5, -0.5, image.columns, image.rows)
        fitted = self.visible_image_rect().adjusted(-1, -1, 1, 1).contains(whole)
        state = self.view_state()
        self.user_turn = turn
        self._turned_uid = image.sop_instance_uid
        self._apply_display_transform(image)
        self.picture.invalidate()
        if fitted:
            self.fit()
        else:
            self.apply_view_state(state)
        self.update_overlays()
        self.vb.sigRangeChanged.emit(self.vb, self.vb.state["viewRange"], [True, True])

    def image_to_display(self, x: float, y: float) -> tuple[float, float]:
        """The view box (display) position of stored image point ``(x, y)``."""
        if self.image is None:
            return (x, y)
        return self.display_transform.map_point((x, y), (self.image.rows, self.image.columns))

    def display_to_image(self, x: float, y: float) -> tuple[float, float]:
        if self.image is None:
            return (x, y)
        return self.display_transform.unmap_point((x, y), (self.image.rows, self.image.columns))

    def visible_image_rect(self) -> QRectF:
        """The part of the stored image's coordinates on screen."""
        return self.vb.visible_image_rect()

    def screen_right_of(self, box: tuple[float, float, float, float]) -> tuple[float, float]:
        """The middle of the side of ``box`` (left, top, right, bottom; stored pixels) shown on the right."""
        left, top, right, bottom = box
        a, b, _, _ = self.display_transform.matrix  # the stored step that shows as +x is (a, b)
        if a:
            return (right if a > 0 else left, (top + bottom) / 2)
        return ((left + right) / 2, bottom if b > 0 else top)

    def set_voi(self, voi: VoiPreset, *, emit: bool = True) -> None:
        """Apply a VOI (preset or dragged window); one equal to a named preset takes its name."""
        if self.image is not None and voi.name == CUSTOM_VOI_NAME:
            presets = [*self.image.frame_header(self.frame).voi_presets, self.image.auto_voi(self.frame)]
            voi = named_window(voi, presets)
        self.voi = voi
        self.rebuild_lut()
        self.update_overlays()
        if emit:
            self.window_changed.emit(self)

    def set_invert(self, invert: bool) -> None:
        self.invert = invert
        self.rebuild_lut()
        self.update_overlays()

    def reset_window(self) -> None:
        if self.image is not None:
            self.invert = self.image.invert_default
            self.set_voi(self.image.default_voi(self.frame))

    def auto_window(self) -> None:
        if self.image is not None:
            self.set_voi(self.image.auto_voi(self.frame))

    @property
    def lut(self) -> np.ndarray | None:
        """The uint8 lookup table in force: ``lut[stored - lut_offset]`` is the shown grey."""
        return self.picture.lut

    @property
    def lut_offset(self) -> int:
        return self.picture.lut_offset

    def rebuild_lut(self) -> None:
        """Draw through the table of the window and inversion in force (the frame's rescale)."""
        if self.image is None or self.voi is None:
            return
        lo, hi = self.image.stored_range
        modality = self.image.frame_header(self.frame).modality_lut
        self.picture.set_lut(display_lut(lo, hi, modality, self.voi, self.invert), lo)
        self.render()

    # -- zoom / pan ----------------------------------------------------------------
    def fit(self) -> None:
        """Fit the whole image in the view."""
        if self.image is None:
            return
        rows, cols = self.display_transform.display_shape((self.image.rows, self.image.columns))
        self.vb.setRange(QRectF(-0.5, -0.5, cols, rows), padding=0.01)
        if self.align in ("left", "right"):
            # Hanging: push the image against the cell edge that faces the other breast.
            rect = self.vb.viewRect()
            extra = rect.width() - cols
            if extra > 0:
                toward_low_x = self.align == "left"
                x0 = -0.5 if toward_low_x else -0.5 - extra
                self.vb.setRange(QRectF(x0, rect.top(), rect.width(), rect.height()), padding=0)
        self.render()

    def zoom_percent(self) -> float:
        """Screen pixels per image pixel, in percent (100 % = 1:1)."""
        if self.image is None or self.vb.width() <= 0:
            return 0.0
        x_range = self.vb.viewRange()[0]
        span = x_range[1] - x_range[0]
        return 100.0 * self.vb.width() / span if span > 0 else 0.0

    def set_zoom(self, screen_px_per_image_px: float, center: tuple[float, float] | None = None) -> None:
        """Zoom so that one image pixel takes the given number of screen pixels.

        ``center``: the stored image point to centre on; the centre of the view when None.
        """
        if self.image is None or screen_px_per_image_px <= 0:
            return
        rect = self.vb.viewRect()
        cx, cy = (
            self.image_to_display(*center) if center is not None else (rect.center().x(), rect.center().y())
        )
        w = self.vb.width() / screen_px_per_image_px
        h = self.vb.height() / screen_px_per_image_px
        ratio = self.vb.state["aspectLocked"] or 1.0
        h *= ratio
        self.vb.setRange(QRectF(cx - w / 2, cy - h / 2, w, h), padding=0)
        self.update_overlays()

    def one_to_one(self) -> None:
        self.set_zoom(1.0)

    def true_size(self) -> None:
        """Zoom so that a millimetre on the image is a millimetre on the screen."""
        if self.image is None or not self.image.spacing.calibrated:
            return
        screen = self.screen()
        dpmm = (screen.physicalDotsPerInchX() if screen else 96.0) / 25.4
        spacing = self.image.spacing
        along_x = spacing.row_mm if self.display_transform.swaps_axes else spacing.col_mm
        self.set_zoom((along_x or 1.0) * dpmm)

    def view_state(self) -> tuple[float, float, float]:
        """(centre x, centre y, zoom) to link other views; the centre in stored image pixels."""
        center = self.vb.viewRect().center()
        x, y = self.display_to_image(center.x(), center.y())
        return (x, y, self.zoom_percent() / 100.0)

    def apply_view_state(self, state: tuple[float, float, float]) -> None:
        cx, cy, zoom = state
        self.set_zoom(zoom, (cx, cy))

    def center_on(self, x: float, y: float, zoom: float | None = None) -> None:
        """Centre the view on an image point, optionally at a zoom (screen px per image px)."""
        if zoom is None:
            zoom = max(self.zoom_percent() / 100.0, 1e-6)
        self.set_zoom(zoom, (x, y))

    # -- rendering -----------------------------------------------------------------
    def _schedule_render(self) -> None:
        if not self._render_timer.isActive():
            self._render_timer.start()

    def render(self) -> None:  # type: ignore[override]
        """Window the visible crop of the matching resolution level and show it."""
        if self.image is None or self.closed:
            return  # closed: pyqtgraph's close() deleted the scene items, a resize still comes
        if self.picture.render():
            self.update_overlays()

    @property
    def render_pending(self) -> bool:
        """True while a repaint asked for (by a pan, zoom or resize) has not run yet."""
        return self._render_timer.isActive()

    def displayed_image(self) -> np.ndarray | None:
        """The uint8 picture currently on screen (for tests and exports)."""
        return self.picture.shown()

    # -- interaction ---------------------------------------------------------------
    def dispatch(self, event: PointerEvent) -> bool:
        if self.image is None or self.tool_handler is None:
            return False
        return self.tool_handler(self, event)

    def window_drag(self, ev: object) -> None:
        """Right-button drag: horizontal changes the width, vertical the centre (level)."""
        if self.image is None or self.voi is None:
            return
        voi = self.voi
        if ev.isStart():  # type: ignore[attr-defined]
            center, width = self._current_window()
            self._drag_start = (center, width)
        if self._drag_start is None:
            return
        c0, w0 = self._drag_start
        start = ev.buttonDownScreenPos(Qt.MouseButton.RightButton)  # type: ignore[attr-defined]
        now = ev.screenPos()  # type: ignore[attr-defined]
        dx, dy = now.x() - start.x(), now.y() - start.y()
        lo, hi = self.value_range
        step = max(hi - lo, 1.0) / 800.0
        width = max(1.0, w0 + dx * step * 2)
        center = c0 + dy * step
        self.set_voi(voi.with_window(center, width))
        if ev.isFinish():  # type: ignore[attr-defined]
            self._drag_start = None

    def _current_window(self) -> tuple[float, float]:
        assert self.image is not None and self.voi is not None
        voi = self.voi
        if voi.center is not None and voi.width is not None:
            return voi.center, voi.width
        lo, hi = self.value_range
        return (lo + hi) / 2.0, hi - lo

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        if self.image is None:
            return
        p = self.vb.map_scene_to_image(scene_pos)
        self.cursor_moved.emit(self, p.x(), p.y())

    def show_line(self, p1: tuple[float, float], p2: tuple[float, float] | None, text: str) -> None:
        """Draw (or with ``p2=None`` start) the ruler line with its length."""
        self.sketch.show_line(p1, p2, text)

    def show_polygon(self, points: list[tuple[float, float]] | None) -> None:
        """Draw the freehand shape being drawn (``None`` hides it)."""
        self.sketch.show_polygon(points)

    def clear_ruler(self) -> None:
        self.sketch.clear_ruler()
