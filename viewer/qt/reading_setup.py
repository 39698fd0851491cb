"""Reading tools in the main window: hanging protocols, nipple and links, the assessment panel, File > Report.

:func:`install` adds them to a built window (its menus exist); the window then has
``protocols`` (:class:`viewer.qt.reading_protocols.ReadingProtocols`), ``finding_reading``
(:class:`viewer.qt.finding_reading.FindingReading`) and ``assessment_panel``
(:class:`viewer.qt.assessment_panel.AssessmentPanel`). :func:`study_opened` and
:func:`model_set` are called by the study opening.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMenu

from viewer.core.annotations import StudyAnnotations
from viewer.dicom.study import Study
from viewer.qt.assessment_panel import AssessmentPanel
from viewer.qt.finding_reading import FindingReading
from viewer.qt.reading_protocols import ReadingProtocols
from viewer.qt.report_action import report_dialog
from viewer.qt.view_markers import ViewMarkers

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


def _menu(window: MainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == title:
            return menu
    return window.menuBar().addMenu(title)


def install(window: MainWindow) -> None:
    """Create the reading tools and their menus and dock."""
    window.protocols = ReadingProtocols(window)
    window.finding_reading = FindingReading(window)
    window.assessment_panel = AssessmentPanel(window.lexicon, window.push, lambda: window.mark_reader)
    dock = QDockWidget("Study assessment", window)
    dock.setObjectName("assessment_dock")
    dock.setWidget(window.assessment_panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    view_menu = _menu(window, "View")
    window.protocols.build_menu(window.menuBar(), view_menu)
    window.view_markers = {view: ViewMarkers(view) for view in window.hanging.all_cells()}
    window.patient_line_action = window.make_action(
        "&Patient/study line", partial(_toggle_patient_line, window), checkable=True
    )
    window.patient_line_action.setChecked(True)
    view_menu.addAction(window.patient_line_action)
    study_menu = _menu(window, "Study")
    study_menu.addSeparator()
    window.finding_reading.build_menu(study_menu)
    file_menu = _menu(window, "File")
    tip = "the study's findings as HTML or PDF"
    report = window.make_action("&Report...", partial(report_dialog, window), tip=tip)
    quit_action = next((a for a in file_menu.actions() if a.text().replace("&", "") == "Quit"), None)
    if quit_action is None:
        file_menu.addAction(report)
    else:
        file_menu.insertAction(quit_action, report)


def _toggle_patient_line(window: MainWindow) -> None:
    on = window.patient_line_action.isChecked()
    for markers in window.view_markers.values():
        markers.set_show_patient(on)


def study_opened(window: MainWindow, study: Study) -> None:
    """A study is hung: reset the protocol, look for its prior."""
    window.protocols.study_opened(study)


def model_set(window: MainWindow, model: StudyAnnotations) -> None:
    """The window's annotations changed (study opened, recovered): landmarks and the assessment follow."""
    window.finding_reading.model_set(model)
    window.assessment_panel.set_model(model)
