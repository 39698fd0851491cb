"""The annotation model <-> the sidecar's JSON document (schema version 2).

Every point is written as ``[x, y]`` in pixels of the stored image: x = column, y = row,
pixel centres at integer coordinates (the convention of :mod:`viewer.core.geometry`).
Floats are written with the shortest text that reads back to the same value, so
``from_dict(to_dict(m))`` reproduces every field of ``m`` exactly.

Derived values (the spacing in force, cluster metrics) are written for the people and
programs that read the file, and ignored on load: the model recomputes them.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from viewer import __version__
from viewer.core.annotations import (
    Calcification,
    Calibration,
    Cluster,
    ClusterState,
    ImageAnnotations,
    Intensity,
    Sizes,
    StudyAnnotations,
)
from viewer.core.geometry import Point, Spacing, SpacingSource
from viewer.store import schema
from viewer.store.errors import SidecarError
from viewer.store.reading_serialize import reading_from_dict, reading_to_dict

SCHEMA_VERSION = 2
PROGRAM_NAME = "mammo-viewer"


def _point(p: Point) -> list[float]:
    return [p[0], p[1]]


def _polygon(points: Sequence[Point] | None) -> list[list[float]] | None:
    if points is None:
        return None
    return [[x, y] for x, y in points]


def _sizes_to_dict(s: Sizes) -> dict[str, Any]:
    a, b = s.long_axis_endpoints
    return {
        "long_axis_px": s.long_axis_px,
        "short_axis_px": s.short_axis_px,
        "area_px": s.area_px,
        "long_axis_mm": s.long_axis_mm,
        "short_axis_mm": s.short_axis_mm,
        "area_mm2": s.area_mm2,
        "long_axis_endpoints": [[a[0], a[1]], [b[0], b[1]]],
        "spacing": s.spacing.to_dict(),
    }


def _finite(*values: float | None) -> bool:
    return all(v is None or math.isfinite(v) for v in values)


def _intensity_to_dict(i: Intensity | None) -> dict[str, float] | None:
    # JSON has no NaN (orjson would write null where the schema wants a number): statistics
    # of a degenerate region are dropped rather than making the whole file unsavable.
    if i is None or not _finite(i.peak, i.mean, i.background, i.contrast):
        return None
    return i.to_dict()


def _calcification_to_dict(c: Calcification) -> dict[str, Any]:
    d = {
        "id": c.id,
        "center": _point(c.center),
        "outline": _polygon(c.outline),
        "sizes": _sizes_to_dict(c.sizes) if c.sizes is not None else None,
        "intensity": _intensity_to_dict(c.intensity),
        "morphology": c.morphology,
        "reader": c.reader,
        "created": c.created,
        "modified": c.modified,
    }
    if c.imported:  # written only when set: files of marks made here stay as they were
        d["imported"] = c.imported
    return d


def _metrics(cluster: Cluster, image: ImageAnnotations) -> dict[str, Any] | None:
    # informational only (recomputed on load): a cluster that cannot be measured is still saved
    if not cluster.member_ids:
        return None
    # imported here: it pulls in scipy, which a process that only saves need not wait for
    from viewer.core.cluster_metrics import cluster_metrics

    try:
        result: dict[str, Any] = cluster_metrics(cluster, image).to_dict()
    except ValueError:
        return None
    return result


def _cluster_to_dict(c: Cluster, image: ImageAnnotations) -> dict[str, Any]:
    d = {
        "id": c.id,
        "state": c.state.value,
        "member_ids": list(c.member_ids),
        "outline": _polygon(c.outline),
        "distribution": c.distribution,
        "assessment": c.assessment,
        "recommendation": c.recommendation,
        "note": c.note,
        "reader": c.reader,
        "created": c.created,
        "modified": c.modified,
        "metrics": _metrics(c, image),
    }
    if c.morphology is not None:
        d["morphology"] = c.morphology
    if c.imported:
        d["imported"] = c.imported
    return d


def _calibration_to_dict(c: Calibration) -> dict[str, Any]:
    return {
        "id": c.id,
        "p1": _point(c.p1),
        "p2": _point(c.p2),
        "length_mm": c.length_mm,
        "reader": c.reader,
        "created": c.created,
    }


def image_to_dict(img: ImageAnnotations, with_calcifications: bool = True) -> dict[str, Any]:
    """One image's entry of the sidecar (its calcifications as an empty list if not wanted)."""
    d = {
        "sop_instance_uid": img.sop_instance_uid,
        "frame": img.frame,
        "study_instance_uid": img.study_instance_uid,
        "series_instance_uid": img.series_instance_uid,
        "rows": img.rows,
        "columns": img.columns,
        "laterality": img.laterality,
        "view": img.view,
        "dicom_spacing": img.dicom_spacing.to_dict(),
        "spacing": img.spacing.to_dict(),
        "calibration": (_calibration_to_dict(img.calibration) if img.calibration is not None else None),
        "calcifications": (
            [_calcification_to_dict(c) for c in img.calcifications.values()] if with_calcifications else []
        ),
        "clusters": [_cluster_to_dict(c, img) for c in img.clusters.values()],
    }
    if img.view_source is not None:
        d["view_source"] = img.view_source
    return d


