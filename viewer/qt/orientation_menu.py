"""View > Orientation: the reader turns and flips the active view's image, or puts it back as hung.

A turn or flip acts on the picture as it is on screen, after the hanging's own
(:attr:`viewer.qt.image_view.ImageView.hanging`); it changes how the view shows the
image, never the image or its marks, which stay in stored pixel coordinates (nothing is
saved, nothing goes on the undo stack). The orientation letters, the notes block and the
labels follow at once; another image in the cell starts as it hangs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from viewer.core.display_transform import DisplayTransform

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

COMMANDS: tuple[tuple[str, str, Callable[[DisplayTransform], DisplayTransform]], ...] = (
    ("Rotate 90° &clockwise", "Ctrl+R", DisplayTransform.rotated_clockwise),
    ("Rotate 90° c&ounter-clockwise", "Ctrl+Shift+R", DisplayTransform.rotated_counterclockwise),
    ("Flip &left-right", "Ctrl+Shift+H", DisplayTransform.flipped_horizontally),
    ("Flip &top-bottom", "Ctrl+Shift+V", DisplayTransform.flipped_vertically),
    ("&Reset orientation (as hung)", "Ctrl+0", lambda _turn: DisplayTransform()),
)
"""Menu text, key, and the reader's new turn from the one the view has."""


class OrientationMenu:
    """The View > Orientation submenu, acting on the active cell."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def build_menu(self, parent: QMenu) -> QMenu:
        """Add "Orientation" to ``parent`` (the View menu)."""
        menu = parent.addMenu("&Orientation")
        for index, (text, key, _change) in enumerate(COMMANDS):
            if index == len(COMMANDS) - 1:
                menu.addSeparator()
            menu.addAction(self.window.make_action(text, partial(self.apply, index), key))
        return menu

    def apply(self, index: int) -> None:
        """Apply command ``index`` of :data:`COMMANDS` to the active cell's image."""
        view = self.window.hanging.active
        image = view.image
        if image is None:
            self.window.notify("No image in the active cell")
            return
        change = COMMANDS[index][2]
        view.set_user_turn(change(view.user_turn))
        shown = view.user_turn
        said = "as hung" if shown.is_identity else f"{shown.describe()} from the hanging"
        self.window.notify(f"{image.view_label}: {said}")
