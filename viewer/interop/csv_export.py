"""CSV export: one row per calcification and one per cluster, for spreadsheets and pandas.

Every row carries the image's UIDs, laterality and view; sizes are in mm (empty when the
image is uncalibrated) with the spacing source and label beside them, as on screen.
Coordinates are pixels of the stored image: x = column, y = row, pixel centres at integers;
``outline`` holds a mark's or cluster's outline as ``"x y;x y;..."``, so that
``import --format csv`` (:mod:`viewer.interop.csv_import`) gives the marks back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from viewer.core.annotations import Calcification, Cluster, ImageAnnotations, StudyAnnotations
from viewer.core.cluster_metrics import cluster_metrics
from viewer.core.finding_places import link_position, locate_item
from viewer.core.location import clock_label
from viewer.core.reading import FindingRef
from viewer.interop.options import ExportOptions
from viewer.store.atomic import write_atomic
from viewer.store.study_tree import AnnotatedStudy

COLUMNS = [
    "row_type",
    "study_instance_uid",
    "series_instance_uid",
    "sop_instance_uid",
    "frame",
    "laterality",
    "view",
    "reader",
    "id",
    "cluster_id",
    "cluster_state",
    "center_x",
    "center_y",
    "long_axis_mm",
    "short_axis_mm",
    "area_mm2",
    "long_axis_px",
    "short_axis_px",
    "area_px",
    "count",
    "span_mm",
    "span_px",
    "spacing_source",
    "spacing_label",
    "row_mm",
    "col_mm",
    "morphology",
    "distribution",
    "assessment",
    "recommendation",
    "note",
    "created",
    "modified",
    "nipple_distance_mm",
    "depth",
    "clock",
    "quadrant",
    "outline",
]


def _num(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _outline(points: tuple[tuple[float, float], ...] | list[tuple[float, float]] | None) -> str:
    """``"x y;x y;..."`` (pixels, full precision), empty for none: what ``import --format csv`` reads."""
    return "" if not points else ";".join(f"{_num(x)} {_num(y)}" for x, y in points)


def _image_fields(img: ImageAnnotations, reader: str, options: ExportOptions) -> dict[str, Any]:
    spacing = img.spacing
    return {
        "study_instance_uid": options.uid(img.study_instance_uid),
        "series_instance_uid": options.uid(img.series_instance_uid),
        "sop_instance_uid": options.uid(img.sop_instance_uid),
        "frame": img.frame,
        "laterality": img.laterality or "",
        "view": img.view or "",
        "reader": reader,
        "spacing_source": spacing.source.value,
        "spacing_label": spacing.label,
        "row_mm": _num(spacing.row_mm),
        "col_mm": _num(spacing.col_mm),
    }


def _calcification_row(calc: Calcification, img: ImageAnnotations, base: dict[str, Any]) -> dict[str, Any]:
    owner = img.cluster_of(calc.id)
    row = dict(
        base,
        row_type="calcification",
        id=calc.id,
        cluster_id=owner.id if owner else "",
        cluster_state=owner.state.value if owner else "",
        center_x=_num(calc.center[0]),
        center_y=_num(calc.center[1]),
        outline=_outline(calc.outline),
        morphology=calc.morphology or "",
        created=calc.created,
        modified=calc.modified,
    )
    if calc.sizes is not None:
        s = calc.sizes
        row.update(
            long_axis_mm=_num(s.long_axis_mm),
            short_axis_mm=_num(s.short_axis_mm),
            area_mm2=_num(s.area_mm2),
            long_axis_px=_num(s.long_axis_px),
            short_axis_px=_num(s.short_axis_px),
            area_px=_num(s.area_px),
            # the spacing these sizes were measured with (may predate a calibration)
            spacing_source=s.spacing.source.value,
            spacing_label=s.spacing.label,
            row_mm=_num(s.spacing.row_mm),
            col_mm=_num(s.spacing.col_mm),
        )
    return row


def _cluster_row(
    cluster: Cluster, img: ImageAnnotations, base: dict[str, Any], options: ExportOptions
) -> dict[str, Any]:
    row = dict(
        base,
        row_type="cluster",
        id=cluster.id,
        cluster_id=cluster.id,
        cluster_state=cluster.state.value,
        distribution=cluster.distribution or "",
        assessment=cluster.assessment or "",
        recommendation=cluster.recommendation or "",
        note=options.text(cluster.note),
        created=cluster.created,
        modified=cluster.modified,
        count=len(cluster.member_ids),
        outline=_outline(cluster.outline),
    )
    if cluster.member_ids or cluster.outline is not None:
        m = cluster_metrics(cluster, img)
        row.update(
            center_x=_num(m.centroid[0]),
            center_y=_num(m.centroid[1]),
            span_mm=_num(m.span_mm),
            span_px=_num(m.span_px),
            area_mm2=_num(m.area_mm2),
            area_px=_num(m.area_px),
            count=m.count,
        )
    return row


def _location(model: StudyAnnotations, ref: FindingRef) -> dict[str, Any]:
    """Nipple distance and depth (where the image has landmarks), clock and quadrant (where linked)."""
    out: dict[str, Any] = {}
    where = locate_item(model, ref)
    if where is not None:
        out.update(nipple_distance_mm=_num(where.nipple_distance_mm), depth=where.depth.value)
    link = model.reading.link_of(ref)
    position = link_position(model, link) if link is not None else None
    if position is not None:
        out.update(clock=clock_label(position.clock_hour), quadrant=position.quadrant)
    return out


def rows(studies: Iterable[AnnotatedStudy], options: ExportOptions) -> Iterator[dict[str, Any]]:
    """The CSV rows of the studies, image by image: its calcifications, then its clusters.

    ``nipple_distance_mm`` (with the row's spacing) and ``depth`` are filled where the image
    has a nipple in the file, ``clock`` and ``quadrant`` where the finding is linked across CC
    and MLO.
    """
    for study in studies:
        reader = options.reader(study.model.reader)
        model = study.model
        for key, img in model.images.items():
            base = _image_fields(img, reader, options)
            for calc in img.calcifications.values():
                yield _calcification_row(calc, img, base) | _location(model, FindingRef(key, calc.id))
            for cluster in img.clusters.values():
                yield _cluster_row(cluster, img, base, options) | _location(
                    model, FindingRef(key, cluster.id)
                )


def to_csv(studies: Iterable[AnnotatedStudy], options: ExportOptions) -> str:
    """The whole CSV text (header first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(studies, options))
    return out.getvalue()


def export_csv(studies: Iterable[AnnotatedStudy], out: Path, options: ExportOptions) -> list[Path]:
    """Write the CSV to ``out`` (a file); return the files written."""
    # utf-8-sig so that spreadsheet programs read accented reader names right
    write_atomic(out, to_csv(studies, options).encode("utf-8-sig"))
    return [out]