def to_dict(model: StudyAnnotations) -> dict[str, Any]:
    """The sidecar document of ``model`` in plain JSON types (schema version 2)."""
    data = to_dict_skeleton(model)
    for doc, img in zip(data["images"], model.images.values(), strict=True):
        doc["calcifications"] = [_calcification_to_dict(c) for c in img.calcifications.values()]
    return data


def _to_json_default(obj: Any) -> Any:
    # numpy scalars can slip in from measurement code; write them as plain numbers
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot write {type(obj).__name__} to an annotation file")


def dumps(data: dict[str, Any]) -> bytes:
    """Indented UTF-8 JSON with a final newline (orjson: ~20x faster than the json module)."""
    return orjson.dumps(
        data,
        default=_to_json_default,
        option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY,
    )


# Calcifications are immutable, so each one is converted, checked against the schema and
# encoded once; later saves reuse the encoded text. This keeps an autosave after one edit of
# a 10,000-mark study at a few milliseconds. Keys are id(); the weak reference drops an
# entry when its mark is garbage-collected, and is checked on lookup against id() reuse.
_FRAGMENTS: dict[int, tuple[weakref.ref[Calcification], bytes]] = {}
_FRAGMENTS_LOCK = threading.Lock()


def _forget(key: int, ref: weakref.ref[Calcification]) -> None:
    with _FRAGMENTS_LOCK:
        entry = _FRAGMENTS.get(key)
        if entry is not None and entry[0] is ref:
            del _FRAGMENTS[key]


def _remember(c: Calcification, fragment: bytes) -> None:
    key = id(c)

    def dropped(r: weakref.ref[Calcification], k: int = key) -> None:
        _forget(k, r)

    ref = weakref.ref(c, dropped)
    with _FRAGMENTS_LOCK:
        _FRAGMENTS[key] = (ref, fragment)


def _calcification_fragment(c: Calcification, where: str) -> bytes:
    entry = _FRAGMENTS.get(id(c))
    if entry is not None and entry[0]() is c:
        return entry[1]
    d = _calcification_to_dict(c)
    problem = schema.check_part("calcification", d)
    if problem is not None:
        raise SidecarError(
            f"the annotations cannot be written: {where}: {problem} "
            "(a fault in mammo-viewer; please report it)"
        )
    fragment = orjson.dumps(d, default=_to_json_default, option=orjson.OPT_SERIALIZE_NUMPY)
    if orjson.loads(fragment) != d:  # orjson wrote an inf or NaN as null: find it (~20 us a mark)
        _refuse_non_finite(d, where)
    _remember(c, fragment)
    return fragment


def remember_read_marks(model: StudyAnnotations, data: dict[str, Any]) -> None:
    """Keep each mark's text as read, for the saves of ``model`` (:func:`from_dict` of ``data``).

    ``data`` must be schema-valid (it was read through the schema), so its marks are written
    back as they were read instead of being converted and checked again: the first save of a
    10,000-mark file then costs the writer thread ~10 ms instead of ~0.5 s, which on the
    shared interpreter lock stalled the UI thread. Re-encoding the parsed marks costs ~4 us
    each here. A mark reads back from its text as the same model value (``from_dict`` of it
    is how the model got it).
    """
    for img_doc, img in zip(data["images"], model.images.values(), strict=True):
        for d, c in zip(img_doc["calcifications"], img.calcifications.values(), strict=True):
            _remember(c, orjson.dumps(d))


def non_finite(data: Any, where: str = "") -> str | None:
    """The JSON pointer of the first infinite or NaN number in ``data``, or ``None``: the schema
    takes inf for a number, but JSON holds null in its place, refused when read back."""
    if isinstance(data, float | np.floating):
        return None if math.isfinite(data) else where or "/"
    if isinstance(data, np.ndarray):
        return None if data.dtype.kind not in "fc" or np.isfinite(data).all() else where or "/"
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list | tuple):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        found = non_finite(value, f"{where}/{key}")
        if found is not None:
            return found
    return None


