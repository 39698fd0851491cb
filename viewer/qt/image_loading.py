"""The hung images' pixels arriving: preview first, then full resolution, or a failure.

Wires the window's :class:`viewer.qt.loader.StudyLoader` to the hanging cells: a preview
is shown until the full pixels come, a failure empties the cell and is listed among the
files with problems. A result lands only on a cell that still shows the image and frame
it was decoded for, while the study it was asked for is open (the session's ticket).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEventLoop, QObject

from viewer.dicom.image import MammoImage
from viewer.qt.hanging import HANGING_ORDER
from viewer.qt.image_view import ImageView
from viewer.qt.loader import StudyLoader, preview_level
from viewer.session.study_session import Ticket

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class ImageLoading(QObject):
    """Decodes the shown images in the background and puts the results in their cells."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.loader = StudyLoader(window)
        self.loader.preview_ready.connect(self._preview_ready)
        self.loader.image_ready.connect(self._image_ready)
        self.loader.failed.connect(self._image_failed)
        self.loader.start()
        self._ticket: Ticket | None = None
        self._frames: dict[int, int] = {}
        """id(image) -> the frame being decoded, for the load in progress."""

    def load_shown(self) -> None:
        """Decode the images the cells show, previews sized to a cell."""
        self.window.frames.forget()  # frames asked for in the study shown before are not wanted
        hanging = self.window.hanging
        shown = [v.image for v in hanging.loaded_views() if v.image is not None]
        cell = hanging.views[HANGING_ORDER[0]]
        level = preview_level((shown[0].rows, shown[0].columns), (cell.width(), cell.height()))
        self._ticket = self.window.session.ticket()
        self._frames = {id(image): 0 for image in shown}
        self.loader.load(shown, preview_level=level, frame=0)

    def _views_of(self, image: MammoImage) -> list[ImageView]:
        """The cells that show the image and frame a result was decoded for (none when the
        study it was asked for is no longer open)."""
        frame = self._frames.get(id(image))
        if frame is None or self._ticket is None or not self.window.session.is_current(self._ticket):
            return []
        return [v for v in self.window.hanging.views.values() if v.image is image and v.frame == frame]

    def _preview_ready(self, image: MammoImage, array: np.ndarray, level: int) -> None:
        for view in self._views_of(image):
            if not view.pixels_ready:
                view.set_preview(image, array, level, view.frame)

    def _image_ready(self, image: MammoImage) -> None:
        for view in self._views_of(image):
            view.set_full(image, self.loader.pyramid(image), view.frame)
            self.window.frames.prefetch(image, view.frame)  # a stack pages on at once
        if self.window.hanging.active.image is image:
            self.window.view_controls.rebuild_presets()

    def _image_failed(self, image: MammoImage, message: str) -> None:
        window = self.window
        window.problems.addItem(f"cannot show: {message}")
        window.problems_dock.show()
        for view in self._views_of(image):
            view.set_failed(image, message)
        window.notify(message)

    def images_ready(self) -> bool:
        """True when every hung image shows its full-resolution pixels (or failed)."""
        return all(v.pixels_ready for v in self.window.hanging.loaded_views())

    def wait_until_loaded(self, timeout_s: float = 60.0) -> bool:
        """Run the event loop until :meth:`images_ready` and the marks are shown (scripts, --screenshot)."""
        loop = QEventLoop()
        deadline = time.monotonic() + timeout_s
        session = self.window.session
        while (not self.images_ready() or session.reading is not None) and time.monotonic() < deadline:
            loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)
        return self.images_ready() and session.reading is None
