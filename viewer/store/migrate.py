"""Older sidecar layouts -> the current one, on load, in memory (the file is never touched).

Version 0 was the prototype's flat layout (``resources/examples/v0.json``)::

    {
      "version": 0,
      "reader": "...", "study_uid": "...", "saved": "<ISO 8601 UTC>",
      "images": {"<SOP Instance UID>": {"rows": R, "columns": C, "laterality": "L",
                  "view": "CC", "pixel_spacing_mm": [row_mm, col_mm] | null,
                  "spacing_source": "<SpacingSource value>"}},
      "marks": [{"id": "...", "sop_uid": "...", "x": X, "y": Y,
                 "outline": [[x, y], ...] | null, "long_axis_mm": L | null,
                 "morphology": "..." | null, "time": "<ISO 8601 UTC>"}]
    }

with the same coordinate convention as today (x = column, y = row, pixel centres at
integers), single-frame images only, no clusters and no calibrations. Sizes are measured
again from each outline with the recorded spacing (version 0 stored only the long axis).

Version 1 had no ``reading`` (landmarks, CC/MLO links, the study assessment): version 2
adds an empty one; nothing else changed.

Each step ``MIGRATIONS[v]`` turns a version-``v`` document into a version-``v + 1`` one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from viewer.core.annotations import Calcification, ImageAnnotations, Sizes
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.reading import StudyAssessment
from viewer.store.serialize import SCHEMA_VERSION, image_to_dict

_V0_LABELS = {
    SpacingSource.PIXEL_SPACING: "mm (Pixel Spacing)",
    SpacingSource.IMAGER_PIXEL_SPACING_ERMF: "mm at the breast plane (Imager Pixel Spacing / ERMF)",
    SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD: "mm at the breast plane (Imager Pixel Spacing x SOD / SID)",
    SpacingSource.IMAGER_PIXEL_SPACING: "mm at the detector (overestimates)",
    SpacingSource.MANUAL: "mm by manual calibration",
    SpacingSource.NONE: "px (uncalibrated)",
}


def document_version(data: dict[str, Any]) -> int | None:
    """The schema version a document declares (``version`` in 0, ``schema_version`` since 1)."""
    version = data.get("schema_version", data.get("version"))
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return version


class MigrationError(ValueError):
    """An older document that cannot be upgraded; the message says what is wrong, in its terms."""


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MigrationError(f"{what} is not an object (it is {_kind(value)})")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MigrationError(f"{what} is not a finite number (it is {_kind(value)})")
    return float(value)


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MigrationError(f"{what} is not a whole number of pixels (it is {_kind(value)})")
    return value


def _text(value: Any, what: str, default: str | None = None) -> str | None:
    if value is None:
        return default
    if not isinstance(value, str):
        raise MigrationError(f"{what} is not text (it is {_kind(value)})")
    return value


def _kind(value: Any) -> str:
    """A JSON value named for a message: its type, and the value itself when short."""
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    if isinstance(value, float | int) and not isinstance(value, bool):
        return repr(value)
    name = names.get(type(value), type(value).__name__)
    return f"{name} {value!r}" if isinstance(value, str) and len(value) <= 40 else name


def _v0_spacing(info: dict[str, Any], what: str) -> Spacing:
    values = info.get("pixel_spacing_mm")
    if values is None:
        return Spacing.uncalibrated()
    if not isinstance(values, list) or len(values) != 2:
        raise MigrationError(f"{what}: pixel_spacing_mm is not a pair of numbers")
    row_mm, col_mm = (_number(v, f"{what}: pixel_spacing_mm") for v in values)
    if row_mm <= 0 or col_mm <= 0:
        raise MigrationError(f"{what}: pixel_spacing_mm is not positive ({row_mm}, {col_mm})")
    name = _text(info.get("spacing_source"), f"{what}: spacing_source", SpacingSource.PIXEL_SPACING.value)
    try:
        source = SpacingSource(name)
    except ValueError:
        raise MigrationError(f"{what}: spacing_source {name!r} is not one this program knows") from None
    if source is SpacingSource.NONE:
        raise MigrationError(f"{what} has a pixel_spacing_mm but spacing_source {name!r}")
    return Spacing(row_mm, col_mm, source, _V0_LABELS[source])


def _v0_outline(value: Any, what: str) -> tuple[tuple[float, float], ...] | None:
    if not value:
        return None
    if not isinstance(value, list) or len(value) < 3:
        raise MigrationError(f"{what}: outline is not a list of at least 3 [x, y] points")
    points = []
    for point in value:
        if not isinstance(point, list) or len(point) != 2:
            raise MigrationError(f"{what}: outline has a point that is not [x, y]")
        points.append((_number(point[0], f"{what}: outline x"), _number(point[1], f"{what}: outline y")))
    return tuple(points)


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 -> 1; raises :class:`MigrationError` naming the first entry it cannot read."""
    study_uid = _text(data.get("study_uid"), "study_uid", "") or ""
    reader = _text(data.get("reader"), "reader", "") or ""
    saved = _text(data.get("saved"), "saved", "") or ""
    images: dict[str, ImageAnnotations] = {}
    for uid, entry in _object(data.get("images", {}), "images").items():
        what = f"image entry {uid!r}"
        info = _object(entry, what)
        images[uid] = ImageAnnotations(
            sop_instance_uid=uid,
            study_instance_uid=study_uid,
            rows=_count(info.get("rows", 0), f"{what}: rows"),
            columns=_count(info.get("columns", 0), f"{what}: columns"),
            laterality=_text(info.get("laterality"), f"{what}: laterality"),
            view=_text(info.get("view"), f"{what}: view"),
            dicom_spacing=_v0_spacing(info, what),
        )
    if "marks" not in data:
        raise MigrationError("it has no marks list")
    marks = data["marks"]
    if not isinstance(marks, list):
        raise MigrationError(f"marks is not a list (it is {_kind(marks)})")
    for n, entry in enumerate(marks):
        mark = _object(entry, f"mark {n + 1}")
        mark_id = _text(mark.get("id"), f"mark {n + 1}: id") or f"v0-{n}"
        what = f"mark {mark_id!r}"
        sop_uid = _text(mark.get("sop_uid"), f"{what}: sop_uid")
        if not sop_uid:
            raise MigrationError(f"{what} has no sop_uid (the image it is on)")
        img = images.get(sop_uid)
        if img is None:  # version 0 allowed marks on images without an "images" entry
            img = images[sop_uid] = ImageAnnotations(sop_instance_uid=sop_uid, study_instance_uid=study_uid)
        if mark_id in img.calcifications:  # version 0 did not keep ids unique: keep both marks
            mark_id = f"{mark_id}-v0-{n}"
        poly = _v0_outline(mark.get("outline"), what)
        for axis in ("x", "y"):
            if axis not in mark:
                raise MigrationError(f"{what} has no {axis}")
        time = _text(mark.get("time"), f"{what}: time", saved) or saved
        center = (_number(mark["x"], f"{what}: x"), _number(mark["y"], f"{what}: y"))
        morphology = _text(mark.get("morphology"), f"{what}: morphology")
        try:
            calc = Calcification(
                id=mark_id,
                center=center,
                outline=poly,
                sizes=Sizes.of_outline(poly, img.dicom_spacing) if poly is not None else None,
                morphology=morphology,
                reader=reader,
                created=time,
                modified=time,
            )
        except ValueError as exc:  # what the model refuses that the checks above let through
            raise MigrationError(f"{what}: {exc}") from None
        img.calcifications[calc.id] = calc
    return {
        "schema_version": 1,
        "program": {"name": "mammo-viewer", "version": "0 (migrated)"},
        "reader": reader,
        "study_instance_uid": study_uid,
        "created": saved,
        "modified": saved,
        "images": [image_to_dict(img) for img in images.values()],
    }


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    empty = {"landmarks": [], "links": [], "assessment": StudyAssessment().to_dict(), "locations": []}
    return dict(data, schema_version=2, reading=empty)


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1, 1: _v1_to_v2}


def migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    """Bring a version-``version`` document up to :data:`SCHEMA_VERSION`.

    Raises :class:`MigrationError` (a ``ValueError``) naming what in the old document
    cannot be read; the caller reports it as a corrupt file, naming the file.
    """
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise MigrationError(f"schema version {version} is unknown")
        data = step(data)
        version += 1
    return data
