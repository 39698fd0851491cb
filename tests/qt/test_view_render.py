"""Tests of viewer.qt.view_render: the visible crop of a level."""

from __future__ import annotations

from PySide6.QtCore import QRectF

from viewer.qt.view_render import crop_covers, level_crop


class TestLevelCrop:
    def test_margin_widens_and_clamps(self) -> None:
        """A quarter of the visible size is added each side, clamped to the level."""
        rect = QRectF(100.0, 200.0, 400.0, 800.0)
        assert level_crop(rect, 1, 10_000, 10_000) == (0, 601, 0, 1201)
        assert level_crop(rect, 1, 10_000, 10_000, margin=0.0) == (100, 501, 200, 1001)
        assert level_crop(rect, 4, 50, 20) == (0, 20, 0, 50)

    def test_rendered_crop_covers_small_pans(self) -> None:
        """The crop rendered with its margin still covers a pan of a tenth, not of a half."""
        rect = QRectF(1000.0, 1000.0, 400.0, 400.0)
        rendered = level_crop(rect, 2, 5000, 5000)
        assert crop_covers(rendered, rect.translated(40.0, -40.0), 2, 5000, 5000)
        assert not crop_covers(rendered, rect.translated(200.0, 0.0), 2, 5000, 5000)
