"""What one image view paints: its stored values' resolution levels through the display table.

Per repaint the picture chooses the resolution level whose pixels match the screen
(:class:`viewer.core.pyramid.Pyramid`), crops it to the visible region with a margin
(:mod:`viewer.qt.view_render`), and indexes the uint8 lookup table (modality LUT -> VOI ->
inversion, :func:`viewer.core.display_lut.display_lut`) with it. A pan that stays inside the
crop drawn last only moves the picture; nothing is windowed again.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from viewer.core.display_lut import apply_display_lut
from viewer.core.pyramid import Pyramid
from viewer.qt.view_box import MammoViewBox
from viewer.qt.view_render import crop_covers, level_crop

_RenderKey = tuple[int, int, int, int, int, int, int]
"""(level, c0, c1, r0, r1, id of the table, id of the levels) of the crop drawn last."""


class ViewPicture:
    """The image item of a view box, the pixels it draws from and the table it draws them with.

    ``pyramid`` holds the stored values shown; ``level_offset`` > 0 while a reduced preview
    stands in for the image (its level 0 is then the image's level ``level_offset``).
    """

    def __init__(self, vb: MammoViewBox) -> None:
        self._vb = vb
        self.item = pg.ImageItem(axisOrder="row-major")
        vb.addItem(self.item)
        self.pyramid: Pyramid | None = None
        self.level_offset = 0
        self.lut: np.ndarray | None = None
        """The uint8 lookup table in force: ``lut[stored - lut_offset]`` is the shown grey."""
        self.lut_offset = 0
        self._rendered: _RenderKey | None = None

    @property
    def full_resolution(self) -> bool:
        """True when the levels drawn from are the image's own (not a preview's, not none)."""
        return self.pyramid is not None and self.level_offset == 0

    def set_pyramid(self, pyramid: Pyramid, level_offset: int = 0) -> None:
        """Draw from ``pyramid`` (its level 0 being the image's level ``level_offset``)."""
        self.pyramid = pyramid
        self.level_offset = level_offset
        self._rendered = None

    def set_lut(self, lut: np.ndarray, offset: int) -> None:
        """Draw through ``lut``, indexed by stored value minus ``offset``."""
        self.lut = lut
        self.lut_offset = offset
        self._rendered = None

    def clear(self) -> None:
        """Draw nothing: no pixels, no table, the item emptied."""
        self.pyramid = None
        self.level_offset = 0
        self.lut = None
        self._rendered = None
        self.item.clear()

    def invalidate(self) -> None:
        """Window the next render afresh (the geometry changed under the crop drawn last)."""
        self._rendered = None

    def render(self) -> bool:
        """Window the visible crop of the matching level and show it.

        Returns True when the picture is on screen (drawn now, or still covering the view
        after a pan), False when there is nothing to draw.
        """
        pyramid, lut = self.pyramid, self.lut
        if pyramid is None or lut is None:
            return False
        vb = self._vb
        rect = vb.visible_image_rect()
        per_screen = vb.viewRect().width() / max(1, vb.width())
        offset = self.level_offset
        level = min(max(Pyramid.level_for(per_screen), offset), pyramid.max_level + offset)
        data = pyramid.level(level - offset)
        scale = 2**level
        rows, cols = data.shape
        c0, c1, r0, r1 = level_crop(rect, scale, rows, cols)
        if c1 <= c0 or r1 <= r0:
            self.item.hide()
            return False
        key = (level, c0, c1, r0, r1, id(lut), id(pyramid))
        if key == self._rendered or self._still_covered(key, rect, scale, rows, cols):
            return True  # panning within the margin drawn last time: the picture only moves
        self._rendered = key
        shown = apply_display_lut(data[r0:r1, c0:c1], lut, self.lut_offset)
        # levels=None: uint8 shown as it is (Grayscale8), no per-frame colour table.
        self.item.setImage(shown, autoLevels=False, levels=None)
        self.item.setRect(QRectF(c0 * scale - 0.5, r0 * scale - 0.5, (c1 - c0) * scale, (r1 - r0) * scale))
        self.item.show()
        return True

    def _still_covered(self, key: _RenderKey, rect: QRectF, scale: int, rows: int, cols: int) -> bool:
        """True when the last render (same level, table, pixels) covers the visible rect."""
        last = self._rendered
        if last is None or last[0] != key[0] or last[5:] != key[5:]:
            return False
        return crop_covers(last[1:5], rect, scale, rows, cols)

    def shown(self) -> np.ndarray | None:
        """The uint8 picture on screen (the crop drawn last)."""
        data = self.item.image
        return None if data is None else np.asarray(data)
