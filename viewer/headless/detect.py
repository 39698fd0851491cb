"""``mammo-viewer detect FILE [--json]``: candidate calcifications found by the detector.

Runs :func:`viewer.core.detect.find_candidates` on the modality values of one frame with
the file's spacing. The JSON output::

    {"file": ..., "frame": 0, "rows": ..., "columns": ...,
     "spacing_mm": [row_mm, col_mm] | null, "spacing_source": ..., "spacing_label": ...,
     "spacing_note": null | why a spacing rule was skipped,
     "seconds": ..., "candidates": [{"center": [x, y], "score": ..., "long_axis_mm": ...,
                                     "long_axis_px": ..., "contrast": ...}, ...]}

``center`` is ``[x, y]`` in pixels (x = column, y = row, pixel centres at integers);
candidates are ordered by decreasing ``score`` (contrast in local noise units);
``long_axis_mm`` is null when the image has no spacing. Candidates are suggestions,
never saved as marks. Exit status 1 with a message when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from viewer.core.detect import Candidate, DetectorSettings, find_candidates
from viewer.core.geometry import Spacing
from viewer.dicom.image import DicomImageError, MammoImage
from viewer.headless.spacing_fields import spacing_fields


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mammo-viewer detect``."""
    defaults = DetectorSettings()
    parser.description = (
        "Find candidate calcifications (small bright specks) in a DICOM image and list them, "
        "best first. X = column, Y = row in pixels."
    )
    parser.add_argument("file", metavar="FILE", help="a DICOM image")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--frame", type=int, default=0, help="frame of a multi-frame image (0-based, default 0)"
    )
    parser.add_argument(
        "--min-score",
        type=float,
        default=defaults.min_score,
        metavar="S",
        help="least contrast in local noise units (default %(default)s; "
        "lower finds fainter specks and more false ones)",
    )
    parser.add_argument(
        "--max-mm",
        type=float,
        default=defaults.max_long_axis_mm,
        metavar="MM",
        help="longest candidate in mm (default %(default)s)",
    )
    parser.add_argument(
        "--everywhere", action="store_true", help="also look at the skin line and outside the breast"
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="report at most N candidates (the best ones)"
    )


def _fail(message: str) -> int:
    print(f"mammo-viewer detect: {message}", file=sys.stderr)
    return 1


def report(
    path: Path, image: MammoImage, frame: int, spacing: Spacing, candidates: list[Candidate], seconds: float
) -> dict[str, Any]:
    """The JSON document of one run."""
    return {
        "file": str(path),
        "frame": frame,
        "rows": image.rows,
        "columns": image.columns,
        **spacing_fields(spacing),
        "seconds": round(seconds, 3),
        "candidates": [c.to_dict() for c in candidates],
    }


def _text(doc: dict[str, Any]) -> str:
    lines = [
        f"{Path(doc['file']).name}: {len(doc['candidates'])} candidate(s) "
        f"in {doc['seconds']:.2f} s; sizes in {doc['spacing_label']}"
    ]
    for i, c in enumerate(doc["candidates"], start=1):
        size = (
            f"{c['long_axis_mm']:.2f} mm" if c["long_axis_mm"] is not None else f"{c['long_axis_px']:.1f} px"
        )
        lines.append(
            f"{i:4d}  x {c['center'][0]:8.1f}  y {c['center'][1]:8.1f}  "
            f"score {c['score']:6.1f}  long axis {size}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Detect and print; 0 on success, 1 with a message otherwise."""
    path = Path(args.file)
    try:
        settings = DetectorSettings(
            min_score=args.min_score,
            max_long_axis_mm=args.max_mm,
            edge_margin_mm=None if args.everywhere else 2.0,
        )
    except ValueError as exc:
        return _fail(str(exc))
    if args.limit is not None and args.limit < 0:
        return _fail("--limit must be 0 or more")
    try:
        image = MammoImage.open(path)
        if not 0 <= args.frame < image.frames:
            return _fail(f"{path.name}: frame {args.frame} does not exist (the image has {image.frames})")
        pixels = image.modality_pixels(args.frame)
    except DicomImageError as exc:
        return _fail(str(exc))
    spacing = image.frame_header(args.frame).spacing
    start = time.perf_counter()
    candidates = find_candidates(pixels, spacing, bright_is_high=image.bright_is_high, settings=settings)
    seconds = time.perf_counter() - start
    if args.limit is not None:
        candidates = candidates[: args.limit]
    doc = report(path, image, args.frame, spacing, candidates, seconds)
    print(json.dumps(doc, indent=1) if args.json else _text(doc))
    return 0
