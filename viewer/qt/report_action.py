"""File > Report: the open study's findings as an HTML or PDF report (:mod:`viewer.interop.report_html`).

The report is made from the window's annotations as they are (saved or not), with the
nipple found on views that have none yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from viewer.interop.study_report import ReportError, study_report
from viewer.qt.report_pdf import write_report
from viewer.session.study_session import LOADING
from viewer.store.errors import SidecarError

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


def report_dialog(window: MainWindow) -> None:
    """Ask where to write the report, then write it."""
    if window.study is None:
        window.notify("Open a study first: the report is of the open study")
        return
    suggested = str(window.study.folder / "mammo-report.html")
    path, _ = QFileDialog.getSaveFileName(window, "Write the report", suggested, "HTML (*.html);;PDF (*.pdf)")
    if path:
        write_window_report(window, Path(path))


def write_window_report(window: MainWindow, out: Path) -> bool:
    """Write the open study's report to ``out`` (.html or .pdf); False with a message on failure."""
    if window.study is None:
        return False
    if window.session.reading is not None:  # the model is empty until the marks arrive
        window.notify(f"Report not written: {LOADING}")
        return False
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        out = out.with_suffix(".html")
    try:
        report, problems = study_report(window.study.folder, model=window.model.snapshot())
        write_report(report, out)
    except (ReportError, SidecarError) as exc:
        window.notify(f"Report not written: {exc}")
        return False
    except OSError as exc:
        window.notify(f"Report not written: cannot write {out}: {exc.strerror or exc}")
        return False
    notes = f" ({'; '.join(problems)})" if problems else ""
    window.notify(f"Report written to {out}{notes}")
    return True
