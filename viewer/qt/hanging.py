"""The mammography hanging: RCC | LCC over RMLO | LMLO, breasts back to back, or another protocol.

The right breast is on the left of the screen; each image is mirrored (a view
transform) so that the chest walls meet in the middle. A view missing from the study
leaves an empty, labelled cell. Double click or keys 1-4 maximise one view.

Besides the current exam's four cells (:attr:`HangingView.views`, the cells the reader
marks in) the widget holds the prior exam's four (:attr:`HangingView.prior_views`, read
only) and cells for extra views; :meth:`HangingView.lay_out` shows any of them in any
grid (a hanging protocol, :mod:`viewer.qt.reading_protocols`).
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
        self.prior_views: dict[str, ImageView] = {}
        self.extra_cells: list[ImageView] = []
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
            prior = ImageView(f"{name} (prior)", self)
            prior.setObjectName(f"view_prior_{name}")
            prior.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            prior.double_clicked.connect(self.toggle_maximise)
            prior.hide()
            self.prior_views[name] = prior
        self._shown: list[tuple[ImageView, str | None]] = [(v, v.align) for v in self.views.values()]
        """The cells of the layout in force with their alignment (restored after a maximise)."""
        self.setStyleSheet("background: #202020;")
        self.active: ImageView = self.views[HANGING_ORDER[0]]
        self.maximised: ImageView | None = None
        self.filled: set[str] = set()  # the standard cells the open study has an image for

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
        self.filled = {n for n in HANGING_ORDER if placed.get(n) is not None}
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

    def all_cells(self) -> list[ImageView]:
        """Every cell the widget holds: current, prior and extra views."""
        return [*self.views.values(), *self.prior_views.values(), *self.extra_cells]

    def extra_cell(self, index: int) -> ImageView:
        """The ``index``-th cell for extra views (created when first needed)."""
        while len(self.extra_cells) <= index:
            view = ImageView("", self)
            view.setObjectName(f"view_extra_{len(self.extra_cells)}")
            view.double_clicked.connect(self.toggle_maximise)
            view.hide()
            self.extra_cells.append(view)
        return self.extra_cells[index]

    def lay_out(self, cells: list[tuple[int, int, ImageView, str | None]]) -> None:
        """Show exactly these cells, ``(row, column, view, align)``, in a grid; hide the others."""
        self.maximised = None
        keep = {id(view) for _, _, view, _ in cells}
        had_focus = any(view.hasFocus() for view in self.all_cells())
        for view in self.all_cells():
            self._grid.removeWidget(view)
            if id(view) not in keep:  # a cell that stays is not hidden: it keeps the keyboard focus
                view.hide()
        for row, column, view, align in cells:
            self._grid.addWidget(view, row, column)
            view.align = align
            view.show()
        self._stretch({r for r, _, _, _ in cells}, {c for _, c, _, _ in cells})
        self._shown = [(view, align) for _, _, view, align in cells]
        if self.active not in [v for v, _ in self._shown]:
            current = [v for v, _ in self._shown if v in self.views.values()]
            if current:
                self._activate(current[0])
        for view, _ in self._shown:
            view.fit()
        if had_focus and not any(view.hasFocus() for view, _ in self._shown):
            self.active.setFocus()

    def _stretch(self, rows: set[int], columns: set[int]) -> None:
        """Equal shares for the grid's used rows and columns; none for the others."""
        for r in range(self._grid.rowCount()):
            self._grid.setRowStretch(r, 1 if r in rows else 0)
        for c in range(self._grid.columnCount()):
            self._grid.setColumnStretch(c, 1 if c in columns else 0)

    def _cell_of(self, view: ImageView) -> tuple[int, int]:
        index = self._grid.indexOf(view)
        if index < 0:
            return (0, 0)
        position: tuple[int, int, int, int] = self._grid.getItemPosition(index)  # type: ignore[assignment]
        return (position[0], position[1])

    def shown_cells(self) -> list[ImageView]:
        """The cells of the layout in force (all of them, also while one is maximised)."""
        return [v for v, _ in self._shown]

    def toggle_maximise(self, view: ImageView) -> None:
        """Show only ``view`` (or the layout's cells again when it is already maximised)."""
        if self.maximised is view:
            for v, align in self._shown:
                v.show()
                v.align = align
            self.maximised = None
            places = [self._cell_of(v) for v, _ in self._shown]
            self._stretch({r for r, _ in places}, {c for _, c in places})
        else:
            for v in self.all_cells():
                v.setVisible(v is view)
            view.align = None
            self.maximised = view
            row, column = self._cell_of(view)
            self._stretch({row}, {column})
        if view in self.views.values():
            self._activate(view)
        self._grid.activate()  # the cells take their new sizes now, so that fit sees them
        for v in self.all_cells():
            if v.isVisible():
                v.fit()

    def maximise_index(self, index: int) -> str | None:
        """Keys 1-4: maximise that cell, or restore the 4-up when it is the maximised one.

        A view the study does not have is not maximised (it would hide every image behind an
        empty cell): the reason is returned instead, for the status bar.
        """
        if not 0 <= index < len(HANGING_ORDER):
            return None
        name = HANGING_ORDER[index]
        view = self.views[name]
        if name not in self.filled and self.maximised is not view:
            return f"{name}: not in this study"
        self.toggle_maximise(view)
        return None


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
