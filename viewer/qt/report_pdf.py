"""The study report as PDF: the report's HTML laid out by QTextDocument on A4 pages (QPdfWriter).

Runs without a display (the offscreen platform); the thumbnails are handed to the document
as image resources. The file is written beside its final name and renamed, so a reader
never sees half a PDF.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF, QUrl
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from viewer.interop.report_html import Report
from viewer.store.atomic import write_atomic

RESOLUTION_DPI = 150


def _application() -> QGuiApplication:
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app
    return QGuiApplication(sys.argv[:1])


def document_of(report: Report) -> QTextDocument:
    """The report as a QTextDocument with its pictures as resources."""
    _application()
    doc = QTextDocument()
    for name, png in report.images.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), QImage.fromData(png))
    doc.setHtml(report.html(embed=False))
    return doc


def write_pdf(report: Report, out: Path) -> None:
    """Write ``report`` to the PDF file ``out`` (atomically: a temporary name, then renamed)."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    doc = document_of(report)
    writer = QPdfWriter(str(tmp))
    writer.setResolution(RESOLUTION_DPI)
    writer.setTitle(report.title)
    writer.setCreator("mammo-viewer")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(15, 15, 15, 15)
        )
    )
    # Lay the text out for the writer's resolution, so that point sizes are points on paper.
    doc.documentLayout().setPaintDevice(writer)
    page = writer.pageLayout().paintRectPixels(RESOLUTION_DPI)
    doc.setPageSize(QSizeF(page.width(), page.height()))
    doc.print_(writer)
    del writer  # the file is finished when the writer is gone
    if not tmp.is_file():
        raise OSError(f"Qt could not write {tmp}")
    os.replace(tmp, out)


def write_report(report: Report, out: Path) -> None:
    """Write ``report`` as HTML (one self-contained file) or PDF, by ``out``'s suffix.

    Raises OSError or SidecarError (from the atomic write) with a message naming the file.
    """
    if out.suffix.lower() == ".pdf":
        write_pdf(report, out)
    else:
        write_atomic(out, report.html(embed=True).encode("utf-8"))
