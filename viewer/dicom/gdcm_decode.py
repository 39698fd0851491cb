"""Decoding through GDCM's own image reader, for what pydicom's plugins refuse.

pydicom's gdcm plugin, pylibjpeg-libjpeg and Pillow all refuse 12-bit lossy JPEG (JPEG Extended,
process 2 and 4, transfer syntax 1.2.840.10008.1.2.4.51), which CR and older MG archives hold.
``gdcm.ImageReader`` decodes it (GDCM carries libjpeg builds for 8, 12 and 16 bits). It reads the
whole file, so it is the fallback of :func:`viewer.dicom.decode.decode_frame`, not the first choice.

GDCM is handed a copy that holds only the Image Pixel attributes and the pixel data, never the
file itself: its header code throws an uncaught C++ exception (the process aborts) on an
attribute of the wrong VR, e.g. Imager Pixel Spacing written as SH, which it reads for spacing
we do not take from it.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

_PIXEL_ATTRIBUTES = (
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "NumberOfFrames",
    "PixelData",
)
"""What GDCM is given of a file (the Image Pixel module and the frame count)."""

_SCALAR_DTYPES = {
    "UINT8": np.uint8,
    "INT8": np.int8,
    "UINT16": np.uint16,
    "INT16": np.int16,
    "UINT32": np.uint32,
    "INT32": np.int32,
}


def gdcm_available() -> bool:
    """Whether python-gdcm is importable."""
    try:
        import gdcm  # noqa: F401
    except ImportError:
        return False
    return True


def decode_with_gdcm(path: Path | str, frame: int = 0) -> NDArray[Any]:
    """Frame ``frame`` of the grey-scale image in ``path``, as stored values (2-D).

    Raises ``ValueError`` with the reason when GDCM cannot read or decode the file.
    """
    with tempfile.TemporaryDirectory(prefix="mammo-viewer-gdcm-") as tmp:
        copy = Path(tmp) / "pixels.dcm"
        _pixel_copy(Path(path), copy)
        return _decode(copy, frame, Path(path).name)


def _pixel_copy(path: Path, out: Path) -> None:
    """Write the pixel attributes of ``path`` (nothing else of its header) to ``out``."""
    from pydicom import dcmread
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import SecondaryCaptureImageStorage, generate_uid

    source = dcmread(path, force=True)
    ds = Dataset()
    for keyword in _PIXEL_ATTRIBUTES:
        if keyword in source:
            ds[keyword] = source[keyword]
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = source.file_meta.TransferSyntaxUID
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.preamble = b"\0" * 128
    ds.save_as(out, enforce_file_format=True)


def _decode(path: Path, frame: int, name: str) -> NDArray[Any]:
    import gdcm

    gdcm.Trace.WarningOff()  # it tries its 8-bit codec first and says so on stderr
    gdcm.Trace.ErrorOff()
    reader = gdcm.ImageReader()
    reader.SetFileName(str(path))
    if not reader.Read():
        raise ValueError("GDCM could not read the image")
    image = reader.GetImage()
    pixel_format = image.GetPixelFormat()
    if pixel_format.GetSamplesPerPixel() != 1:
        raise ValueError("only grey-scale images are supported")
    dtype = _SCALAR_DTYPES.get(pixel_format.GetScalarTypeAsString())
    if dtype is None:
        raise ValueError(f"GDCM pixel type {pixel_format.GetScalarTypeAsString()} is not supported")
    columns, rows = image.GetDimension(0), image.GetDimension(1)
    frames = image.GetDimension(2) if image.GetNumberOfDimensions() > 2 else 1
    if not 0 <= frame < frames:
        raise ValueError(f"frame {frame} is out of range (the image has {frames})")
    buffer = image.GetBuffer()
    if buffer is None:
        raise ValueError("GDCM could not decode the pixel data")
    data = buffer.encode("utf-8", "surrogateescape") if isinstance(buffer, str) else bytes(buffer)
    size = rows * columns
    values = np.frombuffer(data, dtype=dtype)
    if values.size < size * frames:
        raise ValueError("GDCM returned fewer pixels than the header declares")
    log.info("%s: decoded by GDCM's image reader (pydicom's plugins refused it)", name)
    return values[frame * size : (frame + 1) * size].reshape(rows, columns).copy()
