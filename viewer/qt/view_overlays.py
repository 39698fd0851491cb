"""What an image view draws over the picture: its text blocks, banner, ruler and sketch.

The text blocks sit on the cell's outer side (away from the chest wall, where tissue is);
the ruler and the freehand sketch are scene items in image coordinates.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsPathItem, QLabel, QWidget

from viewer.core.display_transform import DisplayTransform
from viewer.core.printable import printable_text
from viewer.core.windowing import VoiPreset
from viewer.dicom.codestream_damage import short_reason
from viewer.dicom.image import AUTO_VOI_NAME, MammoImage
from viewer.qt.view_box import MammoViewBox

# A dark translucent backdrop keeps the text legible on any image, a bright inverted
# one included; the picture still shows through it.
_OVERLAY_STYLE = (
    "color: #f0f0f0; background: rgba(0, 0, 0, 170); border-radius: 3px; padding: 2px 4px;"
    "font-size: 11px; font-family: 'DejaVu Sans Mono', monospace;"
)
_NOTE_STYLE = (
    "color: #ffd27a; background: rgba(0, 0, 0, 190); border-radius: 3px; padding: 2px 4px; font-size: 11px;"
)
_MARGIN = 6
_GAP = 4
"""Pixels between two blocks of text."""
_NOTE_WIDTH = 0.45
"""Largest width of the notes block, as a fraction of the cell's width (it wraps)."""
_UNLIMITED = 16777215
"""Qt's QWIDGETSIZE_MAX: no size limit."""


def window_text(voi: VoiPreset | None) -> str:
    """The window in force as the overlay says it: ``name: W width L level function``."""
    if voi is not None and voi.center is not None and voi.width is not None:
        text = f"W {voi.width:.0f} L {voi.center:.0f} {voi.function.lower()}"
        return f"{voi.name}: {text}" if voi.name else text
    return voi.name if voi is not None else ""


