"""The mammography hanging: RCC | LCC over RMLO | LMLO, breasts back to back.

The right breast is on the left of the screen; each image is mirrored (a view
transform) so that the chest walls meet in the middle. A view missing from the study
leaves an empty, labelled cell. Double click or keys 1-4 maximise one view.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from viewer.dicom.image import MammoImage
from viewer.qt.image_view import ImageView

HANGING_ORDER: tuple[str, ...] = ("RCC", "LCC", "RMLO", "LMLO")
"""Cells in reading order: index 0-3 are keys 1-4, rows of two."""


class HangingView(QWidget):
    """Four image views in the standard 2x2 mammography layout."""

    active_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.views: dict[str, ImageView] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        self._grid = grid
        for i, name in enumerate(HANGING_ORDER):
            view = ImageView(name, self)
            view.setObjectName(f"view_{name}")
            # the cells share the space equally whatever a view's content asks for
            view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            view.align = "right" if i % 2 == 0 else "left"  # chest walls meet in the middle
            view.activated.connect(self._activate)
            view.double_clicked.connect(self.toggle_maximise)
            grid.addWidget(view, i // 2, i % 2)
            self.views[name] = view
        self.setStyleSheet("background: #202020;")
        self.active: ImageView = self.views[HANGING_ORDER[0]]
        self.maximised: ImageView | None = None
        self._set_stretch(None)

    def _set_stretch(self, alone: ImageView | None) -> None:
        """Equal rows and columns; only the maximised view's row and column when one is."""
        index = HANGING_ORDER.index(self._name(alone)) if alone is not None else None
        for i in range(2):
            row = index is None or index // 2 == i
            col = index is None or index % 2 == i
            self._grid.setRowStretch(i, 1 if row else 0)
            self._grid.setColumnStretch(i, 1 if col else 0)

    def _name(self, view: ImageView) -> str:
        return next(n for n, v in self.views.items() if v is view)

    def show_study(
        self, images: dict[str, MammoImage], extra: list[MammoImage], loading: bool = False
    ) -> list[MammoImage]:
        """Hang the four standard views; images that fit no cell are returned (shown elsewhere).

        When the study has none of the standard views (e.g. a single secondary capture),
        its images fill the cells so that they are still seen: an image of a known side
        only a cell of that side, an image of unknown side the cells left over (its label
        says "??", never the cell's view). A study of one image shows it alone, large.
        With ``loading`` the cells are named but their pixels come later
        (:mod:`viewer.qt.loader`).
        """
        leftovers = list(extra)
        placed = dict(images)
        if not placed and leftovers:
            placed, leftovers = _fill_cells(leftovers)
        for name in HANGING_ORDER:
            image = placed.get(name)
            if loading and image is not None:
                self.views[name].set_loading(image)
            else:
                self.views[name].set_image(image)
        first = next((self.views[n] for n in HANGING_ORDER if placed.get(n) is not None), None)
        self.active = first or self.views[HANGING_ORDER[0]]
        if self.maximised is not None:
            self.toggle_maximise(self.maximised)
        if first is not None and len(placed) == 1 and not leftovers:
            self.toggle_maximise(first)
        self.active_changed.emit(self.active)
        return leftovers

    def loaded_views(self) -> list[ImageView]:
        return [v for v in self.views.values() if v.image is not None]

    def _activate(self, view: ImageView) -> None:
        if self.window().isActiveWindow():
            view.setFocus()  # the keyboard stays with the views, never in a side panel
        if view is not self.active:
            self.active = view
            self.active_changed.emit(view)

    def toggle_maximise(self, view: ImageView) -> None:
        """Show only ``view`` (or all four again when it is already maximised)."""
        if self.maximised is view:
            for i, v in enumerate(self.views.values()):
                v.show()
                v.align = "right" if i % 2 == 0 else "left"
            self.maximised = None
            self._set_stretch(None)
        else:
            for v in self.views.values():
                v.setVisible(v is view)
            view.align = None
            self.maximised = view
            self._set_stretch(view)
        self._activate(view)
        self._grid.activate()  # the cells take their new sizes now, so that fit sees them
        for v in self.views.values():
            if v.isVisible():
                v.fit()

    def maximise_index(self, index: int) -> None:
        """Keys 1-4: maximise that cell, or restore the 4-up when it is the maximised one."""
        if 0 <= index < len(HANGING_ORDER):
            self.toggle_maximise(self.views[HANGING_ORDER[index]])


def _fill_cells(images: list[MammoImage]) -> tuple[dict[str, MammoImage], list[MammoImage]]:
    """Cells for images of no standard view: same side first, unknown side anywhere free."""
    placed: dict[str, MammoImage] = {}
    rest: list[MammoImage] = []
    for image in sorted(images, key=lambda i: i.laterality is None):
        free = [n for n in HANGING_ORDER if n not in placed and (image.laterality or n[0]) == n[0]]
        if free:
            placed[free[0]] = image
        else:
            rest.append(image)
    return placed, rest
