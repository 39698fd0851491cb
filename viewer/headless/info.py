"""``mammo-viewer info PATH... [--json]``: what the viewer reads from each file.

One record per file: identity, geometry, laterality and view, transfer syntax, the
spacing used for millimetres and the rule that won (``spacing_source``) with the reason a
rule was skipped (``spacing_note``, null when none was), the VOI presets, and ``error``
(null, or why the file cannot be shown). Exit status 0 when every file can be shown,
1 when at least one cannot (the report is complete either way).

A header can be sound while the pixels are not (a truncated or damaged codestream, a
missing Pixel Representation): so each image's first frame is decoded, in a child process
(a decoder that aborts on damaged data ends that process, not this one; the file then
reads "the decoder crashed on this file"); a decode that takes over ``--decode-timeout``
seconds (120) is stopped and said so, never waited for. ``--headers-only`` skips the decoding.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from viewer.dicom.image import DicomImageError, MammoImage, read_header
from viewer.dicom.study import FileProblem, expand_paths, path_key
from viewer.headless.spacing_fields import spacing_fields

DECODE_TIMEOUT_S = 120.0
"""How long one image's first frame may take to decode before the child is stopped: a 1 GiB
frame (the read boundary's budget) of JPEG 2000 takes about a minute on one core."""


FIELDS = (
    "path",
    "sop_instance_uid",
    "study_instance_uid",
    "series_instance_uid",
    "rows",
    "columns",
    "frames",
    "bits_stored",
    "laterality",
    "view",
    "view_label",
    "view_source",
    "photometric",
    "transfer_syntax",
    "transfer_syntax_name",
    "presentation_intent",
    "for_processing",
    "spacing_mm",
    "spacing_source",
    "spacing_label",
    "spacing_note",
    "ermf",
    "calibration_type",
    "voi_presets",
    "error",
    "skipped",
)
"""Keys of every record, in output order."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mammo-viewer info``."""
    parser.description = (
        "Describe DICOM files as the viewer reads them: view, spacing source, VOI presets, "
        "problems. Exit status 1 when any file cannot be shown."
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="DICOM files, folders (searched recursively) or DICOMDIR files",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    parser.add_argument(
        "--headers-only",
        action="store_true",
        help="read headers only: do not decode the first frame to check the pixel data",
    )
    parser.add_argument(
        "--decode-timeout",
        type=float,
        default=DECODE_TIMEOUT_S,
        metavar="SECONDS",
        help=f"stop a file's decoding after this long and report it (default {DECODE_TIMEOUT_S:g})",
    )


def _empty(path: Path, error: str, skipped: bool) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(FIELDS)
    record.update(path=str(path), voi_presets=[], error=error, skipped=skipped)
    return record


def describe(image: MammoImage) -> dict[str, Any]:
    """The record of one image (``error`` from :meth:`MammoImage.problem`)."""
    spacing = image.spacing
    problem = image.problem()
    return {
        "path": str(image.path),
        "sop_instance_uid": image.sop_instance_uid or None,
        "study_instance_uid": image.study_instance_uid or None,
        "series_instance_uid": image.series_instance_uid or None,
        "rows": image.rows,
        "columns": image.columns,
        "frames": image.frames,
        "bits_stored": image.bits_stored,
        "laterality": image.laterality,
        "view": image.view,
        "view_label": image.view_label if image.laterality and image.view else None,
        "view_source": image.view_source,
        "photometric": image.photometric or None,
        "transfer_syntax": image.transfer_syntax or None,
        "transfer_syntax_name": image.transfer_syntax_name or None,
        "presentation_intent": image.presentation_intent,
        "for_processing": image.for_processing,
        **spacing_fields(spacing),
        "ermf": spacing.ermf,
        "calibration_type": spacing.calibration_type,
        "voi_presets": [
            {"kind": p.kind, "name": p.name, "center": p.center, "width": p.width, "function": p.function}
            for p in image.voi_presets
        ],
        "error": None if problem is None else f"{image.path.name}: {problem}",
        "skipped": image.not_an_image,
    }


def collect(paths: list[str]) -> list[dict[str, Any]]:
    """One record per file found under ``paths``, in argument order; never raises."""
    records: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            records.append(_empty(path, f"{path.name}: file not found", False))
            continue
        problems: list[FileProblem] = []
        for file, in_folder in expand_paths([path], problems):
            if path_key(file) in seen:
                continue
            seen.add(path_key(file))
            records.append(_record(file, in_folder))
        records.extend(_empty(p.path, p.message, p.skipped) for p in problems)
    return records


def decode_problem(path: str) -> str | None:
    """Why frame 0 of the image at ``path`` does not decode, or None (runs in a child process)."""
    try:
        MammoImage.open(path).pixels(0)
    except DicomImageError as exc:
        return str(exc)
    return None


def check_decoding(
    records: list[dict[str, Any]],
    timeout_s: float = DECODE_TIMEOUT_S,
    job: Callable[[str], str | None] = decode_problem,
) -> None:
    """Decode each showable image's first frame in a child process; failures become ``error``.

    A child that aborts (a decoder crash) or takes longer than ``timeout_s`` (a decoder caught
    in a loop) is ended and the file says so; the files after it get a fresh child.
    """
    todo = [r for r in records if r["error"] is None and r["rows"]]
    context = multiprocessing.get_context("spawn")
    pool: ProcessPoolExecutor | None = None
    try:
        for record in todo:
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            name = Path(record["path"]).name
            try:
                record["error"] = pool.submit(job, record["path"]).result(timeout=timeout_s)
            except (BrokenProcessPool, TimeoutError) as exc:
                record["error"] = (
                    f"{name}: the decoder crashed on this file (its image data is damaged)"
                    if isinstance(exc, BrokenProcessPool)
                    else f"{name}: decoding its first frame took over {timeout_s:g} s; stopped "
                    "(a decoder caught in a loop, or a file that is slow to read)"
                )
                _end(pool)
                pool = None  # a fresh process for the files after it
    finally:
        if pool is not None:
            pool.shutdown()


def _end(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` now, killing its process (a hung decoder never returns to be asked)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way before 3.14
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(5)


def _record(file: Path, in_folder: bool) -> dict[str, Any]:
    try:
        return describe(MammoImage(read_header(file), file))
    except DicomImageError as exc:
        stray = in_folder and exc.reason == "not a DICOM file"
        return _empty(file, str(exc), exc.not_an_image or stray)
    except Exception as exc:  # a header so odd that reading an attribute fails
        return _empty(file, f"{file.name}: unreadable header ({exc})", False)


def _view(record: dict[str, Any]) -> str:
    label = record["view_label"] or f"{record['laterality'] or '?'}{record['view'] or '?'}"
    source = record["view_source"]
    return label if source in (None, "dicom") else f"{label} (from {source.replace('_', ' ')})"


def _line(record: dict[str, Any]) -> str:
    name = Path(record["path"]).name
    if not record["rows"]:
        return f"{name}: {record['error']}"
    spacing = record["spacing_mm"]
    mm = (
        f"{spacing[0]:.4g} x {spacing[1]:.4g} {record['spacing_label']}"
        if spacing
        else (record["spacing_label"])
    )
    voi = ", ".join(p["name"] for p in record["voi_presets"]) or "none"
    text = (
        f"{name}: {_view(record)} {record['rows']}x{record['columns']}"
        f"{'x' + str(record['frames']) if record['frames'] > 1 else ''} "
        f"{record['photometric']} {record['transfer_syntax_name']}; {mm}; VOI: {voi}"
    )
    if record["spacing_note"]:
        text += f"\n  spacing: {record['spacing_note']}"
    if record["error"]:
        text += f"\n  problem: {record['error']}"
    return text


def run(args: argparse.Namespace) -> int:
    """Print the records; 1 when a file cannot be shown."""
    records = collect(args.paths)
    if not args.headers_only:
        check_decoding(records, args.decode_timeout)
    if args.json:
        json.dump(records, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for record in records:
            print(_line(record))
    failed = any(r["error"] and not r["skipped"] for r in records)
    return 1 if failed else 0