class ViewOverlays:
    """The text blocks (view and spacing above, then notes; window and zoom below) and the banner.

    The notes block says what of the file's header could not be used (a spacing rule
    skipped, a window that shows no tissue, an unusable rescale), in the file's terms.
    """

    def __init__(self, parent: QWidget) -> None:
        self.top = self._make_label(parent)
        self.bottom = self._make_label(parent)
        self.notes = self._make_label(parent)
        self.notes.setStyleSheet(_NOTE_STYLE)
        self.notes.setWordWrap(True)
        self.notes.hide()
        self._notes: list[str] = []
        self._placed: tuple[object, ...] = ()
        """What the last :meth:`place` laid out (cell size, side, texts)."""
        self.banner = QLabel(parent)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setStyleSheet("color: #000; background: #ffb000; font-weight: bold; padding: 2px 6px;")
        self.banner.hide()
        # name, ID and study date: plain text (a name holding "<" reads as written)
        self.patient = QLabel(parent)
        self.patient.setTextFormat(Qt.TextFormat.PlainText)
        self.patient.setStyleSheet("color: #c8c8c8; background: transparent; font-size: 11px;")
        self.patient.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.patient.hide()
        self._patient = ""

    @staticmethod
    def _make_label(parent: QWidget) -> QLabel:
        label = QLabel(parent)
        label.setStyleSheet(_OVERLAY_STYLE)
        # always rich text, its parts escaped: Qt's guess took a single note holding "&lt;" for
        # plain text and showed the entity
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        return label

    def place(self, width: int, height: int, side: str) -> None:
        """Put the text blocks in the corners of ``side`` ("left"/"right"), the banner on top,
        the patient line in the other bottom corner.

        No two blocks overlap and none leaves the cell, at any cell size: a block wider than
        the cell wraps, the notes keep the lines that fit above the bottom block, the patient
        line is elided to the room beside it, and what still collides (a cell too small for
        it) is hidden, the view's name last.
        """
        layout = (width, height, side, self.top.text(), self.bottom.text(), *self._notes)
        key = (*layout, self._patient, self.banner.text() if not self.banner.isHidden() else None)
        if key == self._placed:
            return  # a pan or zoom step: nothing to lay out again
        self._placed = key
        m = _MARGIN
        room = max(width - 2 * m, 1)
        align = Qt.AlignmentFlag.AlignRight if side == "right" else Qt.AlignmentFlag.AlignLeft
        for label in (self.top, self.bottom):
            label.setAlignment(align)
            _fit_width(label, room)
            label.setVisible(bool(label.text()))

        def x_of(label: QLabel) -> int:
            return width - label.width() - m if side == "right" else m

        self.top.move(x_of(self.top), m)
        self.bottom.move(x_of(self.bottom), height - self.bottom.height() - m)
        below_top = self.top.y() + self.top.height() + _GAP if not self.top.isHidden() else m
        if not self.banner.isHidden():
            _fit_width(self.banner, room)
            self.banner.move((width - self.banner.width()) // 2, m)
            if not self.top.isHidden() and self.banner.geometry().intersects(self.top.geometry()):
                self.banner.move(self.banner.x(), below_top)  # a narrow cell: under the view's name
            below_top = max(below_top, self.banner.y() + self.banner.height() + _GAP)
        floor = self.bottom.y() - _GAP if not self.bottom.isHidden() else height - m
        self._place_notes(align, room, width, below_top, floor, x_of)
        self._place_patient(width, height, side, room)
        _hide_colliding([self.top, self.banner, self.bottom, self.notes, self.patient], width, height)

    def _place_notes(
        self,
        align: Qt.AlignmentFlag,
        room: int,
        width: int,
        y: int,
        floor: int,
        x_of: Callable[[QLabel], int],
    ) -> None:
        """The notes below the top block, as many as fit above ``floor`` (then "... N more")."""
        if not self._notes:
            self.notes.setText("")
            self.notes.hide()
            return
        self.notes.setAlignment(align)
        self.notes.setFixedWidth(min(room, max(120, int(width * _NOTE_WIDTH))))
        for shown in range(len(self._notes), -1, -1):
            more = len(self._notes) - shown
            lines = self._notes[:shown] + ([f"... {more} more (a larger cell shows them)"] if more else [])
            self.notes.setText("<br>".join(lines))
            self.notes.resize(self.notes.width(), self.notes.heightForWidth(self.notes.width()))
            if y + self.notes.height() <= floor:
                self.notes.move(x_of(self.notes), y)
                self.notes.show()
                return
        self.notes.hide()

    def set_patient_line(self, text: str) -> None:
        """The patient/study line of the inner bottom corner ("" hides it); placed by :meth:`place`."""
        self._patient = text
        if not text:
            self.patient.hide()

    def _place_patient(self, width: int, height: int, side: str, room: int) -> None:
        """The patient line on the chest wall side, elided to the room the bottom block leaves it."""
        if not self._patient:
            self.patient.hide()
            return
        if not self.bottom.isHidden():
            room -= self.bottom.width() + 2 * _GAP
        self.patient.ensurePolished()  # the style sheet's font, for the measure
        metrics = self.patient.fontMetrics()
        if room < metrics.horizontalAdvance("MMMM"):
            self.patient.hide()
            return
        self.patient.setText(metrics.elidedText(self._patient, Qt.TextElideMode.ElideRight, room - 2))
        self.patient.adjustSize()
        x = _MARGIN if side == "right" else width - self.patient.width() - _MARGIN
        self.patient.move(x, height - self.patient.height() - _MARGIN)
        self.patient.show()

    def show_empty(self, cell_label: str) -> None:
        """An empty cell: its hanging name, and that the study has no such view."""
        self.top.setText(
            f"<b style='font-size:14px'>{cell_label}</b><br>not in this study" if cell_label else ""
        )
        self.bottom.setText("")
        self._notes = []
        self.notes.setText("")
        self.banner.hide()

    def show_failed(self, label: str, reason: str, file_name: str) -> None:
        """A cell whose image cannot be shown: its view and file, and why (wrapped below them),
        where the image would be; truncated or corrupt data is named in the headline."""
        damage = short_reason(reason)
        headline = f"{label}: could not be decoded" + (f" ({damage})" if damage else "")
        name = html.escape(printable_text(file_name))
        self.top.setText(f"<b style='font-size:14px'>{html.escape(headline)}</b><br>{name}")
        self.bottom.setText("")
        self._notes = [html.escape(reason, quote=False)]
        self.notes.setText(self._notes[0])  # all of it; place() keeps what fits
        self.banner.hide()

    def show_image(
        self,
        image: MammoImage,
        voi: VoiPreset | None,
        invert: bool,
        frame: int,
        zoom_percent: float,
        note: str = "",
        turn: DisplayTransform | None = None,
    ) -> None:
        """View, spacing (with its source), notes, window, zoom, size and frame of the shown image.

        ``note`` is a banner of the cell (e.g. "PRIOR 2023-01-02"), unless the image is For Processing;
        ``turn``: the reader's turn and flip after the hanging's (said in the notes).
        """
        header = image.frame_header(frame)
        spacing = header.spacing
        if spacing.calibrated:
            sp = f"{spacing.col_mm:.4g} x {spacing.row_mm:.4g} mm/px<br>{html.escape(spacing.label)}"
        else:
            sp = html.escape(spacing.label)
        self.top.setText(f"<b style='font-size:14px'>{html.escape(image.view_caption)}</b><br>{sp}")
        inv = " inverted" if invert else ""
        frames = f"  frame {frame + 1}/{image.frames} (PgUp/PgDn)" if image.frames > 1 else ""
        self.bottom.setText(
            f"{window_text(voi)}{inv}<br>zoom {zoom_percent:.0f}%  {image.columns}x{image.rows}{frames}"
        )
        notes = [*header.notes]
        turned = image.orientation_note
        if turned is not None:
            notes.append(turned)
        if turn is not None and not turn.is_identity:
            notes.append(f"{turn.describe()} by the reader (Ctrl+0: as hung)")
        window_note = image.window_note(frame)
        if window_note and voi is not None and voi.name == AUTO_VOI_NAME:
            notes.insert(0, window_note)
        self._notes = [html.escape(n, quote=False) for n in notes]
        self.notes.setText("<br>".join(self._notes))  # all of them; place() keeps what fits
        if image.for_processing:
            self.banner.setText("FOR PROCESSING - not for diagnosis")
            self.banner.show()
        elif note:
            self.banner.setText(note)
            self.banner.show()
        else:
            self.banner.hide()


def _fit_width(label: QLabel, room: int) -> None:
    """Size ``label`` to its text, wrapped to ``room`` pixels when it is wider."""
    label.setWordWrap(False)
    label.setMinimumSize(0, 0)
    label.setMaximumSize(_UNLIMITED, _UNLIMITED)
    label.adjustSize()
    if label.width() > room:
        label.setWordWrap(True)
        label.setFixedWidth(room)
        label.resize(room, label.heightForWidth(room))


def _hide_colliding(labels: list[QLabel], width: int, height: int) -> None:
    """Hide each shown label that overlaps one before it or leaves the cell (the first ones win)."""
    cell = QRect(0, 0, width, height)
    kept: list[QRect] = []
    for label in labels:
        if label.isHidden():
            continue
        rect = label.geometry()
        if any(rect.intersects(other) for other in kept) or not cell.contains(rect):
            label.hide()
        else:
            kept.append(rect)


class ViewSketch:
    """The ruler line with its length and the freehand shape being drawn, in image coordinates."""

    def __init__(self, vb: MammoViewBox) -> None:
        pen = QPen(QColor(255, 210, 0))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        self.ruler = QGraphicsLineItem()
        self.ruler.setPen(pen)
        self.ruler.setZValue(20)
        self.ruler.hide()
        vb.addItem(self.ruler, ignoreBounds=True)
        self._vb = vb
        # on a dark backdrop, legible on bright tissue (as the overlay text is)
        self.ruler_text = pg.TextItem(color=(255, 210, 0), anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 190))
        self.ruler_text.setZValue(21)
        self.ruler_text.hide()
        vb.addItem(self.ruler_text, ignoreBounds=True)
        self.outline = QGraphicsPathItem()
        self.outline.setPen(pen)
        self.outline.setZValue(20)
        self.outline.hide()
        vb.addItem(self.outline, ignoreBounds=True)

    def show_line(self, p1: tuple[float, float], p2: tuple[float, float] | None, text: str) -> None:
        """Draw (or with ``p2=None`` start) the ruler line with its length."""
        if p2 is None:
            self.clear_ruler()
            return
        self.ruler.setLine(p1[0], p1[1], p2[0], p2[1])
        self.ruler.show()
        self.ruler_text.setText(text)
        x, y, anchor = self.label_place(p1, p2)
        self.ruler_text.setAnchor(anchor)
        self.ruler_text.setPos(x, y)
        self.ruler_text.show()

    def label_place(
        self, p1: tuple[float, float], p2: tuple[float, float]
    ) -> tuple[float, float, tuple[float, float]]:
        """Where the length goes: at the line's middle, kept inside the part of the image on
        screen, on the side of it towards the screen's centre (a line dragged to the cell's
        edge keeps its length in sight)."""
        rect = self._vb.visible_image_rect()
        mx, my = (p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2
        mx, my = min(max(mx, rect.left()), rect.right()), min(max(my, rect.top()), rect.bottom())
        # on screen, whatever the image's turn and mirror
        at = self._vb.map_image_to_device(QPointF(mx, my))
        middle = self._vb.map_image_to_device(rect.center())
        right_half, lower_half = at.x() > middle.x(), at.y() > middle.y()
        return mx, my, (1.0 if right_half else 0.0, 1.0 if lower_half else 0.0)

    def show_polygon(self, points: list[tuple[float, float]] | None) -> None:
        """Draw the freehand shape being drawn (``None`` hides it)."""
        if not points:
            self.outline.hide()
            return
        path = QPainterPath()
        path.moveTo(*points[0])
        for p in points[1:]:
            path.lineTo(*p)
        self.outline.setPath(path)
        self.outline.show()

    def clear_ruler(self) -> None:
        self.ruler.hide()
        self.ruler_text.hide()
