"""The nipple and chest wall of a DICOM mammogram: :func:`viewer.core.nipple_detect.find_landmarks`
told what the header says (laterality, the hanging mirror, the background's side, Patient Orientation).
"""

from __future__ import annotations

from viewer.core.nipple_detect import LandmarkError, find_landmarks
from viewer.core.reading import ImageLandmarks
from viewer.dicom.image import MammoImage


def image_landmarks(image: MammoImage, frame: int = 0) -> ImageLandmarks:
    """Find the landmarks of ``frame``; raise LandmarkError (naming the file) when there is no breast outline.

    The chest wall side follows the hanging: a right breast hung unmirrored has its chest wall
    at the last column. Rows are taken to run from head to foot unless Patient Orientation's
    row direction says the head is down.
    """
    orientation = image.patient_orientation
    chest_right: bool | None = None
    if image.laterality in ("R", "L"):
        chest_right = (image.laterality == "R") != image.mirror_for_hanging
    superior_at_top = not (orientation is not None and "H" in orientation[1].upper())
    try:
        landmarks = find_landmarks(
            image.modality_pixels(frame),
            image.view,
            chest_wall_right=chest_right,
            background_high=image.background_high,
            bright_is_high=image.bright_is_high,
            superior_at_top=superior_at_top,
        )
    except LandmarkError as exc:
        raise LandmarkError(f"{image.path.name}: {exc}") from None
    return ImageLandmarks(landmarks, orientation)
