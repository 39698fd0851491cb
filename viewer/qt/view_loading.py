"""Where one image view is in showing its image, and the steps from one state to the next.

A cell is empty (its hanging name, "not in this study"), loading (the image's header is
read, its pixels are being decoded elsewhere: "decoding..."), previewed (a reduced
picture from the loader, :mod:`viewer.qt.image_loading`), full (the stored pixels at full
resolution), or failed (why the image cannot be shown). A preview followed by the full
pixels of the same image keeps the zoom, pan and window the reader set meanwhile.
Nothing here decodes, except :meth:`ViewLoading.show` and :meth:`ViewLoading.show_frame`
without levels, which take the image's pixels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from viewer.core.display_transform import DisplayTransform, reading_transform
from viewer.core.pyramid import Pyramid
from viewer.core.windowing import VoiPreset
from viewer.dicom.image import MammoImage
from viewer.qt.preview_mirror import guess_mirror

if TYPE_CHECKING:
    from viewer.qt.image_view import ImageView


class ViewLoading:
    """The loading steps of one :class:`~viewer.qt.image_view.ImageView` (its ``set_*`` methods)."""

    def __init__(self, view: ImageView) -> None:
        self._view = view
        self._provisional_voi: VoiPreset | None = None
        """The automatic window a preview got because the default needs the full pixels."""

    @property
    def pixels_ready(self) -> bool:
        """True when the full-resolution pixels are shown (not loading, not a preview)."""
        return self._view.image is not None and self._view.picture.full_resolution

    def show(self, image: MammoImage | None, frame: int = 0) -> None:
        """Show ``image`` (or an empty, labelled cell), with its default window, fitted."""
        view = self._view
        view.image = image
        view.frame = frame
        if image is None:
            view.picture.clear()
            view.update_overlays()
            view.image_changed.emit(view)
            return
        self._adopt(image, Pyramid(image.pixels(frame)), 0, frame)
        self._provisional_voi = None
        view.invert = image.invert_default
        view.voi = image.default_voi(frame)
        view.hang(image, image.hanging_transform)
        view.rebuild_lut()
        view.fit()
        view.update_overlays()

    def show_failed(self, image: MammoImage, message: str) -> None:
        """Say in the cell that ``image`` could not be decoded, and why; nothing is drawn."""
        view = self._view
        view.image = None
        view.frame = 0
        view.picture.clear()
        reason = message.removeprefix(f"{image.path.name}: ")
        label = image.view_caption if image.laterality and image.view else view.cell_label
        view.overlays.show_failed(label, reason, image.path.name)
        view.place_overlays()
        view.image_changed.emit(view)  # no scale bar or letters for pixels that are not there

    def show_loading(self, image: MammoImage, frame: int = 0) -> None:
        """Name the cell after ``image`` while its pixels are decoded elsewhere; nothing drawn."""
        view = self._view
        view.image = image
        view.frame = frame
        view.voi = None
        view.picture.clear()
        view.update_overlays()
        view.overlay_bottom.setText("decoding...")
        view.place_overlays()

    def show_preview(self, image: MammoImage, array: np.ndarray, level: int, frame: int = 0) -> None:
        """Show a reduced picture of ``image`` (stored values at 1/2**level of its size).

        The window is the file's default, or an automatic one from the preview when the
        default needs the full pixels; the first preview of an image is fitted, and hangs
        by the header's orientation or, without one, by where the tissue lies.
        """
        view = self._view
        first = view.image is not image or view.frame != frame or view.picture.pyramid is None
        self._adopt(image, Pyramid(array), max(0, int(level)), frame)
        if first:
            view.image = image
            view.frame = frame
            view.invert = image.invert_default
            modality = np.asarray(image.frame_header(frame).modality_lut.apply(array), dtype=np.float64)
            view.voi = image.default_voi(frame, modality)
            presets = image.frame_header(frame).voi_presets
            self._provisional_voi = None if any(view.voi is p for p in presets) else view.voi
            hanging = reading_transform(image.laterality, image.view, image.patient_orientation)
            if hanging is None:  # no orientation in the header: hang by where the tissue lies
                hanging = DisplayTransform(0, guess_mirror(image, array))
            view.hang(image, hanging)
        view.rebuild_lut()
        if first:
            view.fit()
        view.update_overlays()

    def show_full(self, image: MammoImage, pyramid: Pyramid | None = None, frame: int = 0) -> None:
        """Show ``image`` at full resolution (``pyramid``: its levels, built elsewhere).

        After a preview of the same image, zoom, pan and window stay as the reader left
        them (a provisional automatic window becomes the file's default); otherwise this is
        :meth:`show` with the given levels.
        """
        view = self._view
        if pyramid is None:
            pyramid = Pyramid(image.pixels(frame))
        swap = (
            view.image is image
            and view.frame == frame
            and view.picture.pyramid is not None
            and view.picture.level_offset > 0
        )
        self._adopt(image, pyramid, 0, frame)
        if swap:
            if self._provisional_voi is not None and view.voi is self._provisional_voi:
                view.voi = image.default_voi(frame)  # the reader has not changed it
            self._provisional_voi = None
            if image.hanging_transform != view.hanging:  # the preview's guess was wrong
                view.hang(image, image.hanging_transform)
                view.fit()
        else:
            view.image = image
            view.frame = frame
            view.invert = image.invert_default
            view.voi = image.default_voi(frame)
            self._provisional_voi = None
            view.hang(image, image.hanging_transform)
        view.rebuild_lut()
        if not swap:
            view.fit()
        view.update_overlays()

    def show_frame(self, frame: int, pyramid: Pyramid | None = None) -> None:
        """Show another frame of the image shown, keeping zoom, pan and window.

        ``pyramid`` holds the frame's decoded levels; without it the frame's pixels are
        taken from the image (decoded here if need be).
        """
        view = self._view
        image = view.image
        if image is None:
            return
        if view.picture.lut is None or view.picture.level_offset > 0:  # paged while loading
            if pyramid is not None:
                self.show_full(image, pyramid, frame)
            else:
                self.show(image, frame)
            return
        previous = image.frame_header(view.frame)
        if view.voi is not None and any(view.voi is p for p in previous.voi_presets):
            # the reader kept the file's window: the new frame's own (Frame VOI LUT) applies
            presets = image.frame_header(frame).voi_presets
            view.voi = presets[0] if presets else view.voi
        view.frame = frame
        view.picture.set_pyramid(pyramid if pyramid is not None else Pyramid(image.pixels(frame)))
        view.rebuild_lut()  # a frame's own rescale (Pixel Value Transformation)
        view.update_overlays()

    def _adopt(self, image: MammoImage, pyramid: Pyramid, offset: int, frame: int) -> None:
        """Draw from ``pyramid`` and take the modality range of its values for the window drag."""
        view = self._view
        view.picture.set_pyramid(pyramid, offset)
        coarse = pyramid.level(pyramid.max_level)
        values = image.frame_header(frame).modality_lut.apply(np.array([coarse.min(), coarse.max()]))
        view.value_range = (float(np.min(values)), float(np.max(values)))
