"""The view box of one image view: the viewer's mouse bindings on pyqtgraph's ViewBox."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt

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

    def mouseClickEvent(self, ev: object) -> None:  # type: ignore[override]
        owner = self._owner
        button = _BUTTONS.get(ev.button(), "other")  # type: ignore[attr-defined]
        pos = self.mapSceneToView(ev.scenePos())  # type: ignore[attr-defined]
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
            pos = self.mapSceneToView(ev.scenePos())  # type: ignore[attr-defined]
            mods = _modifier_names(ev.modifiers())  # type: ignore[attr-defined]
            if ev.isStart():  # type: ignore[attr-defined]
                start = self.mapSceneToView(ev.buttonDownScenePos())  # type: ignore[attr-defined]
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