def _refuse_non_finite(data: Any, where: str) -> None:
    if (found := non_finite(data, where)) is not None:
        msg = f"the annotations cannot be written: {found} is not a finite number (a fault in mammo-viewer)"
        raise SidecarError(msg)


def serialize(model: StudyAnnotations) -> bytes:
    """The sidecar file's bytes for ``model``, checked against the schema.

    The document is indented, with one line per calcification. Raises ``SidecarError``
    if the model cannot be written as a valid document (a program fault, never the
    user's), so an invalid file is never produced.
    """
    data = to_dict_skeleton(model)
    _refuse_non_finite(data, "")
    if not schema.is_valid(data):
        found = "; ".join(str(p) for p in schema.problems(data, limit=3))
        raise SidecarError(
            f"the annotations cannot be written: {found} (a fault in mammo-viewer; please report it)"
        )
    marks: list[list[bytes]] = [
        [
            _calcification_fragment(c, f"/images/{n}/calcifications/{i}")
            for i, c in enumerate(img.calcifications.values())
        ]
        for n, img in enumerate(model.images.values())
    ]
    return spliced(data, marks)


def _slot(n: int) -> str:
    """What stands for image ``n``'s marks in the document until their texts are put in."""
    return f"\0marks of image {n}\0"


def spliced(data: dict[str, Any], marks: list[list[bytes]]) -> bytes:
    """The document ``data`` (its images' marks left out) with each image's marks' texts, one a line.

    Joining bytes instead of one ``orjson.dumps`` of 10,000 fragments keeps each step that
    holds the interpreter lock to a few milliseconds: the save runs on the writer thread,
    and one 30-100 ms encode stalled the UI thread as long (issue 16). The bytes are those
    of the fragments encoded in place (tested), which is also what is written should a
    reader's text ever hold a slot's name.
    """
    for n, (img_doc, texts) in enumerate(zip(data["images"], marks, strict=True)):
        if texts:
            img_doc["calcifications"] = [_slot(n)]
    document = dumps(data)
    parts: list[bytes] = []
    start = 0
    for n, texts in enumerate(marks):
        if not texts:
            continue
        token = orjson.dumps(_slot(n))
        at = document.find(token, start)
        if at < 0 or document.count(token) != 1:
            for img_doc, image_texts in zip(data["images"], marks, strict=True):
                img_doc["calcifications"] = [orjson.Fragment(t) for t in image_texts]
            return dumps(data)
        indent = document[document.rfind(b"\n", 0, at) + 1 : at]
        parts += [document[start:at], (b",\n" + indent).join(texts)]
        start = at + len(token)
    parts.append(document[start:])
    return b"".join(parts)


def to_dict_skeleton(model: StudyAnnotations) -> dict[str, Any]:
    """:func:`to_dict` without the calcifications (empty lists), for the fast save path."""
    return {
        "schema_version": SCHEMA_VERSION,
        "program": {"name": PROGRAM_NAME, "version": __version__},
        "reader": model.reader,
        "study_instance_uid": model.study_instance_uid,
        "created": model.created,
        "modified": model.modified,
        "images": [image_to_dict(img, with_calcifications=False) for img in model.images.values()],
        "reading": reading_to_dict(model),
    }


# -- reading -------------------------------------------------------------------------------
def _pt(v: Sequence[float]) -> Point:
    return (float(v[0]), float(v[1]))


def _poly(v: Sequence[Sequence[float]] | None) -> tuple[Point, ...] | None:
    if v is None:
        return None
    return tuple((float(p[0]), float(p[1])) for p in v)


def _sizes_from_dict(d: dict[str, Any], spacings: dict[tuple[Any, ...], Spacing] | None = None) -> Sizes:
    a, b = d["long_axis_endpoints"]
    spacing = d["spacing"]
    if spacings is None:
        in_force = _spacing_from_dict(spacing)
    else:
        # the marks of an image share one or two spacings: each is made once (Spacing is frozen)
        key = tuple(spacing.items())
        found = spacings.get(key)
        in_force = spacings[key] = found if found is not None else _spacing_from_dict(spacing)
    return Sizes(
        long_axis_px=float(d["long_axis_px"]),
        short_axis_px=float(d["short_axis_px"]),
        area_px=float(d["area_px"]),
        long_axis_mm=_opt_float(d["long_axis_mm"]),
        short_axis_mm=_opt_float(d["short_axis_mm"]),
        area_mm2=_opt_float(d["area_mm2"]),
        long_axis_endpoints=(_pt(a), _pt(b)),
        spacing=in_force,
    )


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _spacing_from_dict(d: dict[str, Any]) -> Spacing:
    return Spacing(
        row_mm=_opt_float(d["row_mm"]),
        col_mm=_opt_float(d["col_mm"]),
        source=SpacingSource(d["source"]),
        label=str(d["label"]),
        ermf=_opt_float(d.get("ermf")),
        calibration_type=d.get("calibration_type"),
        note=str(d.get("note") or ""),
    )


