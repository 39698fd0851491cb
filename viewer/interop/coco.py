"""COCO detection export: images, two categories, polygon segmentations and boxes in pixels.

COCO's pixel grid puts the *corner* of the top-left pixel at (0, 0), so its centre is at
(0.5, 0.5); mammo-viewer puts pixel centres at integers. Every coordinate is therefore
shifted by +0.5 here, so that a COCO reader rasterising the polygons covers the same pixels.

A point-only mark (no outline, size not measured) becomes the one-pixel square around its
centre, flagged ``"point_only": true`` in its ``attributes``. ``file_name`` is
``<SOP Instance UID>.dcm`` (``<uid>_frame<N>.dcm`` for frame N > 0 of a multi-frame image),
and each image entry carries its UIDs, laterality and view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from viewer import __version__
from viewer.core.annotations import Calcification, Cluster, ImageAnnotations, utc_now
from viewer.core.cluster_metrics import cluster_metrics
from viewer.core.geometry import Point, polygon_area
from viewer.interop.options import ExportOptions, image_file_name
from viewer.store.atomic import write_atomic
from viewer.store.study_tree import AnnotatedStudy

CALCIFICATION_CATEGORY = 1
CLUSTER_CATEGORY = 2
CATEGORIES = [
    {"id": CALCIFICATION_CATEGORY, "name": "calcification", "supercategory": "finding"},
    {"id": CLUSTER_CATEGORY, "name": "cluster", "supercategory": "finding"},
]
COCO_SHIFT = 0.5
"""COCO x/y of a point = mammo-viewer x/y + 0.5 (pixel corner vs pixel centre at 0)."""


def _pixel_square(p: Point) -> list[Point]:
    x, y = p
    return [(x - 0.5, y - 0.5), (x + 0.5, y - 0.5), (x + 0.5, y + 0.5), (x - 0.5, y + 0.5)]


def _polygon_fields(points: Sequence[Point]) -> dict[str, Any]:
    """segmentation, bbox and area of a polygon given in mammo-viewer coordinates."""
    if len(points) < 3:  # a one- or two-point group: the box around it, one pixel wide at least
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        x0, x1, y0, y1 = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
        points = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    coco = [(x + COCO_SHIFT, y + COCO_SHIFT) for x, y in points]
    xs = [p[0] for p in coco]
    ys = [p[1] for p in coco]
    return {
        "segmentation": [[v for p in coco for v in p]],
        "bbox": [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)],
        "area": polygon_area(coco),
    }


def _calcification(calc: Calcification) -> dict[str, Any]:
    outline = list(calc.outline) if calc.outline is not None else _pixel_square(calc.center)
    attributes: dict[str, Any] = {
        "mark_id": calc.id,
        "point_only": calc.outline is None,
        "center": [calc.center[0] + COCO_SHIFT, calc.center[1] + COCO_SHIFT],
        "morphology": calc.morphology,
    }
    if calc.sizes is not None:
        attributes.update(
            long_axis_mm=calc.sizes.long_axis_mm,
            area_mm2=calc.sizes.area_mm2,
            long_axis_px=calc.sizes.long_axis_px,
            spacing_source=calc.sizes.spacing.source.value,
        )
    return dict(
        _polygon_fields(outline), category_id=CALCIFICATION_CATEGORY, iscrowd=0, attributes=attributes
    )


def _cluster(cluster: Cluster, img: ImageAnnotations) -> dict[str, Any]:
    m = cluster_metrics(cluster, img)
    attributes = {
        "cluster_id": cluster.id,
        "state": cluster.state.value,
        "member_mark_ids": list(cluster.member_ids),
        "count": m.count,
        "span_mm": m.span_mm,
        "area_mm2": m.area_mm2,
        "distribution": cluster.distribution,
        "assessment": cluster.assessment,
    }
    return dict(_polygon_fields(m.outline), category_id=CLUSTER_CATEGORY, iscrowd=0, attributes=attributes)


def to_coco(studies: Iterable[AnnotatedStudy], options: ExportOptions) -> dict[str, Any]:
    """The COCO document of the studies (one image entry per annotated image and reader)."""
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for study in studies:
        reader = options.reader(study.model.reader)
        for img in study.model.images.values():
            image_id = len(images) + 1
            images.append(
                {
                    "id": image_id,
                    "file_name": image_file_name(img, options),
                    "width": img.columns,
                    "height": img.rows,
                    "sop_instance_uid": options.uid(img.sop_instance_uid),
                    "frame": img.frame,
                    "study_instance_uid": options.uid(img.study_instance_uid),
                    "series_instance_uid": options.uid(img.series_instance_uid),
                    "laterality": img.laterality,
                    "view": img.view,
                    "reader": reader,
                    "spacing_source": img.spacing.source.value,
                }
            )
            items = [_calcification(c) for c in img.calcifications.values()]
            items += [_cluster(k, img) for k in img.clusters.values() if options.exports_cluster(k)]
            for item in items:
                annotations.append(dict(item, id=len(annotations) + 1, image_id=image_id))
    return {
        "info": {
            "description": f"Calcification annotations exported by mammo-viewer. {options.note}",
            "version": "1.0",
            "contributor": "mammo-viewer " + __version__,
            "date_created": utc_now(),
        },
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": CATEGORIES,
    }


def export_coco(studies: Iterable[AnnotatedStudy], out: Path, options: ExportOptions) -> list[Path]:
    """Write the COCO JSON to ``out`` (a file); return the files written."""
    write_atomic(out, orjson.dumps(to_coco(studies, options), option=orjson.OPT_INDENT_2))
    return [out]
