"""On-image aids of a hanging cell: a scale bar in mm, orientation letters, a patient/study line.

- The scale bar is 1 cm of the image at its spacing in force (10 mm / col_mm image pixels),
  labelled with the spacing's source ("1 cm (ERMF 1.08)"); zoomed in so far that 1 cm would
  take more than a third of the view, it steps down to 5, 2, 1, 0.5, 0.2 or 0.1 mm ("2 mm (ERMF
  1.04)"), so that it always fits with its label. On an uncalibrated image it is 100 pixels
  (stepping down to 50, 20, 10) and says so.
- The orientation letters at the cell's edges come from Patient Orientation (0020,0020)
  and how the image is shown (turned and mirrored by the hanging and the reader): the
  patient direction the screen's right, left, top and bottom point to (A, P, R, L, H, F).
- The patient/study line (name, ID, study date), in the bottom corner on the chest wall side, can be hidden
  (View > Patient/study line); it is the only patient-identifying text on screen.

Everything follows the view: it is refreshed whenever the view's range changes, and when the
cell loses its image (emptied, or its image failed to decode: no bar, letters or line then).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtWidgets import QLabel

from viewer.core.display_transform import DisplayTransform, opposite_direction
from viewer.qt.image_view import ImageView

SCALE_MM = 10.0
UNCALIBRATED_PX = 100.0
# the lengths the bar steps down to when zoomed in (largest first); the bar takes at most
# this share of the view's width
SCALE_STEPS_MM = (10.0, 5.0, 2.0, 1.0, 0.5, 0.2, 0.1)
UNCALIBRATED_STEPS_PX = (100.0, 50.0, 20.0, 10.0)
BAR_SHARE = 1 / 3


def bar_length(steps: tuple[float, ...], screen_px_per_step_unit: float, view_width: float) -> float:
    """The largest step whose bar fits in ``BAR_SHARE`` of the view (the smallest one if none
    does); ``screen_px_per_step_unit`` is how many screen pixels one mm (or image pixel) takes."""
    room = BAR_SHARE * view_width
    return next((s for s in steps if s * screen_px_per_step_unit <= room), steps[-1])


class CentredScaleBar(pg.ScaleBar):
    """pyqtgraph's scale bar ends at its anchor; this one is centred on it, so that the bar
    anchored at the bottom centre of the view sits in the middle whatever its length."""

    def updateBar(self) -> None:
        view = self.parentItem()
        if view is None:
            return
        p1 = view.mapFromViewToItem(self, QPointF(0, 0))
        p2 = view.mapFromViewToItem(self, QPointF(self.size, 0))
        w = (p2 - p1).x()
        self.bar.setRect(QRectF(-w / 2, 0, w, self._width))
        self.text.setPos(0, 0)


def _length_text(mm: float) -> str:
    return "1 cm" if mm == SCALE_MM else f"{mm:g} mm"


def opposite(direction: str) -> str:
    """The opposite patient direction of a Patient Orientation value ("AR" -> "PL")."""
    return opposite_direction(direction)


def screen_directions(orientation: tuple[str, str], shown: DisplayTransform) -> dict[str, str]:
    """Patient directions at the screen's right, left, bottom and top edges.

    ``orientation`` is (direction of increasing column, of increasing row) as stored;
    ``shown`` how the image is turned and mirrored on screen (row 0 at the top when it
    is the identity, as images are normally shown).
    """
    right, down = shown.display_orientation(orientation)
    return {"right": right, "left": opposite(right), "bottom": down, "top": opposite(down)}


def _label(view: ImageView) -> QLabel:
    label = QLabel(view)
    label.setStyleSheet("color: #ffd24a; background: transparent; font-weight: bold; font-size: 13px;")
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    label.hide()
    return label


class ViewMarkers:
    """Scale bar, orientation letters and patient line of one view."""

    def __init__(self, view: ImageView) -> None:
        self.view = view
        self.show_patient = True
        self.letters = {side: _label(view) for side in ("left", "right", "top", "bottom")}
        self.patient = view.overlays.patient  # laid out with the corner texts it must not cover
        self.bar: CentredScaleBar | None = None
        self._bar_size = 0.0
        view.vb.sigRangeChanged.connect(self.refresh)
        view.image_changed.connect(self.refresh)

    def _scale_bar(self) -> None:
        image = self.view.image
        if image is None:
            if self.bar is not None:
                self.bar.hide()
            return
        spacing = image.spacing
        # the bar lies along the screen's x: the stored rows after a quarter turn
        along_x = spacing.row_mm if self.view.display_transform.swaps_axes else spacing.col_mm
        pixel = self.view.vb.viewPixelSize()[0]  # image pixels per screen pixel
        screen_per_image = 1.0 / pixel if pixel > 0 else 1.0
        width = float(self.view.width())
        if spacing.calibrated and along_x:
            mm = bar_length(SCALE_STEPS_MM, screen_per_image / along_x, width)
            size, text = mm / along_x, f"{_length_text(mm)} ({spacing.short_label})"
        else:
            px = bar_length(UNCALIBRATED_STEPS_PX, screen_per_image, width)
            size, text = px, f"{px:.0f} px (uncalibrated)"
        if self.bar is None:
            self.bar = CentredScaleBar(size, width=6, brush=pg.mkBrush(255, 210, 74), pen=pg.mkPen(None))
            self.bar.setParentItem(self.view.vb)
            # bottom centre, above the window/zoom text of the outer corner
            self.bar.anchor(itemPos=(0.5, 1), parentPos=(0.5, 1), offset=(0, -48))
        self.bar.size = size  # another image, another spacing: the same bar, resized
        self._bar_size = size
        self.bar.text.setText(text)
        self.bar.show()
        self.bar.updateBar()

    def refresh(self, *_args: object) -> None:
        """Redraw for the image, zoom and mirror the view has now."""
        view = self.view
        image = view.image
        self._scale_bar()
        orientation = image.patient_orientation if image is not None else None
        if orientation is None:
            for label in self.letters.values():
                label.hide()
        else:
            sides = screen_directions(orientation, view.display_transform)
            w, h = view.width(), view.height()
            for side, label in self.letters.items():
                label.setText(sides[side])
                label.adjustSize()
                x = {"left": 6, "right": w - label.width() - 6}.get(side, (w - label.width()) // 2)
                y = {"top": 40, "bottom": h - label.height() - 74}.get(side, (h - label.height()) // 2)
                if side == "top":
                    y = self._below_corner_text(QRect(x, y, label.width(), label.height()))
                label.move(x, y)
                label.show()
        if image is not None and self.show_patient:
            ds = image.dataset
            d = str(ds.get("StudyDate", "") or "")
            date = f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else d
            parts = [str(ds.get("PatientName", "") or ""), str(ds.get("PatientID", "") or ""), date]
            # the bottom corner on the chest wall side: the outer corners hold the view's texts
            view.overlays.set_patient_line("  ".join(p for p in parts if p))
        else:
            view.overlays.set_patient_line("")
        view.place_overlays()

    def _below_corner_text(self, letter: QRect) -> int:
        """The top letter's y: where it is asked, or just below the corner texts it would cover.

        In a narrow cell the view, spacing and notes block of the outer corner reaches the middle,
        and a letter drawn over it makes both unreadable.
        """
        overlays = self.view.overlays
        y = letter.y()
        for block in (overlays.banner, overlays.top, overlays.notes):  # top to bottom
            here = QRect(letter.x(), y, letter.width(), letter.height())
            if block.isVisible() and block.geometry().intersects(here):
                y = block.geometry().bottom() + 4
        return y

    def set_show_patient(self, on: bool) -> None:
        self.show_patient = on
        self.refresh()
