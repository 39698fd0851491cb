"""Which pixel spacing a mammogram's sizes are measured with (DOMAIN.md section 3).

Order of precedence, the first rule that applies wins:

1. Pixel Spacing (0028,0030) with Pixel Spacing Calibration Type (0028,0A02)
   GEOMETRY -> "corrected to the breast plane", FIDUCIAL -> "calibrated". The
   calibration type is the modality's explicit statement: it wins even where Pixel
   Spacing differs from Imager Pixel Spacing, and it is not checked for plausibility.
2. An uncalibrated Pixel Spacing different from Imager Pixel Spacing -> "corrected by
   the modality", when the ratio PS / IPS lies within :data:`PLAUSIBLE_PS_IPS_RATIO`
   on both axes; outside it the header is in error: a note says so and IPS is used.
   Pixel Spacing without Imager Pixel Spacing is taken as the file says.
3. Imager Pixel Spacing (0018,1164) with an Estimated Radiographic Magnification
   Factor (0018,1114) > 1 -> IPS / ERMF; else, ERMF absent or 1.0 and Distance Source to
   Detector (0018,1110) / Distance Source to Patient (0018,1111) > 1 -> IPS x SOD / SID.
   Both "estimated at the breast plane". A factor outside :data:`MAGNIFICATION_RANGE`
   is a unit or entry error: refused with a note, and the next rule applies.
4. Imager Pixel Spacing alone -> at the detector, which overestimates sizes.
5. Nothing -> pixels only.

Every value that cannot be used (zero, negative, NaN, text) is skipped with a note that
names the attribute and the value; the note travels in :attr:`Spacing.note` and never
raises. Enhanced multi-frame images carry Pixel Spacing in the Pixel Measures of their
Per-frame Functional Groups (frame by frame), else the Shared ones, else the top level;
Imager Pixel Spacing, the ERMF and the source distances likewise, from whichever macro of
the frame holds them (:func:`viewer.dicom.frames.frame_value`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydicom.dataset import Dataset

from viewer.core.geometry import Spacing, SpacingSource, magnification_text
from viewer.dicom.frames import frame_macro, frame_value

PLAUSIBLE_PS_IPS_RATIO = (0.5, 1.02)
"""Pixel Spacing / Imager Pixel Spacing an uncalibrated correction may have (DOMAIN.md 3).

Below 0.5 would mean a magnification over 2 that no contact view has; above 1.02 a
pixel larger at the breast than at the detector, which geometry cannot give.
"""

MAGNIFICATION_RANGE = (1.0, 3.0)
"""Magnification factors (ERMF, SID/SOD) that are physically possible."""

_SAME_TOLERANCE = 1e-3
"""Relative difference under which two spacings count as equal (DS rounding)."""

_CALIBRATED = {
    "GEOMETRY": "mm corrected to the breast plane (GEOMETRY)",
    "FIDUCIAL": "mm calibrated (FIDUCIAL)",
}

_NAMES = {
    "PixelSpacing": "Pixel Spacing (0028,0030)",
    "ImagerPixelSpacing": "Imager Pixel Spacing (0018,1164)",
    "EstimatedRadiographicMagnificationFactor": "Estimated Radiographic Magnification Factor (0018,1114)",
    "DistanceSourceToDetector": "Distance Source to Detector (0018,1110)",
    "DistanceSourceToPatient": "Distance Source to Patient (0018,1111)",
    "PixelSpacingCalibrationType": "Pixel Spacing Calibration Type (0028,0A02)",
}


def _text(value: Any) -> str:
    """A DICOM value as the file writes it (multi-values joined with a backslash)."""
    if isinstance(value, str | bytes | int | float):
        return str(value)
    try:
        return "\\".join(str(v) for v in value)
    except TypeError:
        return str(value)


class _Notes:
    """The reasons rules were skipped, in the order met."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)

    def __str__(self) -> str:
        return "; ".join(self.items)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pair(value: Any, keyword: str, notes: _Notes) -> tuple[float, float] | None:
    """A (row, col) spacing from a DS value; None (with a note) when absent or unusable."""
    if value is None or value == "" or value == []:
        return None
    try:
        items: Sequence[Any] = list(value) if not isinstance(value, str | bytes) else [value]
    except TypeError:
        items = [value]
    if len(items) == 1:
        items = [items[0], items[0]]
    numbers = [_number(v) for v in items[:2]] if len(items) >= 2 else [None]
    if len(items) > 2 or any(n is None or n <= 0 for n in numbers):
        notes.add(f"{_NAMES[keyword]} '{_text(value)}' ignored: not two positive numbers")
        return None
    row, col = numbers
    assert row is not None and col is not None
    return (row, col)


