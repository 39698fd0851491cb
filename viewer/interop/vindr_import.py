"""VinDr-Mammo import: ``finding_annotations.csv``, one row per finding (or per image without one).

Columns used: ``image_id`` (the DICOM file is ``<image_id>.dicom``), ``laterality``,
``view_position``, ``finding_categories`` (a list written as text, e.g.
``"['Mass', 'Suspicious Calcification']"``), ``finding_birads`` (``"BI-RADS 4"``) and the
box ``xmin, ymin, xmax, ymax`` in pixels. A "Suspicious Calcification" box becomes a
cluster with the box as its outline and the BI-RADS category as its assessment; rows of
other findings are listed as skipped, rows with "No Finding" are not findings at all.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

from viewer.interop.dataset_labels import ParsedLabels, Skipped, SourceCluster, SourceImage, read_table

REQUIRED = ("image_id", "finding_categories", "xmin", "ymin", "xmax", "ymax")
CALCIFICATION = "suspicious calcification"


def _categories(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("["):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text.strip("[]").split(",")
        return [str(v).strip().strip("'\"") for v in value]
    return [t.strip() for t in text.split(",") if t.strip()]


def assessment_of(text: str) -> str | None:
    """``"BI-RADS 4"`` -> ``"4"``; ``"4A"`` stays; empty -> None."""
    value = text.strip().upper().removeprefix("BI-RADS").strip()
    return value or None


def _box(row: dict[str, str]) -> tuple[float, float, float, float]:
    values = tuple(float(row[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
    if not all(math.isfinite(v) for v in values):
        raise ValueError("the box has an empty or non-numeric corner")
    xmin, ymin, xmax, ymax = values
    if xmax <= xmin or ymax <= ymin:
        raise ValueError(f"the box ({xmin:g}, {ymin:g})-({xmax:g}, {ymax:g}) is empty")
    return values  # type: ignore[return-value]


def parse(source: Path) -> ParsedLabels:
    """The findings of ``source`` (the CSV, or a folder holding ``finding_annotations.csv``)."""
    path = source / "finding_annotations.csv" if source.is_dir() else source
    parsed = ParsedLabels()
    rows = read_table(path, REQUIRED, "a VinDr-Mammo finding table", parsed)
    if rows is None:
        return parsed
    images: dict[str, SourceImage] = {}
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"{path.name} line {n}"
        image_id = (row.get("image_id") or "").strip()
        categories = _categories(row.get("finding_categories") or "")
        if not image_id:
            parsed.skipped.append(Skipped(where, "no image_id"))
            continue
        if not categories or [c.lower() for c in categories] == ["no finding"]:
            continue
        if CALCIFICATION not in (c.lower() for c in categories):
            parsed.skipped.append(Skipped(where, f"{', '.join(categories)}: not a calcification finding"))
            continue
        try:
            xmin, ymin, xmax, ymax = _box(row)
        except (TypeError, ValueError) as exc:
            parsed.skipped.append(Skipped(where, f"Suspicious Calcification without a usable box ({exc})"))
            continue
        image = images.get(image_id)
        if image is None:
            image = SourceImage(
                ids=(image_id,),
                source_file=path,
                where=f"{path.name} image {image_id}",
                laterality=(row.get("laterality") or "").strip().upper()[:1] or None,
                view=(row.get("view_position") or "").strip().upper() or None,
            )
            images[image_id] = image
        others = [c for c in categories if c.lower() != CALCIFICATION]
        note = f"VinDr-Mammo {where}" + (f"; also {', '.join(others)}" if others else "")
        image.clusters.append(
            SourceCluster(
                outline=((xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax)),
                members=(),
                assessment=assessment_of(row.get("finding_birads") or ""),
                note=note,
            )
        )
    parsed.images = list(images.values())
    return parsed
