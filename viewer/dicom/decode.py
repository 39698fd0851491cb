"""Decoding pixel data: which decoder a transfer syntax needs, and frame decoding.

:func:`decode_frame` takes only a path and a frame number, so it can run in a worker
process (decoders hold the GIL; threads do not help). :func:`decode_reduced` decodes a
JPEG 2000 frame at a reduced resolution for a quick first paint.

The worker-process jobs of :class:`viewer.qt.loader.StudyLoader` are here too (this
module imports no Qt): :func:`decode_preview` and :func:`decode_pyramid`, which writes a
frame and its display levels straight into a shared memory block laid out by
:func:`pyramid_layout`, so that the result reaches the UI process without a copy.
"""

from __future__ import annotations

import contextlib
import io
import logging
import mmap
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import UID

from viewer.core.pyramid import build_levels, level_shapes
from viewer.dicom.codestream_damage import damage_reason, truncated_file_reason
from viewer.dicom.gdcm_decode import decode_with_gdcm, gdcm_available
from viewer.dicom.read_guard import DEFLATED as DEFLATED
from viewer.dicom.read_guard import (
    DicomImageError,
    check_regular_file,
    file_truncated,
    read_dataset,
)

log = logging.getLogger(__name__)

JPEG2000_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.91",
        "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.202",
        "1.2.840.10008.1.2.4.203",
    }
)

_INSTALL_HINTS = {
    **{uid: "pip install pylibjpeg pylibjpeg-openjpeg" for uid in JPEG2000_SYNTAXES},
    **{
        uid: "pip install python-gdcm pyjpegls"
        for uid in (
            "1.2.840.10008.1.2.4.50",
            "1.2.840.10008.1.2.4.51",
            "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70",
            "1.2.840.10008.1.2.4.80",
            "1.2.840.10008.1.2.4.81",
        )
    },
    "1.2.840.10008.1.2.5": "pip install pylibjpeg pylibjpeg-rle",
}


class DecodeError(Exception):
    """Pixel data that cannot be decoded; the message says why (no file name)."""


# Syntaxes newer than the pydicom release in use: named so that messages stay readable.
_NEWER_NAMES = {
    "1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
    "1.2.840.10008.1.2.4.111": "JPEG XL JPEG Recompression",
    "1.2.840.10008.1.2.4.112": "JPEG XL",
}


def transfer_syntax_name(uid: str) -> str:
    """The readable name of a transfer syntax UID, or the UID itself when unknown."""
    name = UID(uid).name
    if name and name != uid:
        return str(name)
    return _NEWER_NAMES.get(uid, uid)


def decoder_problem(uid: str) -> str | None:
    """Why pixel data in transfer syntax ``uid`` cannot be decoded here, or None if it can.

    The message names the transfer syntax and what to install.
    """
    from pydicom.pixels.decoders.base import get_decoder

    syntax = f"{transfer_syntax_name(uid)} ({uid})"
    try:
        decoder = get_decoder(uid)
    except NotImplementedError:
        return f"cannot decode transfer syntax {syntax}: no decoder exists for it in pydicom"
    if decoder.is_available:
        return None
    hint = _INSTALL_HINTS.get(uid, "pip install python-gdcm pylibjpeg pylibjpeg-openjpeg")
    return f"cannot decode transfer syntax {syntax}: decoder not installed: {hint}"


GDCM_FALLBACK_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"})
"""JPEG Baseline and Extended: pydicom's plugins refuse 12-bit precision; GDCM's reader does not."""


JPEG_LS_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"})


def _charls_available() -> bool:
    from pydicom.pixels.decoders.base import get_decoder

    return "pyjpegls" in get_decoder("1.2.840.10008.1.2.4.80").available_plugins


def _file_syntax(path: str) -> str:
    from pydicom.filereader import read_file_meta_info

    try:
        meta = read_file_meta_info(path)
    except Exception:  # not readable as DICOM: let pixel_array() give the reason
        return ""
    return str(meta.get("TransferSyntaxUID", ""))


