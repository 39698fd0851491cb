"""The main window's docks on the right: the marks list, the describe panel and the files with
problems (hidden until a study has some).

The window routes between them and the annotation controller (selection, suggestions,
descriptors); this module only builds and wires them, as :mod:`viewer.qt.window_menus` does
the menus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QListWidget

from viewer.core.printable import printable_text
from viewer.qt.describe_panel import DescribePanel
from viewer.qt.marks_panel import MarksPanel

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class ProblemList(QListWidget):
    """'Files with problems': a line naming a file whose name is not valid UTF-8 shows its odd
    bytes as ``\\xNN`` (Qt would drop them, see :mod:`viewer.core.printable`)."""

    def addItem(self, text: str) -> None:  # type: ignore[override]  # only text lines are added
        super().addItem(printable_text(text))


def build_docks(window: MainWindow) -> None:
    """Build and dock the panels; sets the window's ``marks_panel``, ``describe_panel``,
    ``problems`` and ``problems_dock``."""
    window.marks_panel = MarksPanel(window.lexicon)
    window.marks_panel.mark_activated.connect(window.reveal_mark)
    window.marks_panel.selection_changed.connect(window.controller.select)
    window.marks_panel.suggestions_for = window.controller.suggestions_for
    window.marks_panel.filter_left.connect(window.focus_views)
    window.controller.selection_changed.connect(window._selection_changed)
    window.controller.suggestions_changed.connect(window._suggestions_changed)
    window.describe_panel = DescribePanel(window.lexicon)
    window.describe_panel.morphology_chosen.connect(window.controller.set_morphology)
    window.describe_panel.cluster_field_chosen.connect(window.controller.set_cluster_field)
    area = Qt.DockWidgetArea.RightDockWidgetArea
    for title, name, widget in (
        ("Marks", "marks_dock", window.marks_panel),
        ("Describe", "describe_dock", window.describe_panel),
    ):
        dock = QDockWidget(title, window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        window.addDockWidget(area, dock)
    window.problems = ProblemList()
    window.problems_dock = QDockWidget("Files with problems", window)
    window.problems_dock.setObjectName("problems_dock")
    window.problems_dock.setWidget(window.problems)
    window.addDockWidget(area, window.problems_dock)
    window.problems_dock.hide()
