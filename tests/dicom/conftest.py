"""Synthetic DICOM files made in code, with known attributes and pixels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

MG_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"

MakeDataset = Callable[..., Dataset]


def make_dataset(
    pixels: np.ndarray | None = None,
    *,
    photometric: str = "MONOCHROME2",
    bits_stored: int = 12,
    sop_class: str = MG_FOR_PRESENTATION,
    transfer_syntax: str = ExplicitVRLittleEndian,
    study_uid: str | None = None,
    **attributes: Any,
) -> Dataset:
    """A grey-scale image dataset; ``pixels`` 2-D (one frame) or 3-D (frames, rows, cols)."""
    if pixels is None:
        pixels = np.arange(64 * 48, dtype=np.uint16).reshape(64, 48) % (2**bits_stored)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = UID(transfer_syntax)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "MG"
    signed = pixels.dtype.kind == "i"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(signed)
    for key, value in attributes.items():
        setattr(ds, key, value)
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def write(ds: Dataset, path: Path) -> Path:
    """Write ``ds`` as a DICOM file with preamble."""
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a synthetic image file: ``make_file("name.dcm", pixels, **attributes)``."""

    def _make(name: str = "image.dcm", pixels: np.ndarray | None = None, **kw: Any) -> Path:
        return write(make_dataset(pixels, **kw), tmp_path / name)

    return _make


@pytest.fixture
def make_ds() -> MakeDataset:
    """The synthetic dataset factory: ``make_ds(pixels, **attributes)``."""
    return make_dataset


def oracle_grey(stored: np.ndarray, ds: Dataset, kind: str, index: int, invert: bool) -> np.ndarray:
    """pydicom's Modality LUT + VOI output for ``stored``, scaled to 0..255, then inverted.

    The test oracle of the display pipeline: windows scale from pydicom's output range
    (PS3.3 C.11.2.1.2: 0..2**BitsStored-1 through the rescale, or the Modality LUT's
    range), tables from 0..2**bits-1 of their LUT Descriptor.
    """
    from pydicom.pixels.processing import apply_modality_lut, apply_voi_lut

    values = apply_modality_lut(stored, ds)
    if values.dtype.kind == "f" and np.array_equal(values, np.round(values)):
        values = values.astype(np.int64)  # pydicom warns when a table is indexed by floats
    with np.errstate(over="ignore"):  # pydicom's sigmoid overflows exp() on narrow windows
        out = apply_voi_lut(values, ds, index=index, prefer_lut=kind == "lut")
    out = out.astype(np.float64)
    if kind == "lut":
        bits = int(ds.VOILUTSequence[index].LUTDescriptor[2])
        grey = out / (2**bits - 1) * 255.0
    else:
        if "ModalityLUTSequence" in ds:
            y_min, y_max = 0.0, 2.0 ** int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1
        elif ds.PixelRepresentation == 0:
            y_min, y_max = 0.0, 2.0**ds.BitsStored - 1
        else:
            y_min, y_max = -(2.0 ** (ds.BitsStored - 1)), 2.0 ** (ds.BitsStored - 1) - 1
        if "RescaleSlope" in ds and "RescaleIntercept" in ds and "ModalityLUTSequence" not in ds:
            y_min = y_min * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
            y_max = y_max * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        grey = (out - y_min) / (y_max - y_min) * 255.0
    return 255.0 - grey if invert else grey


@pytest.fixture
def oracle() -> Callable[..., np.ndarray]:
    """The pydicom display oracle: ``oracle(stored, ds, kind, index, invert)``."""
    return oracle_grey
