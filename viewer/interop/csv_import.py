"""CSV import: the viewer's own CSV export read back (``import --format csv``).

The table of :mod:`viewer.interop.csv_export`: one row per calcification and per cluster,
each naming its image by SOP Instance UID (and frame). A calcification row gives a mark
at ``center_x, center_y`` with its ``outline`` (``"x y;x y;..."``, empty for a point
mark) and morphology; a cluster row gives a cluster of the marks whose ``cluster_id`` is
its id, with its outline, distribution, assessment and note. Suggested and rejected
clusters are the program's proposals and the reader's "no", not clusters: they are listed
as skipped. Sizes are not read: they are measured again with the image's spacing.
"""

from __future__ import annotations

import math
from pathlib import Path

from viewer.core.geometry import Point
from viewer.interop.dataset_labels import (
    ParsedLabels,
    Skipped,
    SourceCluster,
    SourceImage,
    SourceMark,
    read_table,
)

REQUIRED = ("row_type", "sop_instance_uid", "id", "cluster_id", "center_x", "center_y")


def parse_outline(text: str) -> tuple[Point, ...] | None:
    """``"x y;x y;..."`` -> the points; empty -> None. Raises ValueError on a bad vertex."""
    text = text.strip()
    if not text:
        return None
    points = []
    for pair in text.split(";"):
        parts = pair.split()
        if len(parts) != 2:
            raise ValueError(f"outline vertex '{pair.strip()}' is not 'x y'")
        x, y = float(parts[0]), float(parts[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"outline vertex '{pair.strip()}' is not finite")
        points.append((x, y))
    if len(points) < 3:
        raise ValueError(f"an outline needs 3 vertices, it has {len(points)}")
    return tuple(points)


def _center(row: dict[str, str]) -> Point:
    x, y = float(row["center_x"]), float(row["center_y"])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError("the centre is not a finite number")
    return (x, y)


def parse(source: Path) -> ParsedLabels:
    """The marks and clusters of the CSV file ``source``."""
    parsed = ParsedLabels()
    rows = read_table(source, REQUIRED, "a mammo-viewer CSV export", parsed)
    if rows is None:
        return parsed
    images: dict[tuple[str, str], SourceImage] = {}
    owner_of: dict[tuple[str, str], dict[int, str]] = {}
    """Per image, mark index -> the cluster id its row names."""
    clusters: list[tuple[tuple[str, str], str, dict[str, str]]] = []
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"{source.name} line {n}"
        uid = (row.get("sop_instance_uid") or "").strip()
        frame = (row.get("frame") or "0").strip() or "0"
        kind = (row.get("row_type") or "").strip()
        if not uid:
            parsed.skipped.append(Skipped(where, "no sop_instance_uid"))
            continue
        key = (uid, frame)
        if frame != "0":
            parsed.skipped.append(Skipped(where, f"frame {frame}: only frame 0 of an image is imported"))
            continue
        image = images.setdefault(
            key, SourceImage(ids=(uid,), source_file=source, where=f"{source.name} {uid}")
        )
        try:
            if kind == "calcification":
                mark = SourceMark(
                    _center(row), parse_outline(row.get("outline") or ""), (row.get("morphology") or None)
                )
                owner_of.setdefault(key, {})[len(image.marks)] = (row.get("cluster_id") or "").strip()
                image.marks.append(mark)
            elif kind == "cluster":
                state = (row.get("cluster_state") or "confirmed").strip()
                if state != "confirmed":
                    parsed.skipped.append(Skipped(where, f"a {state} cluster is not a cluster: not imported"))
                    continue
                parse_outline(row.get("outline") or "")  # checked here, kept below
                clusters.append((key, where, row))
            else:
                parsed.skipped.append(Skipped(where, f"row_type '{kind}' is not calcification or cluster"))
        except ValueError as exc:
            parsed.skipped.append(Skipped(where, str(exc)))
    for key, where, row in clusters:
        cluster_id = row["id"].strip()
        members = tuple(i for i, owner in owner_of.get(key, {}).items() if owner == cluster_id)
        outline = parse_outline(row.get("outline") or "")
        if not members and outline is None:
            parsed.skipped.append(Skipped(where, "a cluster with neither members nor an outline"))
            continue
        images[key].clusters.append(
            SourceCluster(
                outline,
                members,
                distribution=row.get("distribution") or None,
                assessment=row.get("assessment") or None,
                note=row.get("note") or "",
            )
        )
    parsed.images.extend(i for i in images.values() if i.marks or i.clusters)
    return parsed
