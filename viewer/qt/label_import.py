"""File > Import dataset labels: INbreast, CBIS-DDSM or VinDr-Mammo labels into the open study.

The GUI face of :func:`viewer.interop.imports.import_labels`: the labels go into the
annotation file of a reader named after the format (so they sit beside the reader's own
marks; Study > Show another reader's marks draws them), and what could not be used is
listed in "Files with problems" with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from viewer.interop.imports import FORMATS, ImportFailedError, ImportResult, import_labels

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


def summary(result: ImportResult) -> str:
    """One sentence for the user: what came in, where, how much was skipped."""
    where = ", ".join(p.name for p in result.written) or "no file"
    text = (
        f"Imported {result.calcifications} calcifications and {result.clusters} clusters "
        f"on {result.images} image(s) into {where}."
    )
    if result.skipped:
        text += f" {len(result.skipped)} entries skipped (see 'Files with problems')."
    return text


class LabelImport:
    """Asks for a format and a source, imports, reports."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def build_menu(self, file_menu: object) -> None:
        """File > Import dataset labels..., just before Save."""
        assert isinstance(file_menu, QMenu), "the File menu"
        action = self.window.make_action("&Import dataset labels...", self.ask)
        file_menu.insertAction(self.window.save_action, action)

    def ask(self) -> None:
        window = self.window
        study = window.session.study
        if study is None:
            window.notify("Open a study first: the labels go into its annotation files")
            return
        names = list(FORMATS)
        choice, ok = QInputDialog.getItem(
            window, "Import dataset labels", "Format:", [FORMATS[n] for n in names], 0, False
        )
        if not ok:
            return
        fmt = names[[FORMATS[n] for n in names].index(choice)]
        if fmt == "inbreast":
            source = QFileDialog.getExistingDirectory(window, "Folder of INbreast XML files")
        else:
            source, _ = QFileDialog.getOpenFileName(window, f"{FORMATS[fmt]}: the CSV", "", "CSV (*.csv)")
        if source:
            self.run(fmt, Path(source))

    def run(self, fmt: str, source: Path, reader: str | None = None) -> ImportResult | None:
        """Import ``source`` into the open study; the result, or None with the reason shown."""
        window = self.window
        study = window.session.study
        if study is None:
            return None
        try:
            result = import_labels(study.folder, fmt, source, reader)
        except (ImportFailedError, ValueError) as exc:
            QMessageBox.warning(window, "Labels not imported", str(exc))
            window.notify(f"Labels not imported: {exc}")
            return None
        for skipped in result.skipped:
            window.problems.addItem(f"import skipped: {skipped}")
        if result.skipped:
            window.problems_dock.show()
        window.notify(summary(result))
        return result
