"""INbreast export: the OsiriX ROI XML property list the INbreast dataset ships, one per image.

Layout read by the public INbreast parsers (``plistlib.load(f)["Images"][0]["ROIs"]``, each
ROI's ``Point_px`` as ``"(x, y)"`` strings and ``NumberOfPoints``): a calcification is a
point (``Type`` 19, one point) or, when outlined, a contour (``Type`` 15); a cluster is a
polygon named ``"Cluster"``. ``Point_px`` uses mammo-viewer's coordinates unchanged (x =
column, y = row, pixel centres at integers), which the parsers index as ``mask[int(y),
int(x)]``. ``Point_mm`` and ``Area`` (mm^2) are written when the image is calibrated.

Files are named ``<SOP Instance UID>.xml``; with several readers in one export each reader
gets a subfolder.
"""

from __future__ import annotations

import plistlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from viewer.core.annotations import Calcification, Cluster, ImageAnnotations
from viewer.core.cluster_metrics import cluster_metrics
from viewer.core.geometry import Point, Spacing, polygon_area, polygon_centroid
from viewer.interop.options import ExportOptions, image_file_name
from viewer.store.atomic import write_atomic
from viewer.store.safe_names import file_component, inside
from viewer.store.study_tree import AnnotatedStudy

TYPE_POINT = 19
"""OsiriX t2DPoint."""
TYPE_CONTOUR = 15
"""OsiriX tPencil (a closed free-hand contour), as INbreast uses for outlined findings."""
TYPE_POLYGON = 10
"""OsiriX tCPolygon (closed polygon)."""


def _px(p: Point) -> str:
    return f"({p[0]:.6f}, {p[1]:.6f})"


def _mm(p: Point, spacing: Spacing) -> str:
    assert spacing.col_mm is not None and spacing.row_mm is not None
    return f"({p[0] * spacing.col_mm:.6f}, {p[1] * spacing.row_mm:.6f}, 0.000000)"


def _roi(
    name: str,
    roi_type: int,
    points: Sequence[Point],
    index: int,
    spacing: Spacing,
    stats: dict[str, float] | None = None,
    center: Point | None = None,
) -> dict[str, Any]:
    if center is None:
        center = polygon_centroid(points) if len(points) >= 3 else points[0]
    area_px = polygon_area(points) if len(points) >= 3 else 0.0
    area = spacing.area_mm2(area_px)
    roi: dict[str, Any] = {
        "Area": float(area if area is not None else area_px),
        "Center": f"({center[0]:.6f}, {center[1]:.6f}, 0.000000)",
        "Dev": 0.0,
        "IndexInImage": index,
        "Max": 0.0,
        "Mean": 0.0,
        "Min": 0.0,
        "Name": name,
        "NumberOfPoints": len(points),
        "Point_px": [_px(p) for p in points],
        "Total": 0.0,
        "Type": roi_type,
    }
    if spacing.calibrated:
        roi["Point_mm"] = [_mm(p, spacing) for p in points]
    if stats:
        roi.update(stats)
    return roi


def _calcification(calc: Calcification, index: int, spacing: Spacing) -> dict[str, Any]:
    stats = None
    if calc.intensity is not None:
        stats = {"Max": float(calc.intensity.peak), "Mean": float(calc.intensity.mean)}
    if calc.outline is None:
        return _roi("Calcification", TYPE_POINT, [calc.center], index, spacing, stats)
    # Center is the mark's own centre (where the reader clicked the speck), read back on import
    return _roi("Calcification", TYPE_CONTOUR, list(calc.outline), index, spacing, stats, calc.center)


def _cluster(cluster: Cluster, img: ImageAnnotations, index: int) -> dict[str, Any] | None:
    outline = list(cluster_metrics(cluster, img).outline)
    if len(outline) < 3:
        return None  # one or two point marks: no polygon to draw
    return _roi("Cluster", TYPE_POLYGON, outline, index, img.spacing)


def image_plist(img: ImageAnnotations, options: ExportOptions) -> dict[str, Any]:
    """The property list of one image's marks."""
    spacing = img.spacing
    rois = [_calcification(c, i, spacing) for i, c in enumerate(img.calcifications.values())]
    for cluster in img.clusters.values():
        if options.exports_cluster(cluster):
            roi = _cluster(cluster, img, len(rois))
            if roi is not None:
                rois.append(roi)
    return {
        "Images": [
            {
                "ImageHeight": img.rows,
                "ImageIndex": img.frame,
                "ImageWidth": img.columns,
                "NumberOfROIs": len(rois),
                "ROIs": rois,
            }
        ]
    }


def export_inbreast(studies: Iterable[AnnotatedStudy], out: Path, options: ExportOptions) -> list[Path]:
    """Write one XML per annotated image into the folder ``out``; return the files written."""
    entries = [(options.reader(s.model.reader), img) for s in studies for img in s.model.images.values()]
    several = len({reader for reader, _ in entries}) > 1
    written: list[Path] = []
    for reader, img in entries:
        folder = out / file_component(reader, fallback="reader") if several else out
        path = inside(out, folder / (image_file_name(img, options).removesuffix(".dcm") + ".xml"))
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, plistlib.dumps(image_plist(img, options), fmt=plistlib.FMT_XML))
        written.append(path)
    return written
