"""The display table of a view: stored value -> 8-bit grey, built once per window change, and
its application to the pixels (the views, the magnifier and ``mammo-viewer render``).

The chain is PS3.3's: Modality LUT (C.11.1), VOI LUT or window (C.11.2), then the
inversion of MONOCHROME1 / Presentation LUT Shape INVERSE (C.11.6), quantised to 8 bits.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from viewer.core.windowing import ModalityLut, VoiPreset, apply_voi


@lru_cache(maxsize=8)
def _stored_axis(stored_min: int, stored_max: int) -> NDArray[np.float32]:
    axis = np.arange(stored_min, stored_max + 1, dtype=np.float32)
    axis.flags.writeable = False
    return axis


def display_lut(
    stored_min: int,
    stored_max: int,
    modality: ModalityLut,
    voi: VoiPreset,
    invert: bool,
) -> NDArray[np.uint8]:
    """The 8-bit display table of every possible stored value.

    Entry ``i`` is the grey level (0 = black, 255 = white) shown for stored value
    ``stored_min + i``: Modality LUT, then VOI, then the inversion of MONOCHROME1 /
    Presentation LUT Shape INVERSE (PS3.3 C.11.6), quantised to 8 bits by rounding.
    Display an image with ``lut[pixels - stored_min]``.

    Computed in float32 (exact for integers below 2**24, far finer than a grey
    level), which makes a 65536-entry table take well under a millisecond.
    """
    if stored_max < stored_min:
        raise ValueError(f"stored_max {stored_max} < stored_min {stored_min}")
    stored = _stored_axis(stored_min, stored_max)
    if modality.is_identity:
        values: NDArray[np.float32] = stored
    else:
        values = modality.apply(stored).astype(np.float32, copy=False)
    grey = apply_voi(values, voi, 0.0, 255.0)
    if grey is values or grey is stored:
        grey = grey.copy()
    if invert:
        np.subtract(np.float32(255.0), grey, out=grey)
    grey += np.float32(0.5)  # round half up on the truncating cast below
    np.clip(grey, 0.0, 255.0, out=grey)
    return grey.astype(np.uint8)


LUT_BAND_ROWS = 64
"""Rows looked up at a time by :func:`apply_display_lut`."""


def apply_display_lut(pixels: NDArray[Any], lut: NDArray[np.uint8], stored_min: int) -> NDArray[np.uint8]:
    """Grey levels of stored ``pixels`` through a :func:`display_lut` table: ``lut[pixels - stored_min]``.

    The one display-LUT application of the program (the views, the magnifier and
    ``mammo-viewer render`` use it). ``pixels`` may be any 2-D integer array (a full
    frame, a crop, a subsampled level, a strided view); values outside the table are
    clamped to its ends. Returns a new C-contiguous array.

    numpy turns an index array into intp (8 bytes a pixel) before a lookup; a band of
    rows at a time keeps that temporary in the CPU cache (3-4x faster on a 10-megapixel
    crop than one lookup of the whole array).
    """
    if pixels.ndim != 2:
        raise ValueError(f"apply_display_lut takes a 2-D array of stored values, not {pixels.ndim}-D")
    out = np.empty(pixels.shape, dtype=lut.dtype)
    for r in range(0, pixels.shape[0], LUT_BAND_ROWS):
        band = pixels[r : r + LUT_BAND_ROWS]
        if stored_min:
            band = band.astype(np.int32) - stored_min
        np.take(lut, band, out=out[r : r + LUT_BAND_ROWS], mode="clip")
    return out
