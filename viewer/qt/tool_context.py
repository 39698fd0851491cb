"""What an interaction tool sees of one view: the :class:`viewer.core.tools.ToolContext` for Qt."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from viewer.core.annotations import ImageAnnotations, ImageKey
from viewer.core.commands import Command
from viewer.core.geometry import Point, Spacing
from viewer.core.tools import pick_radius_px
from viewer.core.windowing import ModalityLut
from viewer.qt.image_view import ImageView, image_key

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class ViewToolContext:
    """What a tool sees of one view (implements :class:`viewer.core.tools.ToolContext`)."""

    def __init__(self, window: MainWindow, view: ImageView) -> None:
        self._window = window
        self._view = view
        assert view.image is not None
        self._image = view.image

    @property
    def image_key(self) -> ImageKey:
        return image_key(self._image, self._view.frame)

    @property
    def spacing(self) -> Spacing:
        return self._window.model.image(self.image_key).spacing

    @property
    def bright_is_high(self) -> bool:
        return self._image.bright_is_high

    @property
    def reader(self) -> str:
        return self._window.mark_reader

    def stored_pixels(self) -> np.ndarray:
        return self._image.pixels(self._view.frame)

    @property
    def modality_lut(self) -> ModalityLut:
        return self._image.frame_header(self._view.frame).modality_lut

    def push(self, command: Command) -> None:
        self._window.push(command)

    def take_back(self, command: Command) -> bool:
        return self._window.take_back(command)

    def notify(self, message: str) -> None:
        self._window.notify(message)

    def show_line(self, p1: Point, p2: Point | None, text: str) -> None:
        self._view.show_line(p1, p2, text)

    @property
    def annotations(self) -> ImageAnnotations:
        return self._window.model.image(self.image_key)

    @property
    def selected_ids(self) -> set[str]:
        ctl = self._window.controller
        return set(ctl.calc_ids) if ctl.key == self.image_key else set()

    @property
    def pick_radius(self) -> float:
        return pick_radius_px(self._view.zoom_percent() / 100.0)

    def show_polygon(self, points: list[Point] | None, closed: bool = False) -> None:
        self._view.show_polygon(points)

    def preview_outline(self, calc_id: str, outline: list[Point] | None) -> None:
        layer = self._window.layer_for(self.image_key)
        if layer is not None:
            layer.preview_outline(calc_id, outline)

    def ask_length_mm(self, p1: Point, p2: Point) -> float | None:
        return self._window.ask_calibration_length(self.image_key, p1, p2)

    def lasso_done(self, polygon: list[Point]) -> None:
        self._window.controller.lasso(self.image_key, polygon)
