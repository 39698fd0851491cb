"""Study > Show another reader's marks: other readers' files, the server's parts and SR reports.

Lists every other reader of the open study: their annotation files in the study folder (or,
for a server's study, their parts as last read from the server) and the TID 1500
measurement reports in the study folder (ours published earlier, or another tool's: their
calcifications and clusters, and any other measured shape such as a ruler). The chosen one
is drawn read-only in violet over the loaded views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QMenu

from viewer.core.annotations import ImageKey, StudyAnnotations
from viewer.core.geometry import Spacing
from viewer.interop.sr_read import ReportFiles, ReportShape, reports_in
from viewer.qt.agreement_dialog import load_study_readers
from viewer.qt.image_view import image_key
from viewer.qt.marks_layer import MarksLayer
from viewer.qt.report_shapes import ReportShapesLayer

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

OTHER_READER_COLOR = QColor(190, 120, 255)


@dataclass
class OtherMarks:
    """One other reader's marks as the menu offers them."""

    model: StudyAnnotations
    shapes: list[ReportShape] = field(default_factory=list)


class OtherReaders:
    """The menu of other readers and the read-only layers of the one shown."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.menu = QMenu("Show &another reader's marks", window)
        self.menu.aboutToShow.connect(self.fill_menu)
        self.layers: list[MarksLayer] = []
        self.shape_layers: list[ReportShapesLayer] = []
        self.shown: dict[str, OtherMarks] = {}
        self.report_files = ReportFiles()  # the study folder's files as last read, by identity

    def _spacing_of(self, key: ImageKey) -> Spacing:
        study = self.window.study
        image = next((i for i in study.images if i.sop_instance_uid == key[0]), None) if study else None
        return image.spacing if image is not None else Spacing.uncalibrated()

    def available(self) -> tuple[dict[str, OtherMarks], list[str]]:
        """Every other reader of the open study by menu name, and what could not be read."""
        window = self.window
        if window.study is None:
            return {}, []
        folder, uid = window.study.folder, window.study.study_instance_uid
        server = window.session.server_store
        if server is not None:  # other readers' parts as last read from the server (open, save)
            models = {m.reader or k: m for k, m in server.others.items()}
            problems: list[str] = []
        else:
            models, problems = load_study_readers(folder, uid)
        found = {n: OtherMarks(m) for n, m in models.items() if n != window.mark_reader}
        images = frozenset(image.path for image in window.study.images)  # read already, not reports
        readings, report_problems = reports_in(folder, uid, self._spacing_of, images, self.report_files)
        for reading in readings:
            found[reading.name] = OtherMarks(reading.model, reading.shapes)
            problems += reading.skipped
        return found, problems + report_problems

    def fill_menu(self) -> None:
        self.menu.clear()
        found, problems = self.available()
        for problem in problems:
            self.window.notify(problem)
        if not found:
            action = self.menu.addAction("(no other reader's file or report in this study)")
            action.setEnabled(False)
        for name, marks in found.items():
            action = QAction(name, self.menu)
            action.setCheckable(True)
            action.setChecked(name in self.shown)
            action.toggled.connect(lambda on, n=name, m=marks: self.show(n, m, on))
            self.menu.addAction(action)

    def show(self, name: str, marks: OtherMarks | StudyAnnotations, on: bool = True) -> None:
        """Draw another reader's marks read-only, in their own colour (or hide them)."""
        if isinstance(marks, StudyAnnotations):
            marks = OtherMarks(marks)
        self._detach()
        if on:
            self.shown = {name: marks}
        else:
            self.shown.pop(name, None)
        drawn = 0
        for other in self.shown.values():
            for view in self.window.hanging.loaded_views():
                assert view.image is not None  # loaded views have an image
                key = image_key(view.image, view.frame)
                if key in other.model.images:
                    layer = MarksLayer(view, other.model, key, color=OTHER_READER_COLOR)
                    layer.set_show_labels(False)
                    self.layers.append(layer)
                    drawn += 1
                shapes = [s for s in other.shapes if s.key == key]
                if shapes:
                    self.shape_layers.append(ReportShapesLayer(view, shapes, OTHER_READER_COLOR))
                    drawn += 1
        if on:
            where = "" if drawn else " (none on the images shown)"
            self.window.notify(f"showing {name}'s marks (read-only, violet){where}")

    def _detach(self) -> None:
        for layer in self.layers:
            layer.detach()
        for shapes in self.shape_layers:
            shapes.detach()
        self.layers, self.shape_layers = [], []

    def clear(self) -> None:
        self._detach()
        self.shown = {}
