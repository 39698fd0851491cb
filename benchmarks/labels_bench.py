"""Pan and zoom frames of one view with many labelled marks (issue 11: label layout).

Run ``python benchmarks/labels_bench.py [--json]`` (Qt offscreen). One ``ImageView`` of
1920x1080 on a 2048x2560 synthetic mammogram with 1,000 scattered marks and 12 clusters
of 15 marks within 5 mm (one confirmed cluster each), zoomed so that size labels show.

- ``label_pan_frame_ms``: a steady drag of 12 screen px a frame at 100 % zoom over the
  clusters, until the viewport has painted (median, p90);
- ``label_zoom_frame_ms``: wheel-zoom steps of 12 % between 50 % and 400 % about a cluster;
- ``layout_ms``: the time spent laying labels out per frame that laid out (median, max),
  ``labels_shown``: labels on screen at the end of the zoom run.

Run with the project of another commit first on ``PYTHONPATH`` to compare (the layout
figures are then absent).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from functools import partial
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SCREEN = (1920, 1080)
ROWS, COLS = 2560, 2048
SPACING_MM = 0.07


def _image() -> Any:
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    from viewer.core.phantom import make_mammogram
    from viewer.dicom.image import MammoImage

    phantom = make_mammogram(ROWS, COLS, (SPACING_MM, SPACING_MM), "L", "CC", seed=2)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = UID("1.2.840.10008.5.1.4.1.1.1.2")
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.ImageLaterality, ds.ViewPosition = "MG", "L", "CC"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = phantom.pixels.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = phantom.pixels.astype(np.uint16).tobytes()
    return MammoImage.from_dataset(ds)


def _render_pending(view: Any) -> bool:
    """True while the view has a repaint to do: ``render_pending``, or its timer in a commit from
    before that property (the bench runs against other commits, see the module docstring)."""
    pending = getattr(view, "render_pending", None)
    return bool(pending if pending is not None else view._render_timer.isActive())


def _model(image: Any) -> tuple[Any, list[tuple[float, float]]]:
    import numpy as np

    from viewer.core.annotations import (
        Calcification,
        Cluster,
        ClusterState,
        ImageAnnotations,
        StudyAnnotations,
    )
    from viewer.core.geometry import Spacing, SpacingSource

    spacing = Spacing(SPACING_MM, SPACING_MM, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "mm (ERMF 1.08)")
    model = StudyAnnotations("bench", image.study_instance_uid)
    img = ImageAnnotations(
        image.sop_instance_uid, 0, image.study_instance_uid, "", ROWS, COLS, "L", "CC", spacing
    )
    rng = np.random.default_rng(1)

    def mark(cx: float, cy: float, r: float) -> str:
        outline = [
            (cx + r * math.cos(t * math.pi / 5), cy + r * math.sin(t * math.pi / 5)) for t in range(10)
        ]
        calc = Calcification.create((cx, cy), outline, spacing)
        img.calcifications[calc.id] = calc
        return calc.id

    for x, y in rng.uniform((100, 100), (COLS - 100, ROWS - 100), size=(1000, 2)):
        mark(float(x), float(y), float(rng.uniform(2, 6)))
    centres = []
    for k in range(12):
        cx, cy = 500.0 + (k % 4) * 350.0, 700.0 + (k // 4) * 500.0
        centres.append((cx, cy))
        half = 2.5 / SPACING_MM  # within 5 mm
        ids = [
            mark(cx + float(dx), cy + float(dy), float(rng.uniform(1.5, 4)))
            for dx, dy in rng.uniform(-half / 1.5, half / 1.5, size=(15, 2))
        ]
        cluster = Cluster(f"cluster-{k}", tuple(ids), ClusterState.CONFIRMED)
        img.clusters[cluster.id] = cluster
    model.images[img.key] = img
    return model, centres


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": float(statistics.median(ordered)) if ordered else float("nan"),
        "p90": ordered[int(0.9 * (len(ordered) - 1))] if ordered else float("nan"),
        "max": ordered[-1] if ordered else float("nan"),
    }


def run(frames: int = 120) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from viewer.qt.image_view import ImageView, image_key
    from viewer.qt.marks_layer import MarksLayer

    app = QApplication.instance() or QApplication(sys.argv[:1])
    image = _image()
    view = ImageView("LCC")
    view.resize(*SCREEN)
    view.show()
    view.set_image(image)
    model, centres = _model(image)
    layer = MarksLayer(view, model, image_key(image))
    layouts: list[float] = []
    if hasattr(layer, "layout_labels"):
        inner = layer.layout_labels

        def timed() -> None:
            t0 = time.perf_counter()
            inner()
            layouts.append((time.perf_counter() - t0) * 1000.0)

        layer.layout_labels = timed  # type: ignore[method-assign]
    paints = [0]

    class _Count(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint:
                paints[0] += 1
            return False

    counter = _Count()
    view.viewport().installEventFilter(counter)

    def frame(change: Any) -> float:
        before = paints[0]
        t0 = time.perf_counter()
        change()
        for _ in range(1000):
            app.processEvents()
            if paints[0] > before and not _render_pending(view):
                break
        return (time.perf_counter() - t0) * 1000.0

    for _ in range(5):
        app.processEvents()
    cx, cy = centres[5]
    view.set_zoom(1.0, (cx, cy))
    for _ in range(5):
        app.processEvents()
    pans, direction = [], 1.0
    for i in range(frames):
        if i % 40 == 0:
            direction = -direction
        pans.append(frame(partial(view.vb.translateBy, x=12.0 * direction, y=4.0 * direction)))
    pan_layouts = list(layouts)
    layouts.clear()
    zooms = []
    view.set_zoom(0.5, (cx, cy))
    for i in range(frames):
        factor = 1.12 if (i // 18) % 2 == 0 else 1 / 1.12
        zooms.append(frame(partial(view.vb.scaleBy, (1 / factor, 1 / factor), (cx, cy))))
    shown = len(layer.label_boxes()) if hasattr(layer, "label_boxes") else None
    out = {
        "label_pan_frame_ms": _stats(pans),
        "label_zoom_frame_ms": _stats(zooms),
        "layout_ms_pan": _stats(pan_layouts),
        "layout_ms_zoom": _stats(layouts),
        "layouts_per_pan_frame": len(pan_layouts) / frames,
        "labels_shown": shown,
        "marks": len(model.images[image_key(image)].calcifications),
    }
    view.close()
    return out


def main() -> None:
    result = run()
    if "--json" in sys.argv:
        print(json.dumps(result, indent=1))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key:24s} " + "  ".join(f"{k} {v:7.2f}" for k, v in value.items()))
        else:
            print(f"{key:24s} {value}")


if __name__ == "__main__":
    main()
