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


def _v0_spacing(info: dict[str, Any]) -> Spacing:
    values = info.get("pixel_spacing_mm")
    if values is None:
        return Spacing.uncalibrated()
    source = SpacingSource(info.get("spacing_source", SpacingSource.PIXEL_SPACING.value))
    return Spacing(float(values[0]), float(values[1]), source, _V0_LABELS[source])


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    study_uid = str(data.get("study_uid", ""))
    reader = str(data.get("reader", ""))
    saved = str(data.get("saved", ""))
    images: dict[str, ImageAnnotations] = {}
    for uid, info in dict(data.get("images", {})).items():
        images[uid] = ImageAnnotations(
            sop_instance_uid=uid,
            study_instance_uid=study_uid,
            rows=int(info.get("rows", 0)),
            columns=int(info.get("columns", 0)),
            laterality=info.get("laterality"),
            view=info.get("view"),
            dicom_spacing=_v0_spacing(info),
        )
    for n, mark in enumerate(data["marks"]):
        uid = mark["sop_uid"]
        img = images.get(uid)
        if img is None:  # version 0 allowed marks on images without an "images" entry
            img = images[uid] = ImageAnnotations(sop_instance_uid=uid, study_instance_uid=study_uid)
        outline = mark.get("outline")
        poly = tuple((float(x), float(y)) for x, y in outline) if outline else None
        calc = Calcification(
            id=str(mark.get("id") or f"v0-{n}"),
            center=(float(mark["x"]), float(mark["y"])),
            outline=poly,
            sizes=Sizes.of_outline(poly, img.dicom_spacing) if poly is not None else None,
            morphology=mark.get("morphology"),
            reader=reader,
            created=str(mark.get("time", saved)),
            modified=str(mark.get("time", saved)),
        )
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

    Raises ``ValueError`` (or ``KeyError``/``TypeError`` on a malformed old document);
    the caller reports it as a corrupt file.
    """
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"schema version {version} is unknown")
        data = step(data)
        version += 1
    return data
