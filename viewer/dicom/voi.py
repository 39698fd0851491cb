"""Read the Modality LUT and VOI LUT modules of a dataset (PS3.3 C.11.1, C.11.2).

Turns the attributes into the plain :class:`~viewer.core.windowing.ModalityLut` and
:class:`~viewer.core.windowing.VoiPreset` objects the display pipeline uses. Every VOI
LUT Sequence item and every Window Center/Width pair becomes a preset, named by its
explanation. Enhanced multi-frame images carry the same attributes in their functional
groups (Pixel Value Transformation, Frame VOI LUT): a frame's own item wins, then the
shared one, then the top level (:func:`viewer.dicom.frames.frame_macro`).

A value that cannot be used (a Rescale Slope of 0 or NaN, a window width of 0 or NaN)
is left out with a note naming the attribute and the value, appended to ``notes``; the
image still opens with what remains (identity rescale, the other presets, or the
automatic window).
"""

from __future__ import annotations

import math
from struct import unpack_from
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.valuerep import VR

from viewer.core.windowing import WINDOW_FUNCTIONS, ModalityLut, VoiPreset
from viewer.dicom.frames import frame_macro


def _as_list(value: Any) -> list[Any]:
    """A DICOM value of VM 1-n as a list (a single value becomes a one-item list)."""
    if value is None:
        return []
    if isinstance(value, str | bytes | int | float):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def _little_endian(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        return bool(meta.TransferSyntaxUID != "1.2.840.10008.1.2.2")
    original = getattr(ds, "original_encoding", None)
    return True if not original or original[1] is None else bool(original[1])


def read_lut_table(item: Dataset, ds: Dataset) -> tuple[NDArray[np.uint16], int, int]:
    """The LUT Data of a LUT item as ``(table, first_mapped, bits)`` (PS3.3 C.11.1.1.1).

    The first LUT Descriptor value 0 means 65536 entries; the second value is signed
    when the image's Pixel Representation is signed.
    """
    descriptor = [int(v) for v in _as_list(item.LUTDescriptor)]
    if len(descriptor) != 3:
        raise ValueError(f"LUT Descriptor must have 3 values, has {len(descriptor)}")
    entries = descriptor[0] or 65536
    first_mapped = descriptor[1]
    if int(ds.get("PixelRepresentation", 0) or 0) == 1 and first_mapped >= 32768:
        first_mapped -= 65536
    bits = descriptor[2]
    element = item["LUTData"]
    if element.VR == VR.OW or isinstance(element.value, bytes):
        raw: bytes = element.value
        fmt = "<" if _little_endian(ds) else ">"
        count = min(entries, len(raw) // 2)
        values: Any = unpack_from(f"{fmt}{count}H", raw)
    else:
        values = _as_list(element.value)
    table = np.asarray(values, dtype=np.uint16)
    if table.shape[0] == 0:
        raise ValueError("LUT Data is empty")
    return table, first_mapped, bits


def read_modality_lut(ds: Dataset, frame: int = 0, notes: list[str] | None = None) -> ModalityLut:
    """The Modality LUT of ``frame``: Pixel Value Transformation of its functional groups,
    else the first Modality LUT Sequence item, else the top level's Rescale Slope/Intercept.
    """
    source = frame_macro(ds, frame, "PixelValueTransformationSequence")
    if source is None:
        sequence = ds.get("ModalityLUTSequence")
        if sequence:
            table, first_mapped, _bits = read_lut_table(sequence[0], ds)
            return ModalityLut(table=table, first_mapped=first_mapped)
        source = ds
    slope = _number(source, "RescaleSlope", "Rescale Slope (0028,1053)", 1.0, notes, nonzero=True)
    intercept = _number(source, "RescaleIntercept", "Rescale Intercept (0028,1052)", 0.0, notes)
    return ModalityLut(slope=slope, intercept=intercept)


def _number(
    source: Dataset,
    keyword: str,
    name: str,
    default: float,
    notes: list[str] | None,
    *,
    nonzero: bool = False,
) -> float:
    """A finite number from ``source`` (non-zero if asked), else ``default`` with a note."""
    value = source.get(keyword)
    if value is None or value == "":
        return default
    number = _finite(value, math.nan)
    if math.isnan(number) or (nonzero and number == 0):
        if notes is not None:
            notes.append(f"{name} {value!s} is unusable: {default:g} used")
        return default
    return number


def _finite(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _window_presets(source: Dataset, function_source: Dataset, notes: list[str] | None) -> list[VoiPreset]:
    centers = _as_list(source.get("WindowCenter"))
    widths = _as_list(source.get("WindowWidth"))
    explanations = _as_list(source.get("WindowCenterWidthExplanation"))
    raw_function = source.get("VOILUTFunction") or function_source.get("VOILUTFunction") or "LINEAR"
    function = str(raw_function).strip().upper()
    if function not in WINDOW_FUNCTIONS:
        if notes is not None:
            notes.append(f"VOI LUT Function (0028,1056) {function} is not defined: LINEAR used")
        function = "LINEAR"  # an unknown function: LINEAR is the standard's default
    presets: list[VoiPreset] = []
    for i, (c, w) in enumerate(zip(centers, widths, strict=False)):
        center, width = _finite(c, math.nan), _finite(w, math.nan)
        if math.isnan(center) or math.isnan(width) or width <= 0:
            # an unusable pair is not offered rather than shown wrong
            if notes is not None:
                pair = f"{c!s}/{w!s}"
                notes.append(
                    f"Window Center/Width (0028,1050/1051) {pair} (window {i + 1}) is unusable: not offered"
                )
            continue
        name = str(explanations[i]).strip() if i < len(explanations) else ""
        presets.append(VoiPreset.window(center, width, name=name or f"Window {i + 1}", function=function))
    return presets


def read_voi_presets(ds: Dataset, frame: int = 0, notes: list[str] | None = None) -> list[VoiPreset]:
    """Every Window Center/Width pair and every VOI LUT Sequence item of ``frame``, in file order.

    Window Center (0028,1050) precedes VOI LUT Sequence (0028,3010) in a file, so the
    windows come first. The frame's Frame VOI LUT (its own, else the shared one) replaces
    the top level's windows. Items that cannot be used (no width, empty table) are left out.
    """
    frame_voi = frame_macro(ds, frame, "FrameVOILUTSequence")
    presets = _window_presets(frame_voi if frame_voi is not None else ds, ds, notes)
    for i, item in enumerate(ds.get("VOILUTSequence") or []):
        try:
            table, first_mapped, bits = read_lut_table(item, ds)
        except (AttributeError, KeyError, ValueError) as exc:
            if notes is not None:
                notes.append(f"VOI LUT Sequence (0028,3010) item {i + 1} is unusable ({exc}): not offered")
            continue
        name = str(item.get("LUTExplanation", "") or "").strip() or f"VOI LUT {i + 1}"
        presets.append(VoiPreset.lut(table, first_mapped, bits, name))
    return presets
