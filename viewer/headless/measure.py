"""``mammo-viewer measure FILE --at X,Y [--at X,Y ...] [--json] [--save]``: clicks, scripted.

Each ``--at`` is a click with the calcification tool at column X, row Y (pixel centres at
integers), outlined by the same code as the GUI (:func:`viewer.core.measure.find_calcification`
on the stored values, then :meth:`Calcification.create`). The JSON output::

    {"file": ..., "spacing_mm": [row_mm, col_mm] | null, "spacing_source": ...,
     "spacing_label": ..., "spacing_note": null | why a spacing rule was skipped,
     "calcifications": [...one per --at, in order...],
     "clusters": [...what the found marks form...]}

A cluster entry (:func:`viewer.core.cluster_metrics.clusters_for_marks`) holds
``members``, ``count``, ``span_mm``/``span_px``, ``area_mm2``/``area_px``, ``centroid``,
``birads_grouped`` (the BI-RADS area rule: ``min_count`` marks in a circle of
``diameter_mm``, the group spanning at most ``max_span_mm``; the three numbers are given),
``suggested_distribution`` (grouped, linear, regional or null) and ``reason``.

A found entry holds ``center``, ``outline``, ``long_axis_px``, ``long_axis_mm``,
``short_axis_px``, ``short_axis_mm``, ``area_px``, ``area_mm2`` and ``intensity`` (mm
values null when uncalibrated); a miss holds ``found: false`` and ``reason``. Each found mark
and each cluster (at the mean of its members' centres) also holds ``nipple_distance_mm``
(null when uncalibrated; the spacing is the document's), ``nipple_distance_px``, ``depth``
(anterior, middle or posterior third of the nipple-to-chest-wall line) and ``depth_fraction``,
from the nipple and chest wall in ``landmarks`` (the reader's in the sidecar, else found from
the image; ``landmarks`` holds ``error`` and the location fields are absent when none is found). ``--save``
adds the found marks to the reader's sidecar in the file's folder, as the GUI's Save does; it
waits up to :data:`LOCK_WAIT_S` seconds for another mammo-viewer holding the file's lock, and
never removes an autosave (a crashed GUI session's recovery file is kept, and said so).
Exit status 1 with a message when the file cannot be read or the marks cannot be saved.
"""

from __future__ import annotations

import argparse
import configparser
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from viewer.core.annotations import Calcification, StudyAnnotations
from viewer.core.cluster_metrics import clusters_for_marks
from viewer.core.commands import AddCalcification
from viewer.core.geometry import Point, Spacing
from viewer.core.landmarks import Landmarks
from viewer.core.location import locate
from viewer.core.measure import OutlineResult, find_calcification
from viewer.core.nipple_detect import LandmarkError
from viewer.core.windowing import ModalityLut
from viewer.dicom.breast_landmarks import image_landmarks
from viewer.dicom.image import DicomImageError, MammoImage
from viewer.headless.spacing_fields import spacing_fields
from viewer.store import sidecar
from viewer.store.errors import SidecarError
from viewer.store.locations import user_data_dir
from viewer.store.session import AnnotationStore

LOCK_WAIT_S = 30.0
"""How long ``--save`` waits for another writer of the same annotation file (scripts in parallel)."""


