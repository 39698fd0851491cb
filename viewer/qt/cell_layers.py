"""The marks drawn in each hanging cell: one :class:`MarksLayer` per shown image frame.

Keeps the layers in step with what the cells show (a study opened, a frame paged, another
image hung in the active cell) and with the size-label toggle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

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
        self._to_attach: dict[str, tuple[ImageView, StudyAnnotations, ImageKey]] = {}
        """Cells whose layer is made on a later turn of the event loop (:meth:`attach_all` ``lazily``)."""
        self._attach_timer = QTimer(window)
        self._attach_timer.setSingleShot(True)
        self._attach_timer.setInterval(0)
        self._attach_timer.timeout.connect(self._attach_next)

    def layer_for(self, key: ImageKey) -> MarksLayer | None:
        """The layer showing ``key`` (made now if it was still to be made)."""
        name = next((n for n, (_, _, k) in self._to_attach.items() if k == key), None)
        if name is not None:
            self._attach(name, *self._to_attach.pop(name))
        return next((layer for layer in self.layers.values() if layer.key == key), None)

    @property
    def attaching(self) -> bool:
        """True while some cell's layer is still to be made."""
        return bool(self._to_attach)

    def _attach_next(self) -> None:
        if self._to_attach:
            name = next(iter(self._to_attach))
            self._attach(name, *self._to_attach.pop(name))
        if self._to_attach:
            self._attach_timer.start()

    def _attach(self, name: str, view: ImageView, model: StudyAnnotations, key: ImageKey) -> None:
        self._to_attach.pop(name, None)
        old = self.layers.pop(name, None)
        if old is not None:
            old.detach()
        layer = MarksLayer(view, model, key)
        layer.set_show_labels(self.window.labels_action.isChecked())
        layer.set_suggestions(self.window.controller.suggestions_for(key))
        self.layers[name] = layer

    def detach_all(self) -> None:
        self._to_attach.clear()
        for layer in self.layers.values():
            layer.detach()
        self.layers.clear()

    def attach_all(self, model: StudyAnnotations, lazily: bool = False) -> None:
        """A layer of ``model`` on every cell that shows an image.

        ``lazily``: the active cell's now, the others' one a turn of the event loop (a layer of
        2,500 marks takes ~20 ms of CPU; four at once held the UI thread ~70-260 ms).
        """
        active = self.window.hanging.active
        for name, view in self.window.hanging.views.items():
            if view.image is not None:
                key = image_key(view.image, view.frame)
                if lazily and view is not active:
                    old = self.layers.pop(name, None)
                    if old is not None:  # never another model's layer meanwhile
                        old.detach()
                    self._to_attach[name] = (view, model, key)
                else:
                    self._attach(name, view, model, key)
        if self._to_attach:
            self._attach_timer.start()

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
        # a layer still to be made takes the suggestions when it is made
        layer = next((layer for layer in self.layers.values() if layer.key == key), None)
        if layer is not None:
            layer.set_suggestions(self.window.controller.suggestions_for(key))

    def show_selection(self, key: ImageKey | None, calc_ids: set[str], cluster_ids: set[str]) -> None:
        for layer in self.layers.values():
            mine = layer.key == key
            layer.set_selected(calc_ids if mine else set())
            layer.set_selected_clusters(cluster_ids if mine else set())
