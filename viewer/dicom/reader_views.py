"""The reader's view corrections, kept in the annotation file, applied to the opened images.

A reader who sets an image's laterality and view (``SetImageView``) records them in the
image's annotation entry with ``view_source = "reader"``; on the next open they win over
the file's header and over any inferred view, so the image hangs where the reader put it.
"""

from __future__ import annotations

from collections.abc import Iterable

from viewer.core.annotations import StudyAnnotations
from viewer.dicom.image import MammoImage


def apply_reader_views(images: Iterable[MammoImage], model: StudyAnnotations) -> list[MammoImage]:
    """Give each image the view its annotation entry holds when the reader set it; the changed ones."""
    changed: list[MammoImage] = []
    for image in images:
        entry = model.images.get((image.sop_instance_uid, 0))
        if entry is None:
            continue
        if entry.view_source == "reader" or image.view_source == "reader":
            wanted = (entry.laterality if entry.laterality in ("R", "L") else None, entry.view)
        else:
            continue
        source = entry.view_source
        if (image.laterality, image.view, image.view_source) != (*wanted, source):
            image.set_view(*wanted, source=source)
            changed.append(image)
    return changed
