"""Where each mark, cluster and linked finding of a study is: :mod:`viewer.core.location` over the model.

A cluster's centre is the mean of its members' centres. An image without landmarks, a
link whose mark or cluster is gone or whose views lack landmarks or Patient Orientation
has no place (None), never a guessed one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from viewer.core.annotations import ImageAnnotations, StudyAnnotations
from viewer.core.geometry import Point
from viewer.core.location import FindingPosition, ViewLocation, ViewPoint, finding_position, locate
from viewer.core.reading import FindingLink, FindingRef


def item_center(image: ImageAnnotations, item_id: str) -> Point | None:
    """The centre of a mark, or of a cluster (mean of its members' centres); None if neither exists."""
    calc = image.calcifications.get(item_id)
    if calc is not None:
        return calc.center
    cluster = image.clusters.get(item_id)
    if cluster is None:
        return None
    centres = [image.calcifications[m].center for m in cluster.member_ids if m in image.calcifications]
    if not centres:
        return None
    mean = np.mean(np.asarray(centres, dtype=np.float64), axis=0)
    return (float(mean[0]), float(mean[1]))


def locate_item(model: StudyAnnotations, ref: FindingRef) -> ViewLocation | None:
    """Nipple distance and depth of one mark or cluster, if its image has landmarks."""
    marks = model.reading.landmarks.get(ref.image)
    image = model.images.get(ref.image)
    if marks is None or image is None:
        return None
    center = item_center(image, ref.item_id)
    return None if center is None else locate(center, marks.landmarks, image.spacing)


def _view_point(model: StudyAnnotations, ref: FindingRef) -> ViewPoint | None:
    marks = model.reading.landmarks.get(ref.image)
    image = model.images.get(ref.image)
    if marks is None or image is None or marks.orientation is None:
        return None
    center = item_center(image, ref.item_id)
    return None if center is None else ViewPoint(center, marks.landmarks, image.spacing, marks.orientation)


def link_position(model: StudyAnnotations, link: FindingLink) -> FindingPosition | None:
    """Clock face, quadrant, nipple distance and depth of a linked finding; None when it cannot be placed."""
    cc, mlo = _view_point(model, link.cc), _view_point(model, link.mlo)
    if cc is None or mlo is None:
        return None
    return finding_position(link.laterality, cc, mlo)


def item_locations(model: StudyAnnotations) -> list[dict[str, Any]]:
    """One record per mark and (not rejected) cluster on an image with landmarks, for files and exports."""
    out: list[dict[str, Any]] = []
    for key, image in model.images.items():
        if key not in model.reading.landmarks:
            continue
        items = [("calcification", c) for c in image.calcifications] + [
            ("cluster", cid) for cid, c in image.clusters.items() if not c.rejected
        ]
        for kind, item_id in items:
            where = locate_item(model, FindingRef(key, item_id))
            if where is not None:
                out.append(
                    {"sop_instance_uid": key[0], "frame": key[1], "kind": kind, "id": item_id}
                    | where.to_dict()
                )
    return out
