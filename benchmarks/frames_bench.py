"""Paging through a multi-frame image: PgDn on a 50-frame 2048x2048 12-bit image (issue 16).

``frame_page_ms``: ``ImageView.set_frame`` to the next frame until the view has painted
(median). Frames are decoded on the UI thread today (``MammoImage.pixels``), so the
viewer's figure is the baseline's ("decode on the UI thread"): background frame decoding
with neighbours prefetched is not built yet. The file is uncompressed, so the figure is
reading and levelling a frame; a compressed tomosynthesis frame adds its decode.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FRAMES, SIZE = 50, 2048
TARGETS = {"frame_page_ms": 30.0}


def write_frames(folder: Path) -> Path:
    """A 50-frame MG file: a smooth 12-bit picture that shifts from frame to frame."""
    from viewer.dicom.demo import demo_dataset, demo_phantom

    phantom = demo_phantom(1)
    ds = demo_dataset(phantom, 1)
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    base = 1800 + 700 * np.sin(x / 97.0) * np.cos(y / 131.0)
    frames = np.stack(
        [np.clip(np.roll(base, 9 * k, axis=0) + rng.normal(0, 8, base.shape), 0, 4095) for k in range(FRAMES)]
    ).astype(np.uint16)
    ds.Rows = ds.Columns = SIZE
    ds.NumberOfFrames = FRAMES
    ds.PixelData = frames.tobytes()
    path = folder / "tomo.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def bench_frames(app: Any, paint_watch: Callable[[list[Any]], Any], pages: int = 20) -> dict[str, Any]:
    """PgDn ``pages`` times on a fresh 50-frame image; milliseconds per page."""
    from viewer.core.pyramid import Pyramid
    from viewer.dicom.image import MammoImage
    from viewer.qt.image_view import ImageView

    folder = Path(tempfile.mkdtemp(prefix="mammo-viewer-frames-bench-"))
    image = MammoImage.open(write_frames(folder))
    view = ImageView("LCC")
    view.resize(1920, 1080)
    view.show()
    view.set_full(image, Pyramid(image.pixels(0)))
    for _ in range(3):
        app.processEvents()
    watch = paint_watch([view])
    times = []
    for frame in range(1, pages + 1):
        times.append(watch.frame(app, lambda f=frame: view.set_frame(f), lambda: False))
    view.close()
    median = float(statistics.median(times))
    return {
        "frame_page_ms": {"viewer": median, "baseline": median},
        "details": {"frame_page_max_ms": max(times), "frames": FRAMES, "size": SIZE, "pages_ms": times},
    }
