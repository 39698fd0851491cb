"""Read the Modality LUT and VOI LUT modules of a dataset (PS3.3 C.11.1, C.11.2).

Turns the attributes into the plain :class:`~viewer.core.windowing.ModalityLut` and
:class:`~viewer.core.windowing.VoiPreset` objects the display pipeline uses. Every VOI
LUT Sequence item and every Window Center/Width pair becomes a preset, named by its
explanation. Enhanced multi-frame images carry the same attributes in their Shared
Functional Groups (Pixel Value Transformation, Frame VOI LUT); those are read when the
top level has none.
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


def _shared_item(ds: Dataset, sequence: str) -> Dataset | None:
    """The first item of ``sequence`` inside Shared Functional Groups, if any."""
    shared = ds.get("SharedFunctionalGroupsSequence")
    if not shared:
        return None
    inner = shared[0].get(sequence)
    if not inner:
        return None
    item: Dataset = inner[0]
    return item


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


def read_modality_lut(ds: Dataset) -> ModalityLut:
    """The Modality LUT: the first Modality LUT Sequence item, else Rescale Slope/Intercept."""
    sequence = ds.get("ModalityLUTSequence")
    if sequence:
        table, first_mapped, _bits = read_lut_table(sequence[0], ds)
        return ModalityLut(table=table, first_mapped=first_mapped)
    source: Dataset = ds
    if "RescaleSlope" not in ds and "RescaleIntercept" not in ds:
        source = _shared_item(ds, "PixelValueTransformationSequence") or ds
    slope = _finite(source.get("RescaleSlope"), 1.0)
    intercept = _finite(source.get("RescaleIntercept"), 0.0)
    return ModalityLut(slope=slope if slope != 0 else 1.0, intercept=intercept)


def _finite(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _window_presets(source: Dataset) -> list[VoiPreset]:
    centers = _as_list(source.get("WindowCenter"))
    widths = _as_list(source.get("WindowWidth"))
    explanations = _as_list(source.get("WindowCenterWidthExplanation"))
    function = str(source.get("VOILUTFunction", "") or "LINEAR").strip().upper()
    if function not in WINDOW_FUNCTIONS:
        function = "LINEAR"  # an unknown function: LINEAR is the standard's default
    presets: list[VoiPreset] = []
    for i, (c, w) in enumerate(zip(centers, widths, strict=False)):
        center, width = _finite(c, math.nan), _finite(w, math.nan)
        if math.isnan(center) or math.isnan(width) or width <= 0:
            continue  # an unusable pair is not offered rather than shown wrong
        name = str(explanations[i]).strip() if i < len(explanations) else ""
        presets.append(VoiPreset.window(center, width, name=name or f"Window {i + 1}", function=function))
    return presets


def read_voi_presets(ds: Dataset) -> list[VoiPreset]:
    """Every Window Center/Width pair and every VOI LUT Sequence item, in file order.

    Window Center (0028,1050) precedes VOI LUT Sequence (0028,3010) in a file, so the
    windows come first. Items that cannot be used (no width, empty table) are left out.
    """
    presets = _window_presets(ds)
    if not presets and "WindowCenter" not in ds:
        frame_voi = _shared_item(ds, "FrameVOILUTSequence")
        if frame_voi is not None:
            if "VOILUTFunction" not in frame_voi and "VOILUTFunction" in ds:
                frame_voi.VOILUTFunction = ds.VOILUTFunction
            presets = _window_presets(frame_voi)
    for i, item in enumerate(ds.get("VOILUTSequence") or []):
        try:
            table, first_mapped, bits = read_lut_table(item, ds)
        except (AttributeError, KeyError, ValueError):
            continue
        name = str(item.get("LUTExplanation", "") or "").strip() or f"VOI LUT {i + 1}"
        presets.append(VoiPreset.lut(table, first_mapped, bits, name))
    return presets
