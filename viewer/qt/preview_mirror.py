"""The hanging mirror of an image guessed from its first preview, before the header is trusted.

An image of known side whose file does not say how it hangs is mirrored so that its chest
wall faces the middle: the side of the preview holding more tissue is taken as the chest wall.
"""

from __future__ import annotations

import numpy as np

from viewer.core.tissue_window import tissue_mask
from viewer.dicom.image import MammoImage
from viewer.dicom.views import mirror_from_tissue


def guess_mirror(image: MammoImage, array: np.ndarray) -> bool:
    """The hanging mirror guessed from which side of the preview ``array`` holds the tissue."""
    if image.laterality is None:
        return False
    mask = tissue_mask(np.asarray(image.modality_lut.apply(array), dtype=np.float64), image.background_high)
    if mask is None:
        return False
    third = max(1, mask.shape[1] // 3)
    return mirror_from_tissue(image.laterality, float(mask[:, :third].mean()), float(mask[:, -third:].mean()))
