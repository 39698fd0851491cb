"""What an image view draws over the picture: its text blocks, banner, ruler and sketch.

The text blocks sit on the cell's outer side (away from the chest wall, where tissue is);
the ruler and the freehand sketch are scene items in image coordinates.
"""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsPathItem, QLabel, QWidget

from viewer.core.display_transform import DisplayTransform
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
_NOTE_WIDTH = 0.45
"""Largest width of the notes block, as a fraction of the cell's width (it wraps)."""


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
        self.banner = QLabel(parent)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setStyleSheet("color: #000; background: #ffb000; font-weight: bold; padding: 2px 6px;")
        self.banner.hide()

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
        """Put the text blocks in the corners of ``side`` ("left"/"right"), the banner on top."""
        m = _MARGIN
        align = Qt.AlignmentFlag.AlignRight if side == "right" else Qt.AlignmentFlag.AlignLeft
        for label in (self.top, self.bottom):
            label.setAlignment(align)
            label.adjustSize()
        for label in (self.top, self.bottom):
            label.setVisible(bool(label.text()))

        def x_of(label: QLabel) -> int:
            return width - label.width() - m if side == "right" else m

        self.top.move(x_of(self.top), m)
        self.bottom.move(x_of(self.bottom), height - self.bottom.height() - m)
        if self.notes.text():
            self.notes.setAlignment(align)
            self.notes.setFixedWidth(max(120, int(width * _NOTE_WIDTH)))
            self.notes.adjustSize()
            self.notes.move(x_of(self.notes), self.top.y() + self.top.height() + 4)
            self.notes.show()
        else:
            self.notes.hide()
        if self.banner.isVisible():
            self.banner.adjustSize()
            self.banner.move((width - self.banner.width()) // 2, m)

    def show_empty(self, cell_label: str) -> None:
        """An empty cell: its hanging name, and that the study has no such view."""
        self.top.setText(
            f"<b style='font-size:14px'>{cell_label}</b><br>not in this study" if cell_label else ""
        )
        self.bottom.setText("")
        self.notes.setText("")
        self.banner.hide()

    def show_failed(self, label: str, reason: str, file_name: str) -> None:
        """A cell whose image cannot be shown: its view and file, and why (wrapped below them),
        where the image would be; truncated or corrupt data is named in the headline."""
        damage = short_reason(reason)
        headline = f"{label}: could not be decoded" + (f" ({damage})" if damage else "")
        self.top.setText(f"<b style='font-size:14px'>{html.escape(headline)}</b><br>{html.escape(file_name)}")
        self.bottom.setText("")
        self.notes.setText(html.escape(reason, quote=False))
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
        self.notes.setText("<br>".join(html.escape(n, quote=False) for n in notes))
        if image.for_processing:
            self.banner.setText("FOR PROCESSING - not for diagnosis")
            self.banner.show()
        elif note:
            self.banner.setText(note)
            self.banner.show()
        else:
            self.banner.hide()


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
