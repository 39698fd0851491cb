"""Hostile DICOM inputs made in code from real files: the fuzz suite's and the corpus script's.

Each maker takes the bytes of a real file and a random generator and returns damaged bytes:
header truncations, byte flips, absurd sizes, wrong VRs, bad LUT descriptors, bad numbers.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pydicom
from pydicom.dataset import Dataset

Mutation = Callable[[bytes, random.Random], bytes]


def _rewrite(data: bytes, change: Callable[[Dataset], None]) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(data))
    change(ds)
    out = io.BytesIO()
    before = pydicom.config.settings.writing_validation_mode
    pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
    try:
        ds.save_as(out)
    finally:
        pydicom.config.settings.writing_validation_mode = before
    return out.getvalue()


def truncate_header(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, min(len(data), 4096))]


def truncate_anywhere(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def flip_header_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        b[rng.randrange(128, min(len(b), 4096))] = rng.randrange(256)
    return bytes(b)


def flip_any_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 64)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def absurd_size(data: bytes, rng: random.Random) -> bytes:
    rows, cols, frames = rng.choice([(65535, 65535, 1), (60000, 60000, 1), (4096, 4096, 100000), (1, 1, 1)])
    return _rewrite(data, lambda ds: setattr_all(ds, Rows=rows, Columns=cols, NumberOfFrames=frames))


def wrong_vr(data: bytes, rng: random.Random) -> bytes:
    keyword = rng.choice(["Rows", "Columns", "BitsStored", "BitsAllocated", "PixelRepresentation"])
    text = rng.choice(["ab", "-1", "1e9", "", "99999999"])

    def change(ds: Dataset) -> None:
        tag = ds.data_element(keyword).tag if keyword in ds else pydicom.datadict.tag_for_keyword(keyword)
        del ds[tag]
        ds.add_new(tag, "SH", text)

    return _rewrite(data, change)


def bad_lut_descriptor(data: bytes, rng: random.Random) -> bytes:
    def change(ds: Dataset) -> None:
        item = Dataset()
        item.LUTDescriptor = rng.choice([[0, 0, 0], [65535, 32768, 40], [4, 0, 16], [1, 0, 8]])
        item.add_new(0x00283006, "US", [rng.randrange(65536) for _ in range(rng.choice([1, 3, 7]))])
        seq = rng.choice(["VOILUTSequence", "ModalityLUTSequence"])
        setattr(ds, seq, [item])

    return _rewrite(data, change)


def bad_numbers(data: bytes, rng: random.Random) -> bytes:
    value = rng.choice(["nan", "inf", "-inf", "1e999", "0", "-0.1", "abc", "1\\2\\3"])
    keyword = rng.choice(
        [
            "PixelSpacing",
            "ImagerPixelSpacing",
            "WindowCenter",
            "WindowWidth",
            "RescaleSlope",
            "RescaleIntercept",
            "EstimatedRadiographicMagnificationFactor",
            "DistanceSourceToDetector",
        ]
    )

    def change(ds: Dataset) -> None:
        tag = pydicom.datadict.tag_for_keyword(keyword)
        if tag in ds:
            del ds[tag]
        ds.add_new(tag, "DS" if "\\" in value else "SH", value)

    return _rewrite(data, change)


def setattr_all(ds: Dataset, **values: object) -> None:
    for key, value in values.items():
        setattr(ds, key, value)


MUTATIONS: dict[str, Mutation] = {
    "header truncation": truncate_header,
    "truncation": truncate_anywhere,
    "header byte flips": flip_header_bytes,
    "byte flips": flip_any_bytes,
    "absurd sizes": absurd_size,
    "wrong VRs": wrong_vr,
    "bad LUT descriptors": bad_lut_descriptor,
    "bad numbers": bad_numbers,
}