def decode_frame(source: Path | str | Dataset, frame: int = 0) -> NDArray[Any]:
    """Decode one frame of stored values (2-D, native dtype) from a file or dataset.

    Only the frame asked for is read from a file. Picklable arguments: safe to call in
    a worker process. Raises :class:`DecodeError` with the reason on failure.
    """
    from pydicom.pixels.utils import pixel_array

    src: Any = str(source) if isinstance(source, Path) else source
    if isinstance(src, str):
        try:
            # the deferred read of the pixel data goes through the read boundary too: the path
            # may have become a FIFO or a device since its header was read
            check_regular_file(Path(src))
        except DicomImageError as exc:
            raise DecodeError(exc.reason) from exc
        syntax = _file_syntax(src)
        path: str | None = src
        if syntax in (DEFLATED, ""):
            # pixel_array() reads frames straight from the file, which a deflated one is not;
            # a file without file meta (no preamble) names its syntax only once read whole
            try:
                src = read_dataset(Path(src), defer=False)
            except DicomImageError as exc:
                raise DecodeError(exc.reason) from exc
            syntax = str(src.file_meta.get("TransferSyntaxUID", ""))
    else:
        meta = getattr(src, "file_meta", None)
        syntax, path = str(meta.get("TransferSyntaxUID", "")) if meta is not None else "", None
    # GDCM can also decode JPEG 2000, but a damaged codestream crashes it (and with it the worker
    # process and every job it held) where OpenJPEG reports an error.
    plugin = "pylibjpeg" if syntax in JPEG2000_SYNTAXES else ""
    # The same for JPEG-LS: GDCM (pydicom's first choice) aborts the process on a damaged
    # codestream (found by tests/dicom/test_fuzz.py); CharLS reports an error.
    if syntax in JPEG_LS_SYNTAXES and _charls_available():
        plugin = "pyjpegls"
    try:
        with warnings.catch_warnings():
            # Decoders warn about header/codestream mismatches they already repair.
            warnings.simplefilter("ignore")
            arr = pixel_array(src, index=frame, raw=True, decoding_plugin=plugin)
    except MemoryError as exc:
        raise DecodeError("not enough memory to decode the image data") from exc
    except BaseException as exc:  # decoders raise many types on damaged data; each is a reason
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        # (a Rust decoder's panic arrives as pyo3's PanicException, a BaseException)
        if path is not None and file_truncated(Path(path)):
            # the decoders only say they all failed
            raise DecodeError(truncated_file_reason(syntax)) from exc
        if path is None or syntax not in GDCM_FALLBACK_SYNTAXES or not gdcm_available():
            raise DecodeError(_damage(src, syntax, frame, str(exc) or type(exc).__name__)) from exc
        try:
            arr = decode_with_gdcm(path, frame)
        except Exception as fallback:  # pydicom's refusal is about precision; this is the reason
            reason = _damage(src, syntax, frame, f"{exc}\n  gdcm: {fallback}")
            raise DecodeError(f"the JPEG data could not be decoded ({reason})") from exc
    if arr.ndim != 2:
        raise DecodeError(f"decoded frame has shape {arr.shape}: only grey-scale images are supported")
    return arr


def _damage(source: str | Dataset, syntax: str, frame: int, message: str) -> str:
    """:func:`~viewer.dicom.codestream_damage.damage_reason` for ``frame`` of a file or dataset."""
    rows = columns = 0
    data: bytes | None = None
    try:
        ds = read_dataset(Path(source), defer=False) if isinstance(source, str) else source
        rows, columns = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
        data = _frame_data(ds, frame)
    except Exception:  # damaged past reading its fragments: the decoder's message is the reason
        pass
    return damage_reason(syntax, data, message, rows, columns)


def _frame_data(ds: Dataset, frame: int) -> bytes | None:
    """The encapsulated bytes of ``frame`` (all fragments joined), None for native data."""
    from pydicom.encaps import get_frame

    pixel_data = ds.get("PixelData")
    meta = getattr(ds, "file_meta", None)
    if pixel_data is None or meta is None or not UID(str(meta.get("TransferSyntaxUID", ""))).is_compressed:
        return None
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return bytes(get_frame(pixel_data, frame, number_of_frames=frames))


def _j2k_precision(codestream: bytes) -> tuple[int, bool] | None:
    """(bit depth, signed) of the first component from a J2K codestream's SIZ marker."""
    # SOC (2) + SIZ marker (2) + Lsiz, Rsiz (4) + 8 x 4-byte sizes + Csiz (2) = 42
    if len(codestream) < 43 or codestream[:4] != b"\xff\x4f\xff\x51":
        return None
    ssiz = codestream[42]
    return (ssiz & 0x7F) + 1, bool(ssiz & 0x80)


