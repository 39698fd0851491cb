"""run.py's report: the Markdown table beside the targets, the verdicts, the summary lines.

``targets`` maps each figure's JSON key to (target as written, limit); ``baseline_note`` says
what a figure's baseline is where it is not the plain libraries (both are run.py's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def fmt(value: Any, unit: str) -> str:
    """``value`` with its unit, 2 decimals for seconds and ratios, 1 for milliseconds; n/a for none."""
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    digits = 2 if unit in ("s", "") else 1
    return f"{value:.{digits}f}{(' ' + unit) if unit else ''}"


def table(
    result: dict[str, Any], targets: Mapping[str, tuple[str, float]], baseline_note: Mapping[str, str]
) -> str:
    """The Markdown table: figure | target | viewer | baseline."""
    lines = ["| figure | target | viewer | baseline |", "|---|---|---|---|"]
    for key, (target, _) in targets.items():
        unit = "ms" if key.endswith("_ms") else "s" if key.endswith("_s") else ""
        value = result[key]
        viewer, base = (value["viewer"], value["baseline"]) if isinstance(value, dict) else (value, None)
        if key == "max_ui_stall_ms":
            base = result["details"]["max_ui_stall_baseline_ms"]
        if key == "pan_frame_ms":
            base = result["details"]["pan_frame_baseline_ms"]
        note = f" ({baseline_note[key]})" if key in baseline_note and base is not None else ""
        shown = fmt(viewer, unit)
        if isinstance(value, dict) and "p90" in value:
            shown += f" (p90 {fmt(value['p90'], unit)})"
        lines.append(f"| `{key}` | {target} | {shown} | {fmt(base, unit)}{note} |")
    return "\n".join(lines)


def verdicts(result: dict[str, Any], targets: Mapping[str, tuple[str, float]]) -> dict[str, bool]:
    """Whether each figure meets its target."""
    out = {}
    for key, (_, limit) in targets.items():
        value = result[key]
        viewer = value["viewer"] if isinstance(value, dict) else value
        out[key] = bool(viewer <= limit)
    return out


def summary(result: dict[str, Any]) -> str:
    """The lines printed under the table: pan and zoom apart, the decode floor, the uncompressed
    study, the pixel cache's CPU seconds, and the other benchmarks' numbers."""
    details = result["details"]
    lines = [
        f"pan frame {fmt(details['pan_only_frame_ms'], 'ms')}, zoom frame "
        f"{fmt(details['zoom_frame_ms'], 'ms')} (pan/zoom p90 "
        f"{fmt(details['pan_frame_p90_ms'], 'ms')}, max {fmt(details['pan_frame_max_ms'], 'ms')}); "
        f"one J2K view decodes in {fmt(details['j2k_decode_one_view_s'], 's')} on one core, so "
        f"{details['decode_workers']} workers need >= {fmt(details['open_full_floor_s'], 's')} "
        f"for four; load average before/after {result['machine']['load_average_before_after']}",
        f"uncompressed open "
        f"{fmt(details['open_full_uncompressed_s']['viewer'], 's')} (baseline "
        f"{fmt(details['open_full_uncompressed_s']['baseline'], 's')}), uncompressed "
        f"decode on the UI thread would stall "
        f"{fmt(details['uncompressed_decode_on_ui_thread_ms'], 'ms')}, worker memory growth "
        f"{fmt(details['worker_rss_growth_mb'], '')} MB",
    ]
    cache = details["cache"]
    view = cache["one_view"]

    def sec(value: float) -> str:
        return fmt(value, "s")

    def msec(value: float) -> str:
        return fmt(value * 1000.0, "ms")

    lines.append(
        f"one view: J2K decode {sec(view['j2k_decode_s'])} ({sec(view['j2k_decode_cpu_s'])} CPU), "
        f"cache read {msec(view['cache_read_s'])} ({msec(view['cache_read_cpu_s'])} CPU); "
        f"open CPU: cold {sec(result['open_full_cpu_s'])}, filling the cache "
        f"{sec(cache['open_filling_cache_cpu_s'])} ({sec(cache['open_filling_cache_s'])} wall), "
        f"reopen {sec(cache['reopen_cached_cpu_s'])}, next study {sec(cache['open_next_study_cpu_s'])}; "
        f"prefetching the study took {sec(cache['prefetch_study_s'])} "
        f"({sec(cache['prefetch_study_cpu_s'])} CPU)"
    )
    if "others" in result:
        for name, numbers in result["others"].items():
            lines.append(f"{name}: {json.dumps(numbers, default=float)}")
        if result["others_missing"]:
            lines.append("not found: " + ", ".join(result["others_missing"]))
    return "\n".join(lines)
