"""The other engineers' benchmark modules of this folder, run when present; a broken one is
reported and does not lose the others' numbers."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

OTHER_BENCHES = (
    "measure_bench",
    "cluster_bench",
    "store_bench",
    "worklist_bench",
    "landmarks_bench",
    "hostile_bench",
    "labels_bench",
    "decoder_bench",
)


def run_others(quick: bool) -> tuple[dict[str, Any], list[str]]:
    """Results of the other benchmark modules found in this folder, and the names missing."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    results: dict[str, Any] = {}
    missing = []
    calls: dict[str, Callable[[Any], Any]] = {
        "measure_bench": lambda m: m.run(count=20) if quick else m.run(),
        "store_bench": lambda m: m.bench_save(2000 if quick else 10000),
        "worklist_bench": lambda m: m.bench_worklist(100 if quick else 1000),
        "landmarks_bench": lambda m: m.run(repeats=2 if quick else 5),
        "hostile_bench": lambda m: m.run(10_000 if quick else 100_000),
        "labels_bench": lambda m: m.run(frames=30 if quick else 120),
        "decoder_bench": lambda m: m.run(runs=1 if quick else 3),
    }
    for name in OTHER_BENCHES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            missing.append(name)
            continue
        call = calls.get(name) or _generic_call
        try:
            results[name] = call(module)
        except Exception as exc:  # one broken benchmark must not lose the others' numbers
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return results, missing


def _generic_call(module: Any) -> Any:
    for attr in ("run", *sorted(a for a in dir(module) if a.startswith("bench_"))):
        fn = getattr(module, attr, None)
        if callable(fn):
            return fn()
    return {"error": "no run() or bench_*() function"}