def decode_reduced(path: Path | str, frame: int = 0, level: int = 2) -> NDArray[Any]:
    """Decode a JPEG 2000 frame at 1/2**level of its size in each direction.

    JPEG 2000 stores resolution levels: decoding a lower one skips most of the work
    (a quick first paint). pylibjpeg-openjpeg does not expose OpenJPEG's ``reduce``;
    Pillow's JPEG 2000 plugin does, so it is used here. Other transfer syntaxes (or a
    codestream Pillow cannot reduce) decode in full and are subsampled. Returns stored
    values with shape ``(ceil(rows / 2**level), ceil(columns / 2**level))``.
    """
    from pydicom.encaps import generate_frames

    try:
        ds = read_dataset(Path(path), defer=False)
    except DicomImageError as exc:
        raise DecodeError(exc.reason) from exc
    uid = str(ds.file_meta.TransferSyntaxUID)
    step = 2 ** max(level, 0)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if not 0 <= frame < frames:
        raise DecodeError(f"frame {frame} does not exist (the image has {frames})")
    if level > 0 and uid in JPEG2000_SYNTAXES:
        codestream = b""
        for i, fragment in enumerate(generate_frames(ds.PixelData, number_of_frames=frames)):
            if i == frame:
                codestream = fragment
                break
        reduced = _pillow_reduced(codestream, level)
        if reduced is not None:
            return reduced.astype(stored_dtype(ds), copy=False)
        log.info("%s: reduced JPEG 2000 decode not possible, decoding in full", Path(path).name)
    full = decode_frame(ds, frame)
    return full[::step, ::step]


def _j2k_decomposition_levels(codestream: bytes) -> int | None:
    """Wavelet decomposition levels of a J2K codestream (its COD marker), None if not found."""
    i = 2  # after SOC
    while i + 4 <= len(codestream) and codestream[i] == 0xFF:
        marker = codestream[i + 1]
        if marker == 0x90:  # SOT: the main header is over
            return None
        if marker == 0x52 and i + 9 < len(codestream):  # COD: Lcod, Scod, SGcod (4), SPcod
            return codestream[i + 9]
        i += 2 + int.from_bytes(codestream[i + 2 : i + 4], "big")
    return None


def _pillow_reduced(codestream: bytes, level: int) -> NDArray[Any] | None:
    """Pillow's reduced-resolution decode, scaled back to stored values; None if unsupported.

    A codestream with fewer decomposition levels than asked is decoded at its coarsest
    and subsampled the rest of the way (asking OpenJPEG for more fails).
    """
    precision = _j2k_precision(codestream)
    if precision is None or precision[1] or precision[0] > 16:
        return None  # signed or odd codestreams: the full decoder handles them
    available = _j2k_decomposition_levels(codestream)
    if available is not None and available < level:
        reduced = _pillow_reduced(codestream, available) if available > 0 else None
        if reduced is None:
            return None
        step = 2 ** (level - available)
        return reduced[::step, ::step]
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(codestream)) as im:
            # Pillow's J2K plugin reads an int here (OpenJPEG's cp_reduce), shadowing the method.
            im.reduce = level  # type: ignore[method-assign,assignment]
            im.load()
            arr = np.asarray(im)
    except Exception as exc:  # Pillow without OpenJPEG, or a codestream it rejects
        log.info("Pillow could not reduce the JPEG 2000 codestream: %s", exc)
        return None
    if arr.ndim != 2:
        return None
    bits = precision[0]
    # Pillow widens samples of fewer than 8 / 16 bits to the full mode by shifting left.
    container = 8 if arr.dtype == np.uint8 else 16
    if bits < container:
        arr = np.right_shift(arr, container - bits)
    return arr


def stored_dtype(ds: Dataset) -> np.dtype[Any]:
    """The dtype pydicom gives stored values of ``ds`` (signed / unsigned, 8 or 16 bits)."""
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    bits = int(ds.get("BitsAllocated", 16) or 16)
    return np.dtype(f"{'i' if signed else 'u'}{max(1, bits // 8)}")


# -- worker-process jobs ------------------------------------------------------------------

_ALIGN = 64


def warm_up() -> None:
    """Import the decoders now: run once as a worker process starts, before any image waits."""
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.pixels.utils import pixel_array  # noqa: F401

    # Asking whether a decoder is available imports its plugins (pylibjpeg, openjpeg...);
    # an optional decoder that fails here fails later on its files, with a clear message.
    for uid in ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.5"):
        with contextlib.suppress(Exception):
            _ = get_decoder(uid).is_available
    with contextlib.suppress(ImportError):
        from PIL import Jpeg2KImagePlugin  # noqa: F401