def _calcification_from_dict(d: dict[str, Any], spacings: dict[tuple[Any, ...], Spacing]) -> Calcification:
    sizes = d["sizes"]
    intensity = d.get("intensity")
    return Calcification(
        id=d["id"],
        # the constructor makes float tuples of the points (once: 190,000 of them in a large file)
        center=d["center"],
        outline=d["outline"],
        sizes=_sizes_from_dict(sizes, spacings) if sizes is not None else None,
        intensity=Intensity.from_dict(intensity) if intensity is not None else None,
        morphology=d.get("morphology"),
        reader=d.get("reader", ""),
        created=d.get("created", ""),
        modified=d.get("modified", ""),
        imported=d.get("imported", ""),
    )


def _cluster_from_dict(d: dict[str, Any]) -> Cluster:
    return Cluster(
        id=d["id"],
        member_ids=tuple(d["member_ids"]),
        state=ClusterState(d["state"]),
        outline=_poly(d.get("outline")),
        distribution=d.get("distribution"),
        assessment=d.get("assessment"),
        recommendation=d.get("recommendation"),
        note=d.get("note", ""),
        reader=d.get("reader", ""),
        created=d.get("created", ""),
        modified=d.get("modified", ""),
        morphology=d.get("morphology"),
        imported=d.get("imported", ""),
    )


def _calibration_from_dict(d: dict[str, Any]) -> Calibration:
    return Calibration(
        id=d["id"],
        p1=_pt(d["p1"]),
        p2=_pt(d["p2"]),
        length_mm=float(d["length_mm"]),
        reader=d.get("reader", ""),
        created=d.get("created", ""),
    )


def image_from_dict(d: dict[str, Any]) -> ImageAnnotations:
    """One image's entry; raise ValueError naming the image when its content is inconsistent."""
    uid = d["sop_instance_uid"]
    frame = int(d["frame"])
    img = ImageAnnotations(
        sop_instance_uid=uid,
        frame=frame,
        study_instance_uid=d["study_instance_uid"],
        series_instance_uid=d["series_instance_uid"],
        rows=int(d["rows"]),
        columns=int(d["columns"]),
        laterality=d["laterality"],
        view=d["view"],
        view_source=d.get("view_source"),
        dicom_spacing=_spacing_from_dict(d["dicom_spacing"]),
        calibration=(_calibration_from_dict(d["calibration"]) if d["calibration"] is not None else None),
    )
    spacings: dict[tuple[Any, ...], Spacing] = {}
    for cd in d["calcifications"]:
        calc = _calcification_from_dict(cd, spacings)
        if calc.id in img.calcifications:
            raise ValueError(f"image {uid} frame {frame}: calcification id {calc.id} repeats")
        img.calcifications[calc.id] = calc
    for kd in d["clusters"]:
        cluster = _cluster_from_dict(kd)
        if cluster.id in img.clusters:
            raise ValueError(f"image {uid} frame {frame}: cluster id {cluster.id} repeats")
        missing = [m for m in cluster.member_ids if m not in img.calcifications]
        if missing:
            raise ValueError(
                f"image {uid} frame {frame}: cluster {cluster.id} names unknown "
                f"calcifications {', '.join(missing)}"
            )
        img.clusters[cluster.id] = cluster
    return img


def from_dict(data: dict[str, Any]) -> StudyAnnotations:
    """The model of a schema-valid version-2 document; inverse of :func:`to_dict`.

    Raises ``ValueError`` (naming the image) for what the schema cannot express: repeated
    ids, clusters naming unknown marks, the same image twice, invalid spacing numbers.
    Raises ``KeyError``/``TypeError`` on documents that do not match the schema.
    """
    model = StudyAnnotations(reader=data["reader"], study_instance_uid=data["study_instance_uid"])
    for d in data["images"]:
        img = image_from_dict(d)
        if img.key in model.images:
            raise ValueError(f"image {img.sop_instance_uid} frame {img.frame} appears twice")
        model.images[img.key] = img
    model.reading = reading_from_dict(data["reading"])
    model.created = data["created"]
    model.modified = data["modified"]
    return model
