"""Decoding through GDCM's own image reader, for what pydicom's plugins refuse.

pydicom's gdcm plugin, pylibjpeg-libjpeg and Pillow all refuse 12-bit lossy JPEG (JPEG Extended,
process 2 and 4, transfer syntax 1.2.840.10008.1.2.4.51), which CR and older MG archives hold.
``gdcm.ImageReader`` decodes it (GDCM carries libjpeg builds for 8, 12 and 16 bits). It reads the
whole file, so it is the fallback of :func:`viewer.dicom.decode.decode_frame`, not the first choice.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

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
    log.info("%s: decoded by GDCM's image reader (pydicom's plugins refused it)", Path(path).name)
    return values[frame * size : (frame + 1) * size].reshape(rows, columns).copy()
