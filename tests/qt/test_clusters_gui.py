"""Clusters, descriptors and corrections through the real widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, open_window, screen_point, view_name
from viewer.core.annotations import ClusterState
from viewer.core.phantom import Phantom
from viewer.qt.main_window import MainWindow

GROUP_SIZE = 7  # the demo LCC holds a group of seven fine specks (viewer.dicom.demo)


def mark_group(qtbot: QtBot, window: MainWindow, phantom: Phantom) -> list[str]:
    """Click the demo's group of seven specks; return the new mark ids."""
    view = window.hanging.views[view_name(phantom)]
    window.set_tool("calcification")
    for truth in phantom.truth[:GROUP_SIZE]:
        click_on(qtbot, view, *truth.center)
    ids = [c.id for _, c in window.model.iter_calcifications()]
    assert len(ids) == GROUP_SIZE, window.last_message
    return ids


@pytest.fixture
def window(qtbot: QtBot, demo_folder: Path) -> MainWindow:
    return open_window(qtbot, demo_folder)


class TestSuggestedClusters:
    def test_group_is_suggested_live(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Five or more marks within 1 cm become a suggested cluster as they are clicked."""
        phantom = demo_truth[1]
        mark_group(qtbot, window, phantom)
        key = window.controller.key or next(iter(window.model.images))
        suggestions = [s for k in window.model.images for s in window.controller.suggestions_for(k)]
        assert len(suggestions) == 1
        assert len(suggestions[0].member_ids) == GROUP_SIZE
        assert suggestions[0].state is ClusterState.SUGGESTED
        qtbot.waitUntil(lambda: window.marks_panel.index_for(suggestions[0].id).isValid())
        row = window.marks_panel.index_for(suggestions[0].id)
        assert row.data().startswith("suggested cluster")
        del key

    def test_confirm_then_undo(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Selecting the suggestion in the panel and Ctrl+Return confirms it; Ctrl+Z undoes it."""
        mark_group(qtbot, window, demo_truth[1])
        key = next(k for k in window.model.images if window.controller.suggestions_for(k))
        suggestion = window.controller.suggestions_for(key)[0]
        qtbot.waitUntil(lambda: window.marks_panel.index_for(suggestion.id).isValid())
        row = window.marks_panel.index_for(suggestion.id)
        window.marks_panel.tree.setCurrentIndex(row)
        assert window.controller.cluster_ids == {suggestion.id}
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        clusters = list(window.model.image(key).clusters.values())
        assert len(clusters) == 1 and clusters[0].state is ClusterState.CONFIRMED
        assert set(clusters[0].member_ids) == set(suggestion.member_ids)
        assert window.controller.suggestions_for(key) == []
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert window.model.image(key).clusters == {}
        assert len(window.controller.suggestions_for(key)) == 1

    def test_dissolve_is_respected_by_regrouping(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """After 'not a cluster', adding another mark nearby does not bring the suggestion back."""
        phantom = demo_truth[1]
        ids = mark_group(qtbot, window, phantom)
        key = next(k for k in window.model.images if window.controller.suggestions_for(k))
        suggestion = window.controller.suggestions_for(key)[0]
        window.controller.select(key, set(), {suggestion.id})
        qtbot.keyClick(
            window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
        assert [c.state for c in window.model.image(key).clusters.values()] == [ClusterState.REJECTED]
        assert window.controller.suggestions_for(key) == []
        # removing one of the marks and undoing that must not regroup them either
        window.controller.select(key, {ids[0]}, set())
        qtbot.keyClick(window, Qt.Key.Key_Delete)
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert window.controller.suggestions_for(key) == []


class TestDescriptors:
    def test_quick_keys_set_morphology_of_last_mark(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Shift+M then 'f' sets fine pleomorphic on the mark just added; one undo step."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        click_on(qtbot, view, *phantom.truth[0].center)
        qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClick(window, Qt.Key.Key_F)
        (calc,) = [c for _, c in window.model.iter_calcifications()]
        assert calc.morphology == "fine_pleomorphic"
        assert window.tool is not None and window.tool.name == "calcification"  # 'f' did not fit
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        (calc,) = [c for _, c in window.model.iter_calcifications()]
        assert calc.morphology is None

    def test_describe_panel_shows_the_mark_quick_entry_acts_on(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """With nothing selected, the Describe panel shows the mark just added (the one Shift+M
        acts on), enabled, and follows what quick entry sets on it."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        panel = window.describe_panel
        assert not panel.calc_box.isEnabled()
        window.set_tool("calcification")
        click_on(qtbot, view, *phantom.truth[0].center)
        assert window.controller.calc_ids == set()
        assert panel.calc_box.isEnabled()
        assert "the mark added last" in panel.calc_info.text()
        assert "long axis" in panel.calc_info.text()
        qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClick(window, Qt.Key.Key_P)
        assert panel.morphology.currentData() == "punctate"
        ((key, calc),) = list(window.model.iter_calcifications())
        window.controller.select(key, {calc.id}, set())
        assert "the mark added last" not in panel.calc_info.text()

    def test_assessment_two_keys_confirms_suggestion(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Shift+A '4' 'b' on a selected suggestion stores BI-RADS 4B on a confirmed cluster."""
        mark_group(qtbot, window, demo_truth[1])
        key = next(k for k in window.model.images if window.controller.suggestions_for(k))
        window.controller.select(key, set(), {window.controller.suggestions_for(key)[0].id})
        qtbot.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClick(window, Qt.Key.Key_4)
        assert window.model.image(key).clusters == {}  # waits for a, b or c
        qtbot.keyClick(window, Qt.Key.Key_B)
        (cluster,) = window.model.image(key).clusters.values()
        assert cluster.assessment == "4B" and cluster.state is ClusterState.CONFIRMED

    def test_describe_panel_combo_sets_morphology(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Choosing in the describe panel's morphology box sets it on the selected mark."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        click_on(qtbot, view, *phantom.truth[0].center)
        ((key, calc),) = list(window.model.iter_calcifications())
        window.controller.select(key, {calc.id}, set())
        combo = window.describe_panel.morphology
        index = combo.findData("amorphous")
        combo.setCurrentIndex(index)
        combo.activated.emit(index)
        assert window.model.image(key).calcifications[calc.id].morphology == "amorphous"


class TestCorrections:
    def test_drag_vertex_is_one_undo_step(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """With the edit tool, dragging an outline vertex re-measures the mark; one Ctrl+Z restores it."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        truth = next(c for c in phantom.truth if c.diameter_mm >= 1.0)
        window.set_tool("calcification")
        click_on(qtbot, view, *truth.center)
        ((key, before),) = list(window.model.iter_calcifications())
        assert before.outline is not None and before.sizes is not None
        window.set_tool("edit")
        vertex = before.outline[0]
        start = screen_point(view, *vertex)
        cx, cy = before.center
        target = screen_point(view, vertex[0] + (vertex[0] - cx) * 2, vertex[1] + (vertex[1] - cy) * 2)
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
        for t in (0.25, 0.5, 0.75, 1.0):
            qtbot.mouseMove(view.viewport(), start + (target - start) * t)
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=target)
        after = window.model.image(key).calcifications[before.id]
        assert after.sizes is not None
        assert after.sizes.long_axis_px > before.sizes.long_axis_px
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert window.model.image(key).calcifications[before.id] == before

    def test_point_only_mark_is_not_measured(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """Shift+click adds a point mark whose size reads 'not measured', never 0."""
        phantom = demo_truth[0]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        click_on(qtbot, view, *phantom.truth[0].center, Qt.KeyboardModifier.ShiftModifier)
        ((_, calc),) = list(window.model.iter_calcifications())
        assert calc.outline is None and calc.sizes is None
        qtbot.waitUntil(lambda: window.marks_panel.index_for(calc.id).isValid())
        row = window.marks_panel.index_for(calc.id)
        assert row.siblingAtColumn(1).data() == "not measured"

    def test_manual_calibration_changes_every_size(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
        dialogs,
    ) -> None:
        """A calibration line of known length rescales the marks and names itself as the source."""
        phantom = demo_truth[1]
        view = window.hanging.views[view_name(phantom)]
        window.set_tool("calcification")
        click_on(qtbot, view, *phantom.truth[0].center)
        ((key, before),) = list(window.model.iter_calcifications())
        assert before.sizes is not None and before.sizes.long_axis_mm is not None
        spacing = window.model.image(key).spacing
        # a 100-pixel line said to be twice as long as the file's spacing says
        x0, y0 = phantom.truth[0].center
        true_mm = spacing.distance_mm((x0, y0), (x0 + 100, y0))
        assert true_mm is not None
        dialogs.answers["Calibrate"] = 2 * true_mm
        window.set_tool("calibrate")
        view.center_on(x0 + 50, y0, zoom=2.0)
        a, b = screen_point(view, x0, y0), screen_point(view, x0 + 100, y0)
        # The press is not the second half of a double click with the mark's click above
        # (same spot, a few ms later: Qt delivers it as a double click, not a press to drag from).
        qtbot.wait(QApplication.doubleClickInterval() + 50)
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=a)
        qtbot.mouseMove(view.viewport(), (a + b) / 2)
        qtbot.mouseMove(view.viewport(), b)
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=b)
        after = window.model.image(key).calcifications[before.id]
        assert after.sizes is not None and after.sizes.long_axis_mm is not None
        assert after.sizes.spacing.source.value == "manual"
        assert after.sizes.long_axis_mm == pytest.approx(2 * before.sizes.long_axis_mm, rel=0.03)
        window.hanging.active = view
        window.remove_calibration()
        restored = window.model.image(key).calcifications[before.id]
        assert restored.sizes is not None
        assert restored.sizes.long_axis_mm == pytest.approx(before.sizes.long_axis_mm)


class TestRuleAndReason:
    """The grouping rule's three numbers in preferences; the reason on the image."""

    def test_rule_dialog_sets_the_span_limit(self, window: MainWindow, dialogs) -> None:
        """Clusters > Grouping rule asks count, circle and span; all three are kept."""
        from viewer.core.cluster import ClusterRule

        dialogs.answers.update(
            {"Grouping rule (1 of 3)": 6, "Grouping rule (2 of 3)": 8.0, "Grouping rule (3 of 3)": 15.0}
        )
        window.editing.ask_rule()
        assert window.controller.rule == ClusterRule(6, 8.0, 15.0)
        assert window.prefs.cluster_max_span_mm == 15.0
        assert window.editing.rule() == ClusterRule(6, 8.0, 15.0)
        assert "the group within 15 mm" in window.last_message

    def test_suggestion_outline_says_why(
        self,
        qtbot: QtBot,
        window: MainWindow,
        demo_truth: list[Phantom],
    ) -> None:
        """A suggested cluster's label on the image carries the rule's reason."""
        mark_group(qtbot, window, demo_truth[1])
        key = next(k for k in window.model.images if window.controller.suggestions_for(k))
        suggestion = window.controller.suggestions_for(key)[0]
        assert suggestion.note.endswith("grouped?")
        layer = window.layer_for(key)
        assert layer is not None
        qtbot.waitUntil(lambda: suggestion.id in layer._cluster_items)
        text = layer._cluster_items[suggestion.id][1].textItem.toPlainText()
        assert text.startswith(f"suggested cluster ({GROUP_SIZE})\n")
        assert " ".join(text.splitlines()[1:]) == suggestion.note
