"""The marks drawn in each hanging cell: one :class:`MarksLayer` per shown image frame.

Keeps the layers in step with what the cells show (a study opened, a frame paged, another
image hung in the active cell) and with the size-label toggle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from viewer.core.annotations import ImageKey, StudyAnnotations
from viewer.core.pyramid import Pyramid
from viewer.dicom.image import MammoImage
from viewer.qt.image_view import ImageView, image_key
from viewer.qt.marks_layer import MarksLayer

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


def frame_label(image: MammoImage, frame: int) -> str:
    """How the marks list names one frame of an image."""
    return image.view_label if image.frames <= 1 else f"{image.view_label} frame {frame + 1}"


class CellLayers:
    """The reader's marks layer of every hanging cell that shows an image."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.layers: dict[str, MarksLayer] = {}

    def layer_for(self, key: ImageKey) -> MarksLayer | None:
        return next((layer for layer in self.layers.values() if layer.key == key), None)

    def _attach(self, name: str, view: ImageView, model: StudyAnnotations, key: ImageKey) -> None:
        old = self.layers.pop(name, None)
        if old is not None:
            old.detach()
        layer = MarksLayer(view, model, key)
        layer.set_show_labels(self.window.labels_action.isChecked())
        layer.set_suggestions(self.window.controller.suggestions_for(key))
        self.layers[name] = layer

    def detach_all(self) -> None:
        for layer in self.layers.values():
            layer.detach()
        self.layers.clear()

    def attach_all(self, model: StudyAnnotations) -> None:
        """A layer of ``model`` on every cell that shows an image."""
        for name, view in self.window.hanging.views.items():
            if view.image is not None:
                self._attach(name, view, model, image_key(view.image, view.frame))

    def _name_of(self, view: ImageView) -> str | None:
        return next((n for n, v in self.window.hanging.views.items() if v is view), None)

    def set_frame(self, view: ImageView, frame: int) -> None:
        """Show another frame of a multi-frame image (tomosynthesis) in ``view``."""
        window = self.window
        image = view.image
        if image is None or image.frames <= 1:
            window.notify("this image has a single frame")
            return
        window.frames.page(view, frame % image.frames)

    def show_frame(self, view: ImageView, frame: int, pyramid: Pyramid) -> None:
        """Switch ``view`` to ``frame`` (its pixels decoded, in ``pyramid``) and its marks with it."""
        window = self.window
        image = view.image
        if image is None:
            return
        key = image_key(image, frame)
        if key not in window.model.images:
            window.model.ensure_image(image.annotation_record(frame))
            window.marks_panel.view_names[key] = frame_label(image, frame)
            window.marks_panel.refresh()
        view.set_frame(frame, pyramid)
        review = window.workflow.candidates
        if review.view is view and review.key != key and review.candidates:
            review.clear()  # they were found on the frame shown before
            window.notify("candidates of the frame shown before were cleared; Ctrl+F finds this frame's")
        name = self._name_of(view)
        if name is not None:
            self._attach(name, view, window.model, key)

    def step_frame(self, delta: int) -> None:
        view = self.window.hanging.active
        if view.image is not None:
            self.set_frame(view, view.frame + delta)

    def show_in_active_cell(self, image: MammoImage) -> None:
        """Hang any image of the study (another series, a magnification view) in the active cell."""
        window = self.window
        view = window.hanging.active
        name = self._name_of(view)
        if name is not None:
            old = self.layers.pop(name, None)
            if old is not None:
                old.detach()
            view.set_image(image)
            self._attach(name, view, window.model, image_key(image))
        window.view_controls.rebuild_presets()
        window.notify(f"{image.view_label} ({image.path.name}) in the active cell")

    def toggle_labels(self) -> None:
        on = self.window.labels_action.isChecked()
        self.window.prefs.show_size_labels = on
        for layer in self.layers.values():
            layer.set_show_labels(on)

    def show_suggestions(self, key: ImageKey) -> None:
        layer = self.layer_for(key)
        if layer is not None:
            layer.set_suggestions(self.window.controller.suggestions_for(key))

    def show_selection(self, key: ImageKey | None, calc_ids: set[str], cluster_ids: set[str]) -> None:
        for layer in self.layers.values():
            mine = layer.key == key
            layer.set_selected(calc_ids if mine else set())
            layer.set_selected_clusters(cluster_ids if mine else set())
