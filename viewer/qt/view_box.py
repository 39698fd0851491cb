"""The view box of one image view: the viewer's mouse bindings on pyqtgraph's ViewBox, and the
image frame that turns and mirrors the image on screen.

The view box's own coordinates are *display* coordinates: the image as shown, after its
:class:`viewer.core.display_transform.DisplayTransform` (the hanging's and the reader's
turns and mirrors). Every item added to the view box (the picture, marks, outlines,
labels, the ruler) goes into :attr:`MammoViewBox.image_frame`, whose coordinates are the
stored image's pixel coordinates: items, clicks and marks stay in stored pixels whatever
the screen shows, and ``map_*_image`` convert at the edge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QGraphicsItem

from viewer.core.display_transform import DisplayTransform, Shape
from viewer.core.tools import EventKind, PointerEvent

if TYPE_CHECKING:
    from viewer.qt.image_view import ImageView


def _modifier_names(mods: Qt.KeyboardModifier) -> frozenset[str]:
    names = set()
    if mods & Qt.KeyboardModifier.ShiftModifier:
        names.add("shift")
    if mods & Qt.KeyboardModifier.ControlModifier:
        names.add("ctrl")
    if mods & Qt.KeyboardModifier.AltModifier:
        names.add("alt")
    return frozenset(names)


_BUTTONS = {
    Qt.MouseButton.LeftButton: "left",
    Qt.MouseButton.RightButton: "right",
    Qt.MouseButton.MiddleButton: "middle",
}


class MammoViewBox(pg.ViewBox):
    """ViewBox with viewer mouse bindings.

    Left: the active tool (pan when the tool does not use the event); middle: pan;
    right drag: window/level; wheel: zoom about the cursor.
    """

    def __init__(self, owner: ImageView) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._owner = owner
        self._tool_drag = False
        self.image_frame = pg.ItemGroup()
        """The parent of every item: its coordinates are the stored image's pixels."""
        self.image_frame.setParentItem(self.childGroup)

    # -- stored pixels <-> screen -------------------------------------------------------
    def set_image_transform(self, transform: DisplayTransform, shape: Shape) -> None:
        """Show an image of ``shape`` (rows, columns) turned and mirrored by ``transform``."""
        a, b, c, d = transform.matrix
        rows, cols = shape
        out_rows, out_cols = transform.display_shape(shape)
        cx, cy = (cols - 1) / 2, (rows - 1) / 2
        dx = (out_cols - 1) / 2 - (a * cx + b * cy)
        dy = (out_rows - 1) / 2 - (c * cx + d * cy)
        # QTransform maps (x, y) to (m11 x + m21 y + dx, m12 x + m22 y + dy)
        self.image_frame.setTransform(QTransform(a, c, b, d, dx, dy))

    def addItem(self, item: QGraphicsItem, ignoreBounds: bool = False) -> None:  # type: ignore[override]  # noqa: N803
        """Add ``item`` in stored image coordinates (the range is always set by the view)."""
        super().addItem(item, ignoreBounds=True)
        item.setParentItem(self.image_frame)

    def map_scene_to_image(self, pos: QPointF) -> QPointF:
        """The stored image position under scene point ``pos``."""
        return self.image_frame.mapFromScene(pos)

    def map_image_to_scene(self, pos: QPointF) -> QPointF:
        return self.image_frame.mapToScene(pos)

    def map_image_to_device(self, pos: QPointF) -> QPointF:
        """Where stored image position ``pos`` is on the view's viewport, in device pixels."""
        return self.mapViewToDevice(self.image_frame.mapToParent(pos))

    def visible_image_rect(self) -> QRectF:
        """The part of the stored image's coordinates on screen (the view range, untransformed)."""
        return self.image_frame.mapRectFromParent(self.viewRect())

    def mouseClickEvent(self, ev: object) -> None:  # type: ignore[override]
        owner = self._owner
        button = _BUTTONS.get(ev.button(), "other")  # type: ignore[attr-defined]
        pos = self.map_scene_to_image(ev.scenePos())  # type: ignore[attr-defined]
        owner.activated.emit(owner)
        mods = _modifier_names(ev.modifiers())  # type: ignore[attr-defined]
        if ev.double():  # type: ignore[attr-defined]
            ev.accept()  # type: ignore[attr-defined]
            # the tool takes back what the first click did; the view maximises as everywhere
            owner.dispatch(PointerEvent(EventKind.DOUBLE_CLICK, pos.x(), pos.y(), button, mods))
            owner.double_clicked.emit(owner)
            return
        event = PointerEvent(EventKind.CLICK, pos.x(), pos.y(), button, mods)
        if owner.dispatch(event):
            ev.accept()  # type: ignore[attr-defined]

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:  # type: ignore[override]
        owner = self._owner
        btn = ev.button()  # type: ignore[attr-defined]
        if btn == Qt.MouseButton.RightButton:
            ev.accept()  # type: ignore[attr-defined]
            owner.window_drag(ev)
            return
        if btn == Qt.MouseButton.LeftButton:
            pos = self.map_scene_to_image(ev.scenePos())  # type: ignore[attr-defined]
            mods = _modifier_names(ev.modifiers())  # type: ignore[attr-defined]
            if ev.isStart():  # type: ignore[attr-defined]
                start = self.map_scene_to_image(ev.buttonDownScenePos())  # type: ignore[attr-defined]
                owner.activated.emit(owner)
                self._tool_drag = owner.dispatch(
                    PointerEvent(EventKind.PRESS, start.x(), start.y(), "left", mods)
                )
            if self._tool_drag:
                ev.accept()  # type: ignore[attr-defined]
                kind = EventKind.RELEASE if ev.isFinish() else EventKind.MOVE  # type: ignore[attr-defined]
                owner.dispatch(PointerEvent(kind, pos.x(), pos.y(), "left", mods))
                if kind is EventKind.RELEASE:
                    self._tool_drag = False
                return
        super().mouseDragEvent(ev, axis)
        owner.user_changed_range.emit(owner)

    def wheelEvent(self, ev: object, axis: int | None = None) -> None:  # type: ignore[override]
        super().wheelEvent(ev, axis)
        self._owner.user_changed_range.emit(self._owner)
