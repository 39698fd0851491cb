"""The Study assessment panel: breast composition, BI-RADS per breast and overall, recommendation, impression.

Every change is one undo step (:class:`viewer.core.reading_commands.SetAssessment`); the
panel shows what the model holds (after undo, a load) without echoing it back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPlainTextEdit, QWidget

from viewer.core.annotations import StudyAnnotations, utc_now
from viewer.core.commands import Command
from viewer.core.lexicon import Lexicon
from viewer.core.reading import CATEGORIES, COMPOSITIONS, StudyAssessment
from viewer.core.reading_commands import SetAssessment

IMPRESSION_DELAY_MS = 800
"""Typing in the impression becomes one undo step after this pause."""


class AssessmentPanel(QWidget):
    """Edits ``model.reading.assessment`` through commands."""

    def __init__(self, lexicon: Lexicon, push: Callable[[Command], None], reader: Callable[[], str]) -> None:
        super().__init__()
        self._push = push
        self._reader = reader
        self._model: StudyAnnotations | None = None
        self._updating = False
        form = QFormLayout(self)
        self.composition = QComboBox()
        self.composition.addItem("not stated", None)
        for key, text in COMPOSITIONS.items():
            self.composition.addItem(f"{key}: {text}", key)
        self.right, self.left, self.overall = QComboBox(), QComboBox(), QComboBox()
        for box in (self.right, self.left, self.overall):
            box.addItem("not stated", None)
            for key, text in CATEGORIES.items():
                box.addItem(f"{key}: {text}", key)
        self.overall.setItemText(0, "the more worrying breast's")
        self.recommendation = QComboBox()
        self.recommendation.addItem("none", None)
        for label in lexicon.recommendation:
            self.recommendation.addItem(label.text, label.id)
        self.impression = QPlainTextEdit()
        self.impression.setPlaceholderText("Impression (free text)")
        self.impression.setMaximumHeight(90)
        self.overall_shown = QLabel()
        form.addRow("Composition", self.composition)
        form.addRow("Right breast", self.right)
        form.addRow("Left breast", self.left)
        form.addRow("Overall", self.overall)
        form.addRow("", self.overall_shown)
        form.addRow("Recommendation", self.recommendation)
        form.addRow("Impression", self.impression)
        for box in (self.composition, self.right, self.left, self.overall, self.recommendation):
            box.currentIndexChanged.connect(self._edited)
        for widget in (
            self.composition,
            self.right,
            self.left,
            self.overall,
            self.recommendation,
            self.impression,
        ):
            # never the window's first focus: the reading keys (M, 1-4, W...) must reach the views
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(IMPRESSION_DELAY_MS)
        self._typing.timeout.connect(self._edited)
        self.impression.textChanged.connect(self._impression_typed)
        self.setEnabled(False)

    def set_model(self, model: StudyAnnotations) -> None:
        if self._model is not None:
            self._model.reading.unsubscribe(self._changed)
        self._model = model
        model.reading.subscribe(self._changed)
        self.setEnabled(True)
        self.show_assessment(model.reading.assessment)

    def _changed(self, what: str) -> None:
        if what == "assessment" and self._model is not None:
            self.show_assessment(self._model.reading.assessment)

    def show_assessment(self, a: StudyAssessment) -> None:
        self._updating = True
        try:
            for box, value in (
                (self.composition, a.composition),
                (self.right, a.right),
                (self.left, a.left),
                (self.overall, a.overall),
                (self.recommendation, a.recommendation),
            ):
                index = box.findData(value)
                box.setCurrentIndex(max(index, 0))
            if self.impression.toPlainText() != a.impression:
                self.impression.setPlainText(a.impression)
            shown = a.overall_category
            self.overall_shown.setText(f"overall: BI-RADS {shown}" if shown else "overall: not stated")
        finally:
            self._updating = False

    def _impression_typed(self) -> None:
        if not self._updating:
            self._typing.start()

    def current(self) -> StudyAssessment:
        """What the panel shows, as an assessment stamped with the reader and time."""
        return StudyAssessment(
            self.composition.currentData(),
            self.right.currentData(),
            self.left.currentData(),
            self.overall.currentData(),
            self.recommendation.currentData(),
            self.impression.toPlainText(),
            self._reader(),
            utc_now(),
        )

    def _edited(self) -> None:
        if self._updating or self._model is None:
            return
        before = self._model.reading.assessment
        after = self.current()
        same = StudyAssessment(**{**after.__dict__, "reader": before.reader, "modified": before.modified})
        if same == before:
            return
        self._push(SetAssessment(before, after))

    def set_field(self, name: str, value: str | None) -> bool:
        """Quick entry: set the composition, or the right, left or overall category (one undo step)."""
        box = {
            "composition": self.composition,
            "right": self.right,
            "left": self.left,
            "overall": self.overall,
        }[name]
        index = box.findData(value)
        if index < 0:
            return False
        box.setCurrentIndex(index)
        return True