def pyramid_layout(
    shape: tuple[int, int], dtype: np.dtype[Any], min_size: int = 256
) -> tuple[list[tuple[int, tuple[int, int]]], int]:
    """Where the levels of a frame's pyramid go in one buffer.

    Returns ``[(byte offset, (rows, columns)), ...]`` for levels 0 .. max_level
    (:func:`viewer.core.pyramid.level_shapes`) and the buffer size in bytes.
    """
    layout = []
    offset = 0
    for level in level_shapes(shape, min_size):
        layout.append((offset, level))
        size = level[0] * level[1] * dtype.itemsize
        offset += (size + _ALIGN - 1) // _ALIGN * _ALIGN
    return layout, max(offset, 1)


def pyramid_views(
    buffer: Any, shape: tuple[int, int], dtype: np.dtype[Any], min_size: int = 256
) -> list[NDArray[Any]]:
    """Arrays on ``buffer`` (an mmap, bytearray...) for the levels of :func:`pyramid_layout`."""
    layout, _ = pyramid_layout(shape, dtype, min_size)
    return [
        np.frombuffer(buffer, dtype=dtype, count=rows * cols, offset=offset).reshape(rows, cols)
        for offset, (rows, cols) in layout
    ]


def _clipped(arr: NDArray[Any], stored_range: tuple[int, int]) -> NDArray[Any]:
    low, high = stored_range
    if arr.size and (int(arr.min()) < low or int(arr.max()) > high):
        return np.asarray(np.clip(arr, low, high))
    return arr


def decode_preview(path: str, frame: int, level: int, stored_range: tuple[int, int]) -> NDArray[Any]:
    """Worker job: :func:`decode_reduced`, clipped to the stored range (a display table's size)."""
    return _clipped(decode_reduced(path, frame, level), stored_range)


def decode_pyramid(
    path: str,
    frame: int,
    stored_range: tuple[int, int],
    dtype: str,
    target: str | None = None,
    min_size: int = 256,
    block_name: str | None = None,
) -> list[NDArray[Any]] | tuple[int, int]:
    """Worker job: decode ``frame``, clip it to ``stored_range``, build its display levels.

    With ``target`` (the path of a file or shared memory block of the size
    :func:`pyramid_layout` gives for the frame's shape and ``dtype``), the levels are
    written there and only the decoded shape is returned; otherwise the levels are
    returned. ``block_name``: ``target`` is a link to the Linux memfd of that name, and
    nothing is written unless it is (a closed and reused descriptor number must never
    lead to writing into another file). A decoded shape other than the block's raises
    :class:`DecodeError`.
    """
    return write_pyramid(decode_frame(path, frame), stored_range, dtype, target, min_size, block_name)


def write_pyramid(
    decoded: NDArray[Any],
    stored_range: tuple[int, int],
    dtype: str,
    target: str | None = None,
    min_size: int = 256,
    block_name: str | None = None,
) -> list[NDArray[Any]] | tuple[int, int]:
    """The second half of :func:`decode_pyramid`, for a frame already decoded (or read from a cache)."""
    arr = _clipped(decoded, stored_range)
    kind = np.dtype(dtype)
    if target is None:
        return build_levels(arr.astype(kind, copy=False), min_size)
    shape = (int(arr.shape[0]), int(arr.shape[1]))
    with open(target, "r+b") as fh:
        if block_name is not None:
            link = os.readlink(f"/proc/self/fd/{fh.fileno()}")
            if not link.startswith(f"/memfd:{block_name}"):
                raise DecodeError("the image was closed while it was being decoded")
        size = fh.seek(0, io.SEEK_END)
        if pyramid_layout(shape, kind, min_size)[1] != size:
            raise DecodeError(f"decoded image is {shape[0]}x{shape[1]} pixels, not the size the header gives")
        block = mmap.mmap(fh.fileno(), size)
    try:
        levels = pyramid_views(block, shape, kind, min_size)
        np.copyto(levels[0], arr, casting="unsafe")  # clipped: the values fit
        del arr
        build_levels(levels[0], min_size, out=levels[1:])
        del levels
    finally:
        block.close()
    return shape
