"""The Qt tests' guard against modal dialogs: a real dialog no test answered is refused and named."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox

from tests.qt.conftest import ModalWatch


class TestModalWatch:
    def test_a_question_is_rejected_and_named(self, _no_unanswered_dialog: ModalWatch) -> None:
        """A real QMessageBox.question returns at once, unanswered, with its title recorded."""
        answer = QMessageBox.question(None, "Unsaved marks", "Save the marks before closing this study?")
        assert answer not in (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Save)
        assert len(_no_unanswered_dialog.seen) == 1
        assert "'Unsaved marks' (QMessageBox): Save the marks" in _no_unanswered_dialog.seen[0]
        _no_unanswered_dialog.seen.clear()  # seen on purpose: this test does not fail

    def test_an_input_dialog_is_cancelled(self, _no_unanswered_dialog: ModalWatch) -> None:
        """A real QInputDialog.getDouble comes back cancelled instead of waiting for a person."""
        _, ok = QInputDialog.getDouble(None, "Calibrate", "Length in mm:", 10.0)
        assert not ok
        assert _no_unanswered_dialog.seen == ["'Calibrate' (QInputDialog): Length in mm:"]
        _no_unanswered_dialog.seen.clear()
