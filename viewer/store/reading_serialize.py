"""A study's reading (:mod:`viewer.core.reading`) <-> the sidecar's ``reading`` object (schema version 2).

``landmarks`` and ``links`` name images by SOP Instance UID and frame, and marks or
clusters by id. ``locations`` (every mark's and cluster's nipple distance and depth) and
each link's ``position`` (clock face, quadrant) are derived, written for the people and
programs that read the file, and ignored on load. A link whose mark or cluster no longer
exists is not written.
"""

from __future__ import annotations

from typing import Any

from viewer.core.annotations import StudyAnnotations
from viewer.core.finding_places import item_center, item_locations, link_position
from viewer.core.landmarks import Landmarks
from viewer.core.reading import FindingLink, FindingRef, ImageLandmarks, StudyAssessment, StudyReading


def _ref_to_dict(ref: FindingRef) -> dict[str, Any]:
    return {"sop_instance_uid": ref.image[0], "frame": ref.image[1], "item_id": ref.item_id}


def _ref_from_dict(d: dict[str, Any]) -> FindingRef:
    return FindingRef((str(d["sop_instance_uid"]), int(d["frame"])), str(d["item_id"]))


def _exists(model: StudyAnnotations, ref: FindingRef) -> bool:
    image = model.images.get(ref.image)
    return image is not None and item_center(image, ref.item_id) is not None


def reading_to_dict(model: StudyAnnotations) -> dict[str, Any]:
    """The ``reading`` object of the sidecar document."""
    reading = model.reading
    links = []
    for link in reading.links.values():
        if not (_exists(model, link.cc) and _exists(model, link.mlo)):
            continue
        position = link_position(model, link)
        links.append(
            {
                "id": link.id,
                "laterality": link.laterality,
                "cc": _ref_to_dict(link.cc),
                "mlo": _ref_to_dict(link.mlo),
                "reader": link.reader,
                "created": link.created,
                "position": None if position is None else position.to_dict(),
            }
        )
    return {
        "landmarks": [
            {
                "sop_instance_uid": key[0],
                "frame": key[1],
                "patient_orientation": None if marks.orientation is None else list(marks.orientation),
            }
            | marks.landmarks.to_dict()
            for key, marks in reading.landmarks.items()
        ],
        "links": links,
        "assessment": reading.assessment.to_dict(),
        "locations": item_locations(model),
    }


def reading_from_dict(data: dict[str, Any]) -> StudyReading:
    """The reading of a schema-valid ``reading`` object; inverse of :func:`reading_to_dict`."""
    reading = StudyReading()
    for d in data.get("landmarks", []):
        key = (str(d["sop_instance_uid"]), int(d["frame"]))
        if key in reading.landmarks:
            raise ValueError(f"image {key[0]} frame {key[1]} has landmarks twice")
        orientation = d.get("patient_orientation")
        reading.landmarks[key] = ImageLandmarks(
            Landmarks.from_dict(d),
            None if orientation is None else (str(orientation[0]), str(orientation[1])),
        )
    for d in data.get("links", []):
        link = FindingLink(
            str(d["id"]),
            str(d["laterality"]),
            _ref_from_dict(d["cc"]),
            _ref_from_dict(d["mlo"]),
            str(d.get("reader", "")),
            str(d.get("created", "")),
        )
        if link.id in reading.links:
            raise ValueError(f"link {link.id} appears twice")
        reading.links[link.id] = link
    reading.assessment = StudyAssessment.from_dict(dict(data.get("assessment") or {}))
    return reading