def _point(text: str) -> Point:
    try:
        x_text, y_text = text.split(",")
        point = (float(x_text), float(y_text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not X,Y (column,row in pixels, e.g. 812,1430)"
        ) from None
    if not all(v == v and abs(v) != float("inf") for v in point):
        raise argparse.ArgumentTypeError(f"{text!r}: X and Y must be finite numbers")
    return point


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mammo-viewer measure``."""
    parser.description = (
        "Outline the calcifications at the given pixels (X = column, Y = row) as the "
        "calcification tool does, and print their sizes. --save adds them to the study's "
        "annotations."
    )
    parser.add_argument("file", metavar="FILE", help="a DICOM image")
    parser.add_argument(
        "--at",
        dest="at",
        action="append",
        type=_point,
        required=True,
        metavar="X,Y",
        help="a click: column,row in pixels (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--save",
        action="store_true",
        help="add the found marks to the reader's annotation file in the file's folder",
    )
    parser.add_argument(
        "--reader",
        help="whose annotations (default: the viewer's reader "
        "name from the preferences, else the login name)",
    )
    parser.add_argument(
        "--frame", type=int, default=0, help="frame of a multi-frame image (0-based, default 0)"
    )


def default_reader() -> str:
    """The reader the GUI would use: its preferences' name, else the login name.

    The preferences are a Qt INI file; read here with configparser to stay Qt-free.
    """
    prefs = configparser.ConfigParser(interpolation=None)
    try:
        prefs.read(user_data_dir() / "preferences.ini", encoding="utf-8")
        name = prefs.get("reader", "name", fallback="").strip()
    except (configparser.Error, OSError, UnicodeDecodeError):
        name = ""
    if name:
        return name
    try:
        return getpass.getuser() or "reader"
    except (KeyError, OSError):
        return "reader"


def _peek_model(folder: Path, reader: str, study_uid: str) -> StudyAnnotations:
    """The reader's saved annotations, read without locking (for a manual calibration)."""
    path = sidecar.sidecar_path(folder, reader)
    if path.exists():
        try:
            return sidecar.load(path)
        except SidecarError:
            pass  # measuring does not need the file; --save reports its problems
    return StudyAnnotations(reader, study_uid)


def calcification_record(result: OutlineResult, calc: Calcification | None) -> dict[str, Any]:
    """One entry of ``calcifications``: sizes of a found mark, or why nothing was found."""
    if calc is None or calc.sizes is None or calc.outline is None:
        return {"found": False, "reason": result.reason}
    s = calc.sizes
    return {
        "found": True,
        "center": list(calc.center),
        "outline": [list(p) for p in calc.outline],
        "long_axis_px": s.long_axis_px,
        "long_axis_mm": s.long_axis_mm,
        "short_axis_px": s.short_axis_px,
        "short_axis_mm": s.short_axis_mm,
        "area_px": s.area_px,
        "area_mm2": s.area_mm2,
        "intensity": calc.intensity.to_dict() if calc.intensity is not None else None,
    }


def measure_clicks(
    pixels: Any,
    clicks: list[Point],
    spacing: Spacing,
    bright_is_high: bool,
    reader: str = "",
    modality: ModalityLut | None = None,
) -> tuple[list[OutlineResult], list[Calcification | None]]:
    """Outline every click as the calcification tool does; ``None`` where nothing was found.

    ``pixels`` are stored values with ``modality`` their Modality LUT (the GUI's path: each
    click converts only its window), or modality values when ``modality`` is None.
    """
    results = [
        find_calcification(pixels, x, y, spacing, bright_is_high=bright_is_high, modality=modality)
        for x, y in clicks
    ]
    calcs: list[Calcification | None] = []
    for r in results:
        if r.found and r.center is not None and r.outline is not None:
            calcs.append(
                Calcification.create(r.center, r.outline, spacing, intensity=r.intensity, reader=reader)
            )
        else:
            calcs.append(None)
    return results, calcs


def report(
    path: Path, spacing: Spacing, results: list[OutlineResult], calcs: list[Calcification | None]
) -> dict[str, Any]:
    """The JSON document of one ``measure`` run (see the module docstring)."""
    found = [c for c in calcs if c is not None]
    index = [i for i, c in enumerate(calcs) if c is not None]
    clusters = clusters_for_marks([c.center for c in found], [c.outline for c in found], spacing)
    for cluster in clusters:
        # members refer to the --at order, like "calcifications"
        cluster["members"] = [index[m] for m in cluster["members"]]
    return {
        "file": str(path),
        **spacing_fields(spacing),
        "calcifications": [calcification_record(r, c) for r, c in zip(results, calcs, strict=True)],
        "clusters": clusters,
    }


def add_locations(doc: dict[str, Any], landmarks: Landmarks, spacing: Spacing) -> None:
    """Nipple distance and depth of every found mark and cluster of ``doc``, in place."""
    doc["landmarks"] = landmarks.to_dict()
    found = doc["calcifications"]
    for record in found:
        if record.get("found"):
            record.update(_where(tuple(record["center"]), landmarks, spacing))
    for cluster in doc["clusters"]:
        centres = [found[m]["center"] for m in cluster["members"]]
        mean = (sum(c[0] for c in centres) / len(centres), sum(c[1] for c in centres) / len(centres))
        cluster.update(_where(mean, landmarks, spacing))


def _where(point: Any, landmarks: Landmarks, spacing: Spacing) -> dict[str, Any]:
    where = locate((float(point[0]), float(point[1])), landmarks, spacing)
    return {
        "nipple_distance_mm": where.nipple_distance_mm,
        "nipple_distance_px": where.nipple_distance_px,
        "depth": where.depth.value,
        "depth_fraction": where.depth_fraction,
    }


def _text(doc: dict[str, Any], clicks: list[Point]) -> str:
    unit = "mm" if doc["spacing_mm"] is not None else "px"
    lines = [f"{doc['file']}: sizes in {doc['spacing_label']}"]
    for n, (rec, (x, y)) in enumerate(zip(doc["calcifications"], clicks, strict=True), 1):
        if not rec["found"]:
            lines.append(f"{n}. at {x:g},{y:g}: {rec['reason']}")
            continue
        long_v = rec["long_axis_mm"] if unit == "mm" else rec["long_axis_px"]
        short_v = rec["short_axis_mm"] if unit == "mm" else rec["short_axis_px"]
        area = f"{rec['area_mm2']:.3f} mm2" if unit == "mm" else f"{rec['area_px']:.1f} px2"
        cx, cy = rec["center"]
        lines.append(
            f"{n}. at {x:g},{y:g}: centre {cx:.1f},{cy:.1f}  long axis {long_v:.2f} "
            f"{unit}, short axis {short_v:.2f} {unit}, area {area}"
        )
    for cluster in doc["clusters"]:
        members = ", ".join(str(m + 1) for m in cluster["members"])
        span = (
            f"{cluster['span_mm']:.1f} mm"
            if cluster["span_mm"] is not None
            else f"{cluster['span_px']:.0f} px"
        )
        kind = "cluster (BI-RADS grouped)" if cluster["birads_grouped"] else "group"
        reason = f" ({cluster['reason']})" if cluster.get("reason") else ""
        lines.append(f"{kind} of {cluster['count']}: marks {members}, span {span}{reason}")
    if "saved_to" in doc:
        lines.append(f"saved {doc['saved_count']} mark(s) to {doc['saved_to']}")
    return "\n".join(lines)


def _fail(message: str) -> int:
    print(f"mammo-viewer measure: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    """Measure, print, optionally save; 0 on success, 1 with a message otherwise."""
    path = Path(args.file)
    try:
        image = MammoImage.open(path)
        if not 0 <= args.frame < image.frames:
            return _fail(f"{path.name}: frame {args.frame} does not exist (the image has {image.frames})")
        pixels = image.pixels(args.frame)
    except DicomImageError as exc:
        return _fail(str(exc))
    reader = args.reader or default_reader()
    folder = path.resolve().parent
    key = (image.sop_instance_uid, args.frame)
    store: AnnotationStore | None = None
    if args.save:
        try:
            store = AnnotationStore.open(folder, reader, image.study_instance_uid, wait=LOCK_WAIT_S)
        except SidecarError as exc:
            return _fail(str(exc))
        for notice in store.notices:
            print(f"mammo-viewer measure: {notice}", file=sys.stderr)
        if store.read_only_reason is None and store.recovery_path.exists():
            print(
                f"mammo-viewer measure: an autosave of unsaved marks exists ({store.recovery_path}); "
                "it was kept: open the study in the viewer to recover or discard it.",
                file=sys.stderr,
            )
        if store.read_only_reason is not None:
            store.close()
            return _fail(f"cannot save to {store.path}: {store.read_only_reason}")
        model = store.load()
    else:
        model = _peek_model(folder, reader, image.study_instance_uid)
    model.reader = model.reader or reader
    model.study_instance_uid = model.study_instance_uid or image.study_instance_uid
    model.ensure_image(image.annotation_record(args.frame))
    spacing = model.image(key).spacing  # a manual calibration in the sidecar wins, as in the GUI
    modality = image.frame_header(args.frame).modality_lut
    results, calcs = measure_clicks(pixels, args.at, spacing, image.bright_is_high, reader, modality)
    doc = report(path, spacing, results, calcs)
    known = model.reading.landmarks.get(key)
    try:
        marks = known if known is not None else image_landmarks(image, args.frame)
        add_locations(doc, marks.landmarks, spacing)
    except LandmarkError as exc:
        doc["landmarks"] = {"error": str(exc)}
    if store is not None:
        try:
            with store:
                for calc in calcs:
                    if calc is not None:
                        AddCalcification(key, calc).do(model)
                store.save(model)
        except SidecarError as exc:
            return _fail(str(exc))
        doc["saved_to"] = str(store.path)
        doc["saved_count"] = sum(c is not None for c in calcs)
    try:
        print(json.dumps(doc, indent=2) if args.json else _text(doc, args.at), flush=True)
    except BrokenPipeError:  # `... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
