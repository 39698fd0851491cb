"""Multi-frame images (breast tomosynthesis): page through the frames, mark on one frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.dicom_files import write_tomo
from tests.fixtures.qt_driving import click_on, image_of, open_window
from viewer.dicom.demo import demo_phantom
from viewer.qt.main_window import MainWindow

FRAMES = 3


@pytest.fixture
def tomo_folder(tmp_path: Path) -> Path:
    """A 3-frame MG file: frame k is the demo LCC shifted down by 40 k rows."""
    return write_tomo(tmp_path / "tomo", FRAMES)


def test_page_down_shows_next_frame_and_marks_stay_on_their_frame(qtbot: QtBot, tomo_folder: Path) -> None:
    """PgDown moves to frame 2; a mark made there belongs to frame 2 and is not drawn on frame 1."""
    window: MainWindow = open_window(qtbot, tomo_folder)
    view = window.hanging.views["LCC"]
    assert view.image is not None and view.image.frames == FRAMES
    window.hanging.active = view
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: view.frame == 1, timeout=30000)  # decoded in the background
    assert "frame 2/3" in view.overlay_bottom.text()
    truth = demo_phantom(1).truth[-1]
    window.set_tool("calcification")
    click_on(qtbot, view, truth.center[0], truth.center[1] + 40)
    ((key, calc),) = list(window.model.iter_calcifications())
    assert key[1] == 1
    assert abs(calc.center[1] - (truth.center[1] + 40)) < 2
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: view.frame == 0, timeout=30000)
    assert window.layer_for(key) is None
    assert window.layer_for((key[0], 0)) is not None
    layer = window.layer_for((key[0], 0))
    assert layer is not None and layer.drawn_ids == set()


class TestPagingInTheBackground:
    """Frames come from the decoding processes: the UI thread never decodes one."""

    def test_paging_never_decodes_here(
        self, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Any decode in this process fails the test; every frame shown equals pydicom's."""
        import pydicom

        import viewer.dicom.image as image_module

        folder = write_tomo(tmp_path / "stack", 4)
        window: MainWindow = open_window(qtbot, folder)

        def no_decode(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("a frame was decoded on the UI thread")

        monkeypatch.setattr(image_module, "decode_frame", no_decode)
        view = window.hanging.views["LCC"]
        window.hanging.active = view
        oracle = pydicom.dcmread(folder / "tomo.dcm").pixel_array
        for want in (1, 2, 3, 0, 3):
            window.set_frame(view, want)

            def shown(want: int = want) -> bool:
                return view.frame == want

            qtbot.waitUntil(shown, timeout=30000)
            assert view.pyramid is not None
            assert np.array_equal(view.pyramid.level(0), oracle[want])
            assert f"frame {want + 1}/4" in view.overlay_bottom.text()

    def test_the_neighbours_are_ready_before_they_are_asked(self, qtbot: QtBot, tmp_path: Path) -> None:
        """Once frame 1 shows, frames 2 and 4 (of 4) are decoded ahead: PgDown then is immediate."""
        window: MainWindow = open_window(qtbot, write_tomo(tmp_path / "stack", 4))
        view = window.hanging.views["LCC"]
        image = view.image
        assert image is not None
        pager = window.frames
        # the one after frame 1 and the one before it, wrapping round
        qtbot.waitUntil(lambda: pager._kept_pyramid(image, 1) is not None, timeout=30000)
        qtbot.waitUntil(lambda: pager._kept_pyramid(image, 3) is not None, timeout=30000)
        window.hanging.active = view
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        assert view.frame == 1  # no wait: it was decoded already

    def test_fast_paging_shows_the_last_frame_asked(
        self, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Five pages in a row: the frames shown only move forward and end on the last asked;
        a result that comes late for a frame no longer wanted is kept, not shown."""
        window: MainWindow = open_window(qtbot, write_tomo(tmp_path / "stack", 8))
        view = window.hanging.views["LCC"]
        shown: list[int] = []
        show = window.cells.show_frame

        def record(v, frame, pyramid):
            shown.append(frame)
            show(v, frame, pyramid)

        monkeypatch.setattr(window.cells, "show_frame", record)
        for want in range(1, 6):
            window.set_frame(view, want)
        qtbot.waitUntil(lambda: view.frame == 5, timeout=30000)
        qtbot.wait(300)  # late results of frames 2-4 arrive meanwhile
        assert shown == sorted(shown) and shown[-1] == 5 and view.frame == 5
        key = window.layer_for((image_of(view).sop_instance_uid, 5))
        assert key is not None  # the marks layer moved with the pixels
