"""Nothing lost through the window: recovery after a crash, read-only files, failed saves."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, open_window, view_name
from viewer.core.phantom import Phantom
from viewer.store import sidecar


def add_mark(qtbot: QtBot, window, phantom: Phantom) -> None:
    window.set_tool("calcification")
    click_on(qtbot, window.hanging.views[view_name(phantom)], *phantom.truth[0].center)


class TestRecovery:
    def test_autosave_is_offered_after_a_crash(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        demo_truth: list[Phantom],
        dialogs,
    ) -> None:
        """Unsaved marks autosaved before a crash come back when the study is opened again."""
        first = open_window(qtbot, demo_folder)
        add_mark(qtbot, first, demo_truth[1])
        first.autosave()
        assert first.session.flush()
        # the process "dies": no save, no close; its lock goes with it
        store, history = first.session.store, first.session.history
        assert store is not None and store.recovery_path.exists()
        store.close()
        first.session.store = None
        history.mark_saved(history.state)  # so that the dead window asks nothing later
        dialogs.answers["Recover unsaved marks?"] = QMessageBox.StandardButton.Yes
        second = open_window(qtbot, demo_folder, interactive=True)
        assert "Recover unsaved marks?" in [title for title, _ in dialogs.asked]
        assert second.model.count()[0] == 1
        assert second.isWindowModified()
        assert not sidecar.sidecar_path(demo_folder, "tester").exists()


class TestReadOnly:
    def test_corrupt_file_is_kept_and_edits_refused(
        self,
        qtbot: QtBot,
        demo_folder: Path,
        demo_truth: list[Phantom],
        dialogs,
    ) -> None:
        """A corrupt sidecar stays byte for byte; the study opens read-only and says why."""
        path = sidecar.sidecar_path(demo_folder, "tester")
        path.write_bytes(b'{"schema_version": 1, "broken')
        window = open_window(qtbot, demo_folder, interactive=True)
        assert window.store is not None and window.store.read_only_reason
        assert any(title == "Annotations are read-only" for title, _ in dialogs.asked)
        add_mark(qtbot, window, demo_truth[1])
        assert window.model.count()[0] == 0
        assert "read-only" in window.last_message
        assert not window.save()
        assert path.read_bytes() == b'{"schema_version": 1, "broken'
        assert "[read-only]" in window.windowTitle()
