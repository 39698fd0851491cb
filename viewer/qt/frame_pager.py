"""Paging through the frames of a multi-frame image (tomosynthesis) without decoding on the UI thread.

A page (PgDown, PgUp, the frame slider) asks for the frame; the view keeps showing the frame
it has, with its marks, until the new frame's pixels arrive from the decoding processes
(through the pixel cache), and then switches pixels and marks together: a mark is never
drawn over another frame's pixels. The neighbours of the frame shown (one before, one
after) are decoded ahead, so that paging on is immediate; decoded frames are kept per
image (:data:`KEPT_FRAMES`, least recently shown out).

A result is shown only in a view that still shows that image and still wants that frame
(the study session's ticket is checked too): paging fast through twenty frames shows the
last one asked for, never an older one that arrived late.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from viewer.core.pyramid import Pyramid
from viewer.dicom.image import MammoImage
from viewer.qt.image_view import ImageView
from viewer.qt.loader import StudyLoader
from viewer.session.study_session import Ticket

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

KEPT_FRAMES = 6
"""Decoded frames (with their display levels) kept per image for paging back and forth."""


class FramePager(QObject):
    """The window's frame paging: decode in the background, show when ready, prefetch around."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.loader = StudyLoader(self, cache=window.loading.loader.cache)
        self.loader.frame_ready.connect(self._frame_ready)
        self.loader.failed.connect(self._failed)
        self._kept: weakref.WeakKeyDictionary[MammoImage, OrderedDict[int, Pyramid]] = (
            weakref.WeakKeyDictionary()
        )
        self._wanted: dict[ImageView, tuple[MammoImage, int, Ticket]] = {}
        """Per view, the image and frame it waits for, with the session ticket of the ask."""

    # -- asking ------------------------------------------------------------------------
    def page(self, view: ImageView, frame: int) -> None:
        """Show ``frame`` of the view's image now if it is decoded, else as soon as it is."""
        image = view.image
        if image is None:
            return
        kept = self._kept_pyramid(image, frame)
        if kept is not None:
            self._wanted.pop(view, None)
            self.window.cells.show_frame(view, frame, kept)
            self.prefetch(image, frame)
            return
        self._wanted[view] = (image, frame, self.window.session.ticket())
        self.window.notify(f"{view.cell_label or 'view'}: decoding frame {frame + 1}/{image.frames}...")
        self._ask(image, frame)

    def prefetch(self, image: MammoImage, frame: int) -> None:
        """Decode the frames around ``frame`` ahead (nothing when they are kept already)."""
        if image.frames > 1:
            self._ask(image, None, around=frame)

    def pending_for(self, view: ImageView) -> int | None:
        """The frame ``view`` waits for, or None."""
        wanted = self._wanted.get(view)
        return wanted[1] if wanted is not None and wanted[0] is view.image else None

    def _ask(self, image: MammoImage, frame: int | None, around: int | None = None) -> None:
        centre = frame if frame is not None else around
        assert centre is not None
        order = [centre, (centre + 1) % image.frames, (centre - 1) % image.frames]
        if frame is None:
            order = order[1:]
        waiting = [f for _, (img, f, _) in self._wanted.items() if img is image]
        frames = [f for f in dict.fromkeys([*waiting, *order]) if self._kept_pyramid(image, f) is None]
        if frames:
            self.loader.fetch(image, frames)

    # -- results -----------------------------------------------------------------------
    def _kept_pyramid(self, image: MammoImage, frame: int) -> Pyramid | None:
        frames = self._kept.get(image)
        if frames is None or frame not in frames:
            return None
        frames.move_to_end(frame)
        return frames[frame]

    def _frame_ready(self, image: MammoImage, frame: int) -> None:
        pyramid = self.loader.pyramid(image)  # this frame's levels while the signal is delivered
        if pyramid is None:
            pyramid = Pyramid(image.pixels(frame))  # an image held in memory, decoded locally
        frames = self._kept.setdefault(image, OrderedDict())
        frames[frame] = pyramid
        while len(frames) > KEPT_FRAMES:
            frames.popitem(last=False)
        session = self.window.session
        for view, (wanted, wanted_frame, ticket) in list(self._wanted.items()):
            if wanted is not image or wanted_frame != frame:
                continue
            del self._wanted[view]
            if view.image is not image or not session.is_current(ticket):
                continue  # the view shows another image now, or another study is open
            self.window.cells.show_frame(view, frame, pyramid)
            self.prefetch(image, frame)

    def _failed(self, image: MammoImage, message: str) -> None:
        for view, (wanted, _, _) in list(self._wanted.items()):
            if wanted is image:
                del self._wanted[view]
        self.window.notify(f"frame not shown: {message}")

    def forget(self) -> None:
        """A new study: nothing asked before is wanted any more."""
        self._wanted.clear()
        self.loader.cancel()
