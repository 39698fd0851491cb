"""The nipple and chest wall of a DICOM mammogram: :func:`viewer.core.nipple_detect.find_landmarks`
told what the header says (laterality, how the image hangs, the background's side, Patient Orientation).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from viewer.core.display_transform import DisplayTransform
from viewer.core.nipple_detect import LandmarkError, find_landmarks
from viewer.core.reading import ImageLandmarks
from viewer.dicom.image import MammoImage


def image_landmarks(image: MammoImage, frame: int = 0) -> ImageLandmarks:
    """Find the landmarks of ``frame``; raise LandmarkError (naming the file) when there is no breast outline.

    The search runs on the image as it hangs (:attr:`MammoImage.hanging_transform`: a
    right breast's chest wall on the right, a left one's on the left, turned upright when
    it was stored a quarter or half turn from that) and the landmarks found are given back
    in stored pixel coordinates. Rows are taken to run from head to foot unless Patient
    Orientation says the head is down as hung.
    """
    orientation = image.patient_orientation
    chest_right: bool | None = None
    hung = DisplayTransform()
    if image.laterality in ("R", "L"):
        hung = image.hanging_transform
        chest_right = image.laterality == "R"
    shown = None if orientation is None else hung.display_orientation(orientation)
    superior_at_top = not (shown is not None and "H" in shown[1])
    values = image.modality_pixels(frame)
    try:
        found = find_landmarks(
            values if hung.is_identity else np.ascontiguousarray(hung.apply_to_array(values)),
            image.view,
            chest_wall_right=chest_right,
            background_high=image.background_high,
            bright_is_high=image.bright_is_high,
            superior_at_top=superior_at_top,
        )
    except LandmarkError as exc:
        raise LandmarkError(f"{image.path.name}: {exc}") from None
    if not hung.is_identity:
        shape = values.shape[-2], values.shape[-1]
        a, b = (hung.unmap_point(p, shape) for p in found.chest_wall)
        found = replace(found, nipple=hung.unmap_point(found.nipple, shape), chest_wall=(a, b))
    return ImageLandmarks(found, orientation)
