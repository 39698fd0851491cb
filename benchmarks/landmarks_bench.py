"""Benchmark: finding the nipple and chest wall of a full-size mammogram.

Called by the main benchmark script (``run() -> dict``) and runnable alone::

    python benchmarks/landmarks_bench.py [--json]

4096x5120 (columns x rows) phantoms, CC and MLO, are made with the generator; each is
timed through :func:`viewer.core.nipple_detect.find_landmarks` (subsample, breast mask,
skin line, on MLO the pectoral edge). Beside it, the baseline every display path pays
anyway: one pass over the full frame converting it to float (``astype(float32)``).
The error of the found nipple against the generator's apex is reported in mm.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from typing import Any

import numpy as np

from viewer.core.nipple_detect import find_landmarks
from viewer.core.phantom import make_mammogram, phantom_landmarks

ROWS, COLS = 5120, 4096
SPACING_MM = 0.07


def run(repeats: int = 5) -> dict[str, Any]:
    out: dict[str, Any] = {"image": f"{COLS}x{ROWS}", "repeats": repeats}
    for view in ("CC", "MLO"):
        ph = make_mammogram(ROWS, COLS, (SPACING_MM, SPACING_MM), "L", view, seed=3, calcifications=[])
        times, base = [], []
        found = None
        for _ in range(repeats):
            t = time.perf_counter()
            found = find_landmarks(ph.pixels, view, background_high=False)
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            ph.pixels.astype(np.float32)
            base.append((time.perf_counter() - t) * 1000)
        assert found is not None
        truth = phantom_landmarks(ROWS, COLS, "L", view)
        error = math.hypot(*np.subtract(found.nipple, truth.nipple)) * SPACING_MM
        out[view] = {
            "find_landmarks_ms": statistics.median(times),
            "baseline_full_frame_float_ms": statistics.median(base),
            "nipple_error_mm": round(error, 2),
            "chest_wall": found.chest_wall_kind.value,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run()
    print(json.dumps(result, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
