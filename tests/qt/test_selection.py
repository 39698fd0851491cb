"""Selecting a mark by clicking it with the pan tool: the one hit-test of viewer.core.tools."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.qt_driving import click_on, open_window, view_name
from viewer.core.geometry import point_in_polygon
from viewer.core.phantom import Phantom
from viewer.core.tools import PICK_RADIUS_SCREEN_PX


def test_click_inside_a_large_outline_selects_it(
    qtbot: QtBot, demo_folder: Path, demo_truth: list[Phantom]
) -> None:
    """A click inside a mark's outline but far from its centre selects it; a click on nothing clears."""
    window = open_window(qtbot, demo_folder)
    phantom = demo_truth[0]
    truth = max(phantom.truth, key=lambda t: t.diameter_mm)
    view = window.hanging.views[view_name(phantom)]
    window.set_tool("calcification")
    click_on(qtbot, view, *truth.center)
    ((_key, calc),) = list(window.model.iter_calcifications())
    assert calc.outline is not None
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # the pan / select tool
    assert window.tool is None
    window.controller.select(None, set(), set())
    # three quarters of the way to the edge: inside the outline, and further from the centre
    # than any centre-distance tolerance (screen pixels at 4x zoom, or 6 image pixels)
    x = calc.center[0] + 0.75 * truth.diameter_px_x / 2
    assert point_in_polygon(x, calc.center[1], calc.outline)
    assert (x - calc.center[0]) * 4.0 > 2 * PICK_RADIUS_SCREEN_PX and x - calc.center[0] > 6.0
    click_on(qtbot, view, x, calc.center[1])
    assert window.controller.calc_ids == {calc.id}
    click_on(qtbot, view, calc.center[0] + 4 * truth.diameter_px_x, calc.center[1])
    assert window.controller.calc_ids == set()
