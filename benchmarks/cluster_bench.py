"""Benchmark: live regrouping of marks into clusters, and candidate detection.

Called by the main benchmark script (``run() -> dict``) and runnable alone::

    python benchmarks/cluster_bench.py [--json] [--quick]

Regrouping (issue 10, target <= 5 ms median after an edit with 10,000 marks on an image): an
image of 3328 x 4096 pixels at 0.07 mm holds 10,000 point marks in two layouts,
"clustered" (400 groups of 15 within a few mm, plus 4,000 scattered) and "uniform"
(every mark linked to every other through 10 mm steps: one group of 10,000, the worst
case). Timed: a from-scratch :func:`suggest_clusters`, and :class:`Grouper` after each of
a series of single edits (move, add, delete, confirm a suggestion or draw a cluster of 8
marks), as the GUI calls it.

Detection (issue 7): :func:`find_candidates` on a 3000 x 2400 synthetic mammogram, and its
recall of calcifications of 0.4 mm and more and false candidates per image on synthetic
mammograms (fatty and dense, CC and MLO, 30 calcifications of 0.4-2 mm each).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from typing import Any

import numpy as np

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    new_id,
)
from viewer.core.cluster import suggest_clusters
from viewer.core.cluster_edits import confirm
from viewer.core.cluster_grouper import Grouper
from viewer.core.detect import find_candidates
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.phantom import CalcSpec, breast_point, make_mammogram

SPACING = Spacing(0.07, 0.07, SpacingSource.PIXEL_SPACING, "mm")
TARGET_REGROUP_MS = 5.0


def _marks(layout: str, n: int, seed: int) -> ImageAnnotations:
    rng = np.random.default_rng(seed)
    size = np.array([3328.0, 4096.0])
    if layout == "clustered":
        groups = int(n * 0.6) // 15
        centres = rng.uniform(0, size, (groups, 2))
        grouped = (centres[:, None, :] + rng.normal(0, 25, (groups, 15, 2))).reshape(-1, 2)
        pts = np.concatenate([grouped, rng.uniform(0, size, (n - len(grouped), 2))])
    else:
        pts = rng.uniform(0, size, (n, 2))
    img = ImageAnnotations("bench", rows=4096, columns=3328, dicom_spacing=SPACING)
    for i, (x, y) in enumerate(pts):
        img.calcifications[f"m{i:05d}"] = Calcification(
            f"m{i:05d}", (float(x), float(y)), created="2024-01-01T00:00:00Z"
        )
    return img


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def bench_regroup(n: int = 10000, edits: int = 200, seed: int = 3) -> dict[str, Any]:
    """Milliseconds to regroup ``n`` marks from scratch and after single edits."""
    out: dict[str, Any] = {"regroup_marks": n, "regroup_target_ms": TARGET_REGROUP_MS}
    for layout in ("clustered", "uniform"):
        img = _marks(layout, n, seed)
        rng = np.random.default_rng(seed + 1)
        full = []
        for _ in range(5):
            t0 = time.perf_counter()
            suggestions = suggest_clusters(img)
            full.append(_ms(t0))
        grouper = Grouper()
        grouper.suggest(img)
        times: dict[str, list[float]] = {"move": [], "add": [], "delete": [], "confirm": []}
        ids = list(img.calcifications)
        for i in range(edits):
            kind = ("move", "add", "delete", "confirm")[i % 4]
            if kind == "move":
                cid = ids[int(rng.integers(len(ids)))]
                if cid in img.calcifications:
                    img.calcifications[cid] = img.calcifications[cid].moved(
                        float(rng.normal(0, 40)), float(rng.normal(0, 40))
                    )
            elif kind == "add":
                cid = f"new{i}"
                img.calcifications[cid] = Calcification(cid, tuple(rng.uniform(0, 3328, 2)))
            elif kind == "delete":
                victim = ids[int(rng.integers(len(ids)))]
                if victim in img.calcifications and img.cluster_of(victim) is None:
                    del img.calcifications[victim]
            else:
                # The reader confirms a small suggestion, or draws a cluster around a few
                # marks when every suggestion is large (the uniform layout).
                small = min(suggestions, key=lambda c: len(c.member_ids), default=None)
                if small is not None and len(small.member_ids) <= 50:
                    decided = confirm(small)
                else:
                    free = [c for c in ids if c in img.calcifications and img.cluster_of(c) is None][:2000]
                    anchor = img.calcifications[free[int(rng.integers(len(free)))]].center
                    free.sort(key=lambda c: math.dist(img.calcifications[c].center, anchor))
                    decided = Cluster(new_id(), tuple(free[:8]), ClusterState.CONFIRMED)
                img.clusters[decided.id] = decided
            t0 = time.perf_counter()
            suggestions = grouper.suggest(img)
            times[kind].append(_ms(t0))
        every = [t for ts in times.values() for t in ts]
        assert suggestions == suggest_clusters(img), "Grouper disagrees with suggest_clusters"
        out[f"regroup_{layout}_full_ms"] = statistics.median(full)
        out[f"regroup_{layout}_edit_median_ms"] = statistics.median(every)
        out[f"regroup_{layout}_edit_p90_ms"] = float(np.percentile(every, 90))
        out[f"regroup_{layout}_edit_max_ms"] = max(every)
        for kind, ts in times.items():
            out[f"regroup_{layout}_{kind}_median_ms"] = statistics.median(ts)
        out[f"regroup_{layout}_full_regroupings"] = grouper.full_regroupings
    return out


def _scattered(seed: int, laterality: str, count: int) -> list[CalcSpec]:
    rng = np.random.default_rng(seed)
    specs: list[CalcSpec] = []
    while len(specs) < count:
        p = breast_point(2400, 1900, laterality, float(rng.uniform(0.05, 0.55)), float(rng.uniform(0.2, 0.8)))
        if all(math.dist(p, s.center) > 57 for s in specs):
            specs.append(CalcSpec(p, float(np.exp(rng.uniform(np.log(0.4), np.log(2.0))))))
    return specs


def bench_detect(images: int = 8, seed: int = 10) -> dict[str, Any]:
    """Detection time on 3000 x 2400 and recall / false candidates on synthetic images."""
    big = make_mammogram(3000, 2400, (0.07, 0.07), "L", "CC", seed=seed)
    find_candidates(big.pixels, SPACING)  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        find_candidates(big.pixels, SPACING)
        times.append(_ms(t0) / 1000.0)
    hits = wanted = 0
    false_per_image = []
    size_errors = []
    for i in range(images):
        laterality, view, dense = ("L", "R")[i % 2], ("CC", "MLO")[(i // 2) % 2], i >= images // 2
        ph = make_mammogram(
            seed=seed + i,
            laterality=laterality,
            view=view,
            dense=dense,
            calcifications=_scattered(seed + i, laterality, 30),
        )
        candidates = find_candidates(ph.pixels, SPACING)
        false = 0
        for c in candidates:
            near = [
                t
                for t in ph.truth
                if math.dist(c.center, t.center) <= max(0.5 / 0.07, t.diameter_px_x / 2 + 2)
            ]
            if not near:
                false += 1
            elif c.long_axis_mm is not None:
                size_errors.append(abs(c.long_axis_mm / near[0].diameter_mm - 1.0))
        for t in ph.truth:
            wanted += 1
            hits += any(
                math.dist(c.center, t.center) <= max(0.5 / 0.07, t.diameter_px_x / 2 + 2) for c in candidates
            )
        false_per_image.append(false)
    return {
        "detect_3000x2400_s": statistics.median(times),
        "detect_recall_0.4mm_plus": hits / wanted,
        "detect_calcifications": wanted,
        "detect_false_per_image_mean": float(np.mean(false_per_image)),
        "detect_false_per_image_max": max(false_per_image),
        "detect_size_error_median": float(np.median(size_errors)) if size_errors else None,
    }


def bench_real_files() -> dict[str, Any]:
    """Candidates found and seconds on the real mammograms (MAMMO_VIEWER_TEST_DATA or ../shared/data)."""
    from tests.fixtures.real_data import real_data_folder
    from viewer.dicom.image import DicomImageError, MammoImage

    folder = real_data_folder()
    out: dict[str, Any] = {}
    for name in (
        "fodicom_GH133_GE_SenographeEssential_MG.dcm",
        "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm",
        "wg04_MG1_J2KI.dcm",
    ):
        try:
            image = MammoImage.open(folder / name)
            pixels = image.modality_pixels(0)
        except DicomImageError:
            continue
        t0 = time.perf_counter()
        candidates = find_candidates(pixels, image.spacing, bright_is_high=image.bright_is_high)
        out[f"real_{name.split('_')[1]}_candidates"] = len(candidates)
        out[f"real_{name.split('_')[1]}_s"] = _ms(t0) / 1000.0
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Every number of this benchmark."""
    results = bench_regroup(edits=80 if quick else 200)
    results.update(bench_detect(images=4 if quick else 8))
    results.update(bench_real_files())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--quick", action="store_true", help="fewer edits and images")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    width = max(len(k) for k in results)
    for key, value in results.items():
        text = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {text}")
    ok = all(results[f"regroup_{k}_edit_median_ms"] <= TARGET_REGROUP_MS for k in ("clustered", "uniform"))
    print(f"regroup after an edit <= {TARGET_REGROUP_MS:g} ms: {'yes' if ok else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
