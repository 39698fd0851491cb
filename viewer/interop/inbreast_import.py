"""INbreast import: the OsiriX ROI XML property lists, one per image.

INbreast ships ``AllXML/<id>.xml``, where ``<id>`` is the leading number of the DICOM
file's name (``22678622_xxx_MG_L_CC_ANON.dcm``); mammo-viewer's own export names them
``<SOP Instance UID>.xml``. Each file is ``{"Images": [{"ROIs": [...]}]}``; a ROI has a
``Name``, ``NumberOfPoints`` and ``Point_px``, a list of ``"(x, y)"`` strings in pixels.
``Calcification`` ROIs become marks (a point for 1-2 points, the average; an outline
for more), ``Cluster`` ROIs clusters of the marks inside them; other ROIs (masses,
spiculated regions, ...) are listed as skipped.
"""

from __future__ import annotations

import plistlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from viewer.core.geometry import Point, point_in_polygon, polygon_centroid
from viewer.interop.dataset_labels import ParsedLabels, Skipped, SourceCluster, SourceImage, SourceMark

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _point(text: Any) -> Point:
    numbers = _NUMBER.findall(str(text))
    if len(numbers) < 2:
        raise ValueError(f"Point_px entry {text!r} is not '(x, y)'")
    return (float(numbers[0]), float(numbers[1]))


def _rois(data: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(data, dict) or not isinstance(data.get("Images"), list):
        raise ValueError("no 'Images' list: not an OsiriX ROI file")
    found: list[tuple[int, dict[str, Any]]] = []
    for image in data["Images"]:
        for n, roi in enumerate(image.get("ROIs", []) if isinstance(image, dict) else []):
            if isinstance(roi, dict):
                found.append((n, roi))
    return found


def parse_file(path: Path) -> tuple[SourceImage | None, list[Skipped]]:
    """The labels of one XML file, or None with the reason when it cannot be read."""
    try:
        data = plistlib.loads(path.read_bytes())
        rois = _rois(data)
    except (OSError, ValueError, plistlib.InvalidFileException) as exc:
        return None, [Skipped(path.name, f"cannot be read as an OsiriX ROI file ({exc})")]
    except Exception as exc:  # expat and plistlib raise several types on damaged XML
        return None, [Skipped(path.name, f"cannot be read as an OsiriX ROI file ({exc})")]
    stem = path.stem
    image = SourceImage(ids=(stem, stem.split("_")[0]), source_file=path, where=path.name)
    skipped: list[Skipped] = []
    for n, roi in rois:
        name = str(roi.get("Name", "")).strip()
        where = f"{path.name} ROI {n + 1} ({name or 'unnamed'})"
        try:
            points = [_point(p) for p in roi.get("Point_px", [])]
        except ValueError as exc:
            skipped.append(Skipped(where, str(exc)))
            continue
        if not points:
            skipped.append(Skipped(where, "no Point_px"))
            continue
        kind = name.lower()
        if kind.startswith("calcification"):
            image.marks.append(_mark(points, roi.get("Center")))
        elif kind.startswith("cluster"):
            if len(points) < 3:
                skipped.append(Skipped(where, f"a cluster outline needs 3 points, it has {len(points)}"))
                continue
            image.clusters.append(SourceCluster(outline=tuple(points)))
        else:
            skipped.append(Skipped(where, f"'{name}' is not a calcification or cluster ROI"))
    return image, skipped


def _mark(points: list[Point], center_text: Any) -> SourceMark:
    """A point mark for 1-2 points (their mean), else an outline centred on ``Center`` if inside."""
    if len(points) <= 2:
        x = sum(p[0] for p in points) / len(points)
        y = sum(p[1] for p in points) / len(points)
        return SourceMark((x, y))
    outline = tuple(points)
    center = polygon_centroid(points)
    if center_text is not None:
        try:
            given = _point(center_text)
        except ValueError:
            given = None
        if given is not None and point_in_polygon(*given, outline, edge_tolerance=0.0):
            center = given
    return SourceMark(center, outline)


def _files(source: Path) -> Iterable[Path]:
    if source.is_dir():
        return sorted(p for p in source.rglob("*.xml") if not p.name.startswith("."))
    return [source]


def parse(source: Path) -> ParsedLabels:
    """Every XML file at ``source`` (a file, or a folder searched recursively)."""
    parsed = ParsedLabels()
    for path in _files(source):
        image, skipped = parse_file(path)
        parsed.skipped.extend(skipped)
        if image is not None and (image.marks or image.clusters):
            parsed.images.append(image)
    return parsed