def _positive(ds: Dataset | dict[str, Any], keyword: str, notes: _Notes) -> float | None:
    """A positive finite number from ``ds``; None (with a note when present) otherwise."""
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    number = _number(value)
    if number is None or number <= 0:
        notes.add(f"{_NAMES[keyword]} '{_text(value)}' ignored: not a positive number")
        return None
    return number


def _pixel_measures(ds: Dataset, frame: int) -> tuple[Any, Dataset | None]:
    """Pixel Spacing of ``frame`` from the functional groups, and the item that holds it.

    The frame's own Pixel Measures first, then the shared ones; ``(None, None)`` when
    neither has a Pixel Spacing.
    """
    measures = frame_macro(ds, frame, "PixelMeasuresSequence", "PixelSpacing")
    if measures is None:
        return None, None
    return measures.PixelSpacing, measures


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(abs(x - y) <= _SAME_TOLERANCE * max(x, y) for x, y in zip(a, b, strict=True))


def _in_range(factor: float, bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return low - 1e-9 <= factor <= high + 1e-9


def _calibration(ds: Dataset, holder: Dataset | None, notes: _Notes) -> str | None:
    """Pixel Spacing Calibration Type of the item holding Pixel Spacing, else of ``ds``."""
    raw = None
    for source in (holder, ds):
        if source is not None and source.get("PixelSpacingCalibrationType"):
            raw = source.get("PixelSpacingCalibrationType")
            break
    text = str(raw or "").strip().upper()
    if text and text not in _CALIBRATED:
        notes.add(
            f"{_NAMES['PixelSpacingCalibrationType']} '{text}' not a defined term: taken as uncalibrated"
        )
    return text or None


def _from_pixel_spacing(
    ps: tuple[float, float],
    ips: tuple[float, float] | None,
    calibration: str | None,
    raw_ps: Any,
    notes: _Notes,
) -> Spacing | None:
    """Rules 1 and 2; None when Pixel Spacing does not decide (equal to IPS, or implausible)."""
    if calibration in _CALIBRATED:
        return Spacing(
            ps[0], ps[1], SpacingSource.PIXEL_SPACING, _CALIBRATED[calibration], None, calibration, str(notes)
        )
    if ips is None:
        return Spacing(
            ps[0], ps[1], SpacingSource.PIXEL_SPACING, "mm (Pixel Spacing)", None, calibration, str(notes)
        )
    if _same(ps, ips):
        return None  # nothing was corrected: the Imager Pixel Spacing rules decide
    ratios = (ps[0] / ips[0], ps[1] / ips[1])
    if not all(_in_range(r, PLAUSIBLE_PS_IPS_RATIO) for r in ratios):
        low, high = PLAUSIBLE_PS_IPS_RATIO
        shown = "/".join(f"{r:.3g}" for r in sorted(set(ratios)))
        notes.add(
            f"{_NAMES['PixelSpacing']} '{_text(raw_ps)}' ignored: its ratio to Imager Pixel Spacing "
            f"({shown}) is outside {low}-{high}, a header error"
        )
        return None
    return Spacing(
        ps[0],
        ps[1],
        SpacingSource.PIXEL_SPACING,
        "mm corrected by the modality",
        None,
        calibration,
        str(notes),
    )


def _magnified(
    ds: Dataset | dict[str, Any], ips: tuple[float, float], calibration: str | None, notes: _Notes
) -> Spacing | None:
    """Rule 3: IPS / ERMF, else IPS x SOD / SID; None when no usable factor > 1 is found."""
    low, high = MAGNIFICATION_RANGE
    ermf = _positive(ds, "EstimatedRadiographicMagnificationFactor", notes)
    if ermf is not None and not _in_range(ermf, MAGNIFICATION_RANGE):
        notes.add(
            f"{_NAMES['EstimatedRadiographicMagnificationFactor']} {ermf:g} refused: outside {low}-{high} "
            "(a unit or entry error)"
        )
        ermf = None
    if ermf is not None and ermf > 1.0 + 1e-6:
        label = f"mm at the breast plane (ERMF {magnification_text(ermf)})"
        source = SpacingSource.IMAGER_PIXEL_SPACING_ERMF
        return Spacing(ips[0] / ermf, ips[1] / ermf, source, label, ermf, calibration, str(notes))
    sid = _positive(ds, "DistanceSourceToDetector", notes)
    sod = _positive(ds, "DistanceSourceToPatient", notes)
    if sid is None or sod is None:
        return None
    factor = sid / sod
    if not _in_range(factor, MAGNIFICATION_RANGE):
        notes.add(
            f"magnification {_NAMES['DistanceSourceToDetector']} {sid:g} / "
            f"{_NAMES['DistanceSourceToPatient']} {sod:g} = {factor:.3g} refused: outside {low}-{high} "
            "(a unit or entry error)"
        )
        return None
    if factor <= 1.0 + 1e-6:
        return None
    label = f"mm at the breast plane (SID/SOD {magnification_text(factor)})"
    source = SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD
    return Spacing(ips[0] / factor, ips[1] / factor, source, label, factor, calibration, str(notes))


_GEOMETRY = (
    "ImagerPixelSpacing",
    "EstimatedRadiographicMagnificationFactor",
    "DistanceSourceToDetector",
    "DistanceSourceToPatient",
)


def _geometry(ds: Dataset, frame: int) -> dict[str, Any]:
    """The attributes of rules 3-4 for ``frame``: from its functional groups where an enhanced
    image files them there (X-Ray geometry and acquisition macros), else from the top level.

    Values are kept as read (a bad one is named by the rule that meets it)."""
    return {keyword: frame_value(ds, frame, keyword) for keyword in _GEOMETRY}


def resolve_spacing(ds: Dataset, frame: int = 0) -> Spacing:
    """The spacing to measure ``ds`` with, its source, the label shown beside mm values and why.

    Parameters
    ----------
    ds
        A dataset (the header is enough).
    frame
        For enhanced multi-frame images: the frame whose Pixel Measures apply (0-based).

    Returns
    -------
    Spacing
        Never raises on bad values: each skipped value is named in ``Spacing.note``.
    """
    notes = _Notes()
    raw_ps, holder = _pixel_measures(ds, frame)
    if raw_ps is None:
        raw_ps = ds.get("PixelSpacing")
    ps = _pair(raw_ps, "PixelSpacing", notes)
    geometry = _geometry(ds, frame)
    ips = _pair(geometry.get("ImagerPixelSpacing"), "ImagerPixelSpacing", notes)
    calibration = _calibration(ds, holder, notes) if ps is not None else None

    if ps is not None:
        decided = _from_pixel_spacing(ps, ips, calibration, raw_ps, notes)
        if decided is not None:
            return decided

    if ips is not None:
        magnified = _magnified(geometry, ips, calibration, notes)
        if magnified is not None:
            return magnified
        label = "mm at the detector (overestimates)"
        return Spacing(
            ips[0], ips[1], SpacingSource.IMAGER_PIXEL_SPACING, label, None, calibration, str(notes)
        )
    uncalibrated = Spacing.uncalibrated()
    return Spacing(None, None, uncalibrated.source, uncalibrated.label, note=str(notes))
