"""Window/level, pan and zoom frames of the viewer's views beside plain pyqtgraph ImageItems
(``wl_frame_ms``, ``wl_frame_4view_ms``, ``pan_frame_ms`` of run.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench_study import COLS, ROWS, SCREEN
from paint_watch import PaintWatch


def _decode_all(paths: list[Path]) -> list[Any]:
    from viewer.dicom.image import MammoImage

    images = [MammoImage.open(p) for p in paths]
    for image in images:
        image.pixels()
    return images


def _drag_steps(n: int) -> list[tuple[float, float]]:
    """Window (centre, width) offsets of a right-button drag: a slow zig-zag."""
    return [(((i * 7) % 40) - 20.0, ((i * 13) % 60) - 30.0) for i in range(n)]


def bench_display(app: Any, paths: list[Path], frames: int) -> dict[str, Any]:
    """Window/level and pan frames of the viewer and of the plain pyqtgraph baseline."""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGridLayout, QWidget

    from viewer.core.pyramid import Pyramid
    from viewer.qt.hanging import HangingView
    from viewer.qt.image_view import ImageView

    images = _decode_all(paths)
    steps = _drag_steps(frames)
    out: dict[str, Any] = {}

    # viewer, one view
    view = ImageView("RCC")
    view.resize(*SCREEN)
    view.show()
    view.set_full(images[0], Pyramid(images[0].pixels()))
    watch = PaintWatch([view])
    for _ in range(3):
        app.processEvents()
    voi = view.voi
    assert voi is not None and voi.center is not None and voi.width is not None
    base, center0, width0 = voi, voi.center, voi.width  # narrowed names for the closures below

    def busy_one() -> bool:
        return bool(view.render_pending)

    def wl(target: Any, dc: float, dw: float) -> Callable[[], None]:
        return lambda: target.set_voi(base.with_window(center0 + dc, width0 + dw))

    times = [watch.frame(app, wl(view, dc, dw), busy_one) for dc, dw in steps]
    out["wl_viewer"] = times
    # pan at 1:1: a steady drag of 12 screen pixels a frame, turning at the image's edges
    view.set_zoom(1.0, (COLS / 2, ROWS / 2))
    for _ in range(3):
        app.processEvents()
    pans = []
    direction = 1.0
    for _ in range(frames):
        rect = view.vb.viewRect()
        if (direction > 0 and rect.right() + 12 > COLS) or (direction < 0 and rect.left() < 12):
            direction = -direction
        pans.append(
            watch.frame(app, partial(view.vb.translateBy, x=12.0 * direction, y=3.0 * direction), busy_one)
        )
    out["pan_viewer"] = pans
    # wheel zoom: 12 % steps from fit to beyond 1:1 and back, about the centre
    zooms = []
    for i in range(frames):
        if i % 30 == 0:
            view.fit()
            app.processEvents()
        factor = 1 / 1.12 if i % 30 < 15 else 1.12
        zooms.append(watch.frame(app, partial(view.vb.scaleBy, (factor, factor)), busy_one))
    out["zoom_viewer"] = zooms
    view.close()

    # viewer, 4 linked views (what MainWindow's linked window/level does: set_voi on each)
    hanging = HangingView()
    hanging.resize(*SCREEN)
    hanging.show()
    for name, image in zip(("RCC", "LCC", "RMLO", "LMLO"), images, strict=True):
        hanging.views[name].set_full(image, Pyramid(image.pixels()))
    views = list(hanging.views.values())
    watch4 = PaintWatch(views)
    for _ in range(3):
        app.processEvents()
    bases = [v.voi for v in views]
    assert all(b is not None and b.center is not None and b.width is not None for b in bases)

    def wl4(dc: float, dw: float) -> Callable[[], None]:
        def change() -> None:
            for v, b in zip(views, bases, strict=True):
                assert b is not None and b.center is not None and b.width is not None
                v.set_voi(b.with_window(b.center + dc, b.width + dw), emit=False)

        return change

    out["wl4_viewer"] = [
        watch4.frame(app, wl4(dc, dw), lambda: any(v.render_pending for v in views)) for dc, dw in steps
    ]
    hanging.close()

    # baseline: ImageItem with the uint16 image, setLevels per step
    def baseline_view() -> tuple[Any, Any]:
        gv = pg.GraphicsView(background="k")
        vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        gv.setCentralItem(vb)
        item = pg.ImageItem(axisOrder="row-major")
        vb.addItem(item)
        return gv, (vb, item)

    gv, (vb, item) = baseline_view()
    gv.resize(*SCREEN)
    gv.show()
    item.setImage(np.asarray(images[0].pixels()), levels=_levels(base))
    vb.autoRange(padding=0.01)
    watchb = PaintWatch([gv])
    for _ in range(3):
        app.processEvents()

    def levels_step(dc: float, dw: float) -> Callable[[], None]:
        return lambda: item.setLevels(_levels(base.with_window(center0 + dc, width0 + dw)))

    out["wl_baseline"] = [
        watchb.frame(
            app,
            levels_step(dc, dw),
            lambda: False,
        )
        for dc, dw in steps
    ]
    vb.setRange(
        xRange=(COLS / 2 - SCREEN[0] / 2, COLS / 2 + SCREEN[0] / 2),
        yRange=(ROWS / 2 - SCREEN[1] / 2, ROWS / 2 + SCREEN[1] / 2),
        padding=0,
    )
    app.processEvents()
    out["pan_baseline"] = [
        watchb.frame(app, partial(vb.translateBy, x=8.0 if (i // 20) % 2 == 0 else -8.0), lambda: False)
        for i in range(frames)
    ]
    gv.close()

    grid = QWidget()
    layout = QGridLayout(grid)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    cells = []
    for i, image in enumerate(images):
        gv_i, (vb_i, item_i) = baseline_view()
        item_i.setImage(np.asarray(image.pixels()), levels=_levels(image.default_voi()))
        layout.addWidget(gv_i, i // 2, i % 2)
        cells.append((gv_i, vb_i, item_i, image.default_voi()))
    grid.resize(*SCREEN)
    grid.show()
    for _, vb_i, _, _ in cells:
        vb_i.autoRange(padding=0.01)
    watchb4 = PaintWatch([c[0] for c in cells])
    for _ in range(3):
        app.processEvents()

    def wl4b(dc: float, dw: float) -> Callable[[], None]:
        def change() -> None:
            for _, _, item_i, b in cells:
                item_i.setLevels(_levels(b.with_window(b.center + dc, b.width + dw)))

        return change

    out["wl4_baseline"] = [watchb4.frame(app, wl4b(dc, dw), lambda: False) for dc, dw in steps]
    grid.close()
    return out


def _levels(voi: Any) -> tuple[float, float]:
    return (voi.center - voi.width / 2.0, voi.center + voi.width / 2.0)
