"""Benchmark: one click -> outline -> sizes, on a full-size synthetic mammogram.

Called by the main benchmark script (``run() -> dict``) and runnable alone::

    python benchmarks/measure_bench.py [--json]

A 4096x5120 (columns x rows) image at 0.07 mm with calcifications of 0.2-2 mm is made
with the phantom generator; each click is timed from the stored pixels to a finished
:class:`~viewer.core.annotations.Calcification` (outline found, long/short axis and area
computed). Clicks on plain tissue, which search the whole radius and fail, are timed
apart. Only a local window is processed, so the image size does not matter.

``click_real_path_ms`` (median, p90) times the path the GUI runs: the phantom written as
a DICOM dataset with a Rescale Slope (so the Modality LUT is not the identity), opened
as a :class:`~viewer.dicom.image.MammoImage`, and each click outlined from the stored
pixels with the dataset's Modality LUT applied to the click's window only (what
``ToolContext.stored_pixels`` / ``modality_lut`` hand the calcification tool). Beside it
``click_full_frame_convert_ms``: converting the whole frame to modality values first,
what a click cost before (the baseline).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

from viewer.core.annotations import Calcification
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.measure import find_calcification
from viewer.core.phantom import CalcSpec, breast_point, make_mammogram

ROWS, COLS = 5120, 4096
SPACING_MM = 0.07


def _phantom(count: int, seed: int) -> tuple[Any, list[CalcSpec]]:
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(count):
        p = breast_point(ROWS, COLS, "L", 0.05 + 0.45 * ((i * 7) % count) / count, 0.25 + 0.5 * i / count)
        d = float(np.exp(rng.uniform(np.log(0.2), np.log(2.0))))
        specs.append(CalcSpec(p, d))
    return make_mammogram(
        ROWS, COLS, (SPACING_MM, SPACING_MM), "L", "CC", seed=seed, calcifications=specs
    ), specs


def _click(pixels: Any, x: float, y: float, spacing: Spacing) -> tuple[float, bool]:
    t0 = time.perf_counter()
    result = find_calcification(pixels, x, y, spacing)
    if result.found:
        assert result.center is not None and result.outline is not None
        Calcification.create(result.center, result.outline, spacing, intensity=result.intensity)
    return (time.perf_counter() - t0) * 1000.0, result.found


def _real_path(phantom: Any, count: int, seed: int) -> dict[str, float]:
    """Clicks as the GUI makes them: stored pixels of a MammoImage and its Modality LUT."""
    from viewer.dicom.demo import demo_dataset
    from viewer.dicom.image import MammoImage

    ds = demo_dataset(phantom, 1)
    ds.RescaleSlope, ds.RescaleIntercept = "0.5", "-10"
    image = MammoImage.from_dataset(ds)
    stored = image.pixels(0)  # decoded before the click, as the GUI has it
    spacing = image.spacing
    rng = np.random.default_rng(seed + 2)
    clicks = [
        (t.center[0] + rng.uniform(-1, 1), t.center[1] + rng.uniform(-1, 1)) for t in phantom.truth[:count]
    ]

    def click(x: float, y: float) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.thread_time()
        result = find_calcification(
            stored, x, y, spacing, bright_is_high=image.bright_is_high, modality=image.modality_lut
        )
        if result.found:
            assert result.center is not None and result.outline is not None
            Calcification.create(result.center, result.outline, spacing, intensity=result.intensity)
        return (time.perf_counter() - t0) * 1000.0, (time.thread_time() - c0) * 1000.0

    click(*clicks[0])  # warm-up
    timed = [click(x, y) for x, y in clicks]
    real = [wall for wall, _ in timed]
    full = []
    for _ in range(5):
        t0 = time.perf_counter()
        image.modality_pixels(0)
        full.append((time.perf_counter() - t0) * 1000.0)
    return {
        "click_real_path_ms": statistics.median(real),
        "click_real_path_p90_ms": float(np.percentile(real, 90)),
        # CPU time of the UI thread: what the click costs when the machine is shared
        "click_real_path_cpu_ms": statistics.median(cpu for _, cpu in timed),
        "click_full_frame_convert_ms": statistics.median(full),
    }


def run(count: int = 60, seed: int = 1) -> dict[str, float]:
    """Time clicks on ``count`` calcifications and as many on plain tissue; numbers in ms."""
    phantom, _ = _phantom(count, seed)
    spacing = Spacing(SPACING_MM, SPACING_MM, SpacingSource.PIXEL_SPACING, "mm")
    rng = np.random.default_rng(seed + 1)
    x0, y0 = phantom.truth[0].center
    _click(phantom.pixels, x0, y0, spacing)  # warm-up (imports, caches)
    on_calc = []
    found = 0
    for t in phantom.truth:
        ms, ok = _click(
            phantom.pixels, t.center[0] + rng.uniform(-1, 1), t.center[1] + rng.uniform(-1, 1), spacing
        )
        on_calc.append(ms)
        found += ok
    on_tissue = []
    for t in phantom.truth:
        # 4 mm away from a calcification, inside the breast
        ms, _ = _click(phantom.pixels, t.center[0] + 4.0 / SPACING_MM, t.center[1], spacing)
        on_tissue.append(ms)
    return {
        "measure_click_median_ms": statistics.median(on_calc),
        "measure_click_p90_ms": float(np.percentile(on_calc, 90)),
        "measure_click_max_ms": max(on_calc),
        "measure_click_found_fraction": found / len(on_calc),
        "measure_miss_median_ms": statistics.median(on_tissue),
        "measure_miss_p90_ms": float(np.percentile(on_tissue, 90)),
        "measure_image_pixels": float(ROWS * COLS),
        **_real_path(phantom, count, seed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    numbers = run()
    if args.json:
        print(json.dumps(numbers, indent=2))
        return
    for name, value in numbers.items():
        print(f"{name:32s} {value:10.2f}")


if __name__ == "__main__":
    main()
