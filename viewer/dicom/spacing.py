"""Which pixel spacing a mammogram's sizes are measured with (DOMAIN.md section 3).

Order of precedence:

1. Pixel Spacing (0028,0030) with Pixel Spacing Calibration Type (0028,0A02)
   GEOMETRY -> "corrected to the breast plane", FIDUCIAL -> "calibrated".
2. Pixel Spacing present and different from Imager Pixel Spacing -> corrected by the
   modality; Pixel Spacing without Imager Pixel Spacing -> as the file says.
3. Imager Pixel Spacing (0018,1164) with an Estimated Radiographic Magnification Factor
   (0018,1114) > 1, or else Distance Source to Detector / Distance Source to Patient
   > 1 -> IPS / ERMF, estimated at the breast plane.
4. Imager Pixel Spacing alone -> at the detector, which overestimates sizes.
5. Nothing -> pixels only.

A Pixel Spacing that geometric magnification cannot explain (larger than the Imager
Pixel Spacing, or smaller by more than :data:`MAX_MAGNIFICATION`) contradicts the
detector and is ignored, with a note in the label: sizes from it would be absurd.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydicom.dataset import Dataset

from viewer.core.geometry import Spacing, SpacingSource

MAX_MAGNIFICATION = 3.0
"""Largest ratio Imager Pixel Spacing / Pixel Spacing accepted as a real correction."""

_SAME_TOLERANCE = 1e-3
"""Relative difference under which two spacings count as equal (DS rounding)."""


def _pair(value: Any) -> tuple[float, float] | None:
    """A (row, col) spacing from a DS value, or None when absent or unusable."""
    if value is None:
        return None
    try:
        items: Sequence[Any] = list(value) if not isinstance(value, str) else [value]
        if len(items) == 1:
            items = [items[0], items[0]]
        row, col = float(items[0]), float(items[1])
    except (TypeError, ValueError, IndexError):
        return None
    if not (math.isfinite(row) and math.isfinite(col)) or row <= 0 or col <= 0:
        return None
    return (row, col)


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _pixel_measures(ds: Dataset, frame: int) -> Any:
    """Pixel Spacing from the functional groups of an enhanced (multi-frame) image."""
    for sequence_name in ("PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence"):
        groups = ds.get(sequence_name)
        if not groups:
            continue
        index = min(frame, len(groups) - 1) if sequence_name.startswith("PerFrame") else 0
        measures = groups[index].get("PixelMeasuresSequence")
        if measures and "PixelSpacing" in measures[0]:
            return measures[0].PixelSpacing
    return None


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(abs(x - y) <= _SAME_TOLERANCE * max(x, y) for x, y in zip(a, b, strict=True))


def _magnification(ds: Dataset) -> float | None:
    """ERMF, or SID / SOD when ERMF is absent; None when neither is usable."""
    ermf = _positive(ds.get("EstimatedRadiographicMagnificationFactor"))
    if ermf is not None:
        return ermf
    sid = _positive(ds.get("DistanceSourceToDetector"))
    sod = _positive(ds.get("DistanceSourceToPatient"))
    if sid is not None and sod is not None:
        return sid / sod
    return None


def resolve_spacing(ds: Dataset, frame: int = 0) -> Spacing:
    """The spacing to measure ``ds`` with, its source and the label shown beside mm values.

    Parameters
    ----------
    ds
        A dataset (the header is enough).
    frame
        For enhanced multi-frame images: the frame whose Pixel Measures apply.
    """
    ps = _pair(ds.get("PixelSpacing")) or _pair(_pixel_measures(ds, frame))
    ips = _pair(ds.get("ImagerPixelSpacing"))
    calibration = str(ds.get("PixelSpacingCalibrationType", "") or "").strip().upper() or None
    note = ""

    if ps is not None and ips is not None and not _same(ps, ips):
        ratios = (ips[0] / ps[0], ips[1] / ps[1])
        if not all(1.0 - _SAME_TOLERANCE <= r <= MAX_MAGNIFICATION for r in ratios):
            note = "; Pixel Spacing ignored: contradicts Imager Pixel Spacing"
            ps = None

    if ps is not None:
        if calibration == "GEOMETRY":
            label = "mm corrected to the breast plane (GEOMETRY)"
        elif calibration == "FIDUCIAL":
            label = "mm calibrated (FIDUCIAL)"
        elif ips is None:
            label = "mm (Pixel Spacing)"
        elif not _same(ps, ips):
            label = "mm corrected by the modality"
        else:
            ps = None  # equal to IPS: nothing was corrected, the IPS rules decide
        if ps is not None:
            return Spacing(ps[0], ps[1], SpacingSource.PIXEL_SPACING, label, calibration_type=calibration)

    if ips is not None:
        ermf = _magnification(ds)
        if ermf is not None and ermf > 1.0 + 1e-6:
            return Spacing(
                ips[0] / ermf,
                ips[1] / ermf,
                SpacingSource.IMAGER_PIXEL_SPACING_ERMF,
                f"mm at the breast plane (ERMF {ermf:.2f}){note}",
                ermf=ermf,
                calibration_type=calibration,
            )
        return Spacing(
            ips[0],
            ips[1],
            SpacingSource.IMAGER_PIXEL_SPACING,
            f"mm at the detector (overestimates){note}",
            ermf=ermf,
            calibration_type=calibration,
        )
    return Spacing.uncalibrated()
