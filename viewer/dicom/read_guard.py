"""The one door every DICOM file of a study is read through, and what it keeps out.

A file from a disk, an archive or an attacker may be anything: a FIFO that blocks ``open``
forever, ``/dev/zero``, a symbolic link loop, a header that makes pydicom raise any of a dozen
exception types, or a 2 MB RLE file declaring 60000 x 60000 pixels (7 GB once decoded). So:

- :func:`check_regular_file` is asked before any ``open``: only a regular file (after
  following links) is read; FIFOs, devices and sockets are refused without being opened and a
  symbolic link loop is named as one;
- :func:`read_dataset` is the only call of ``pydicom.dcmread`` on a study's files: large
  values stay on disk (deferred) and every exception becomes :class:`DicomImageError` with
  the file's name and a reason a user can act on;
- :func:`pixel_budget_problem` compares what a header declares (rows x columns x bits x
  frames) with the memory budget and with what the file can hold before any decoder is asked
  to allocate it.

Deferred values (Pixel Data) are read later from the path; :func:`viewer.dicom.decode.decode_frame`
checks the path through :func:`check_regular_file` again, and refuses a file whose size changed.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import warnings
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

DEFLATED = "1.2.840.10008.1.2.1.99"
"""Deflated Explicit VR Little Endian: the whole dataset is zlib-compressed."""

RLE_LOSSLESS = "1.2.840.10008.1.2.5"

MAX_FRAME_BYTES = 1 << 30
"""The memory budget of one decoded frame (1 GiB): 16 times a 4096 x 5120 16-bit mammogram."""

DEFER_SIZE = "64 KB"
"""Values larger than this stay on disk until used (Pixel Data, big private blobs)."""

_RLE_MAX_RATIO = 64
"""PackBits (PS3.5 G.3.1) turns 2 bytes into at most 128: RLE data cannot expand further."""

IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
_NATIVE_SYNTAXES = frozenset({IMPLICIT_LITTLE, EXPLICIT_LITTLE, EXPLICIT_BIG})


class DicomImageError(Exception):
    """A file that cannot be shown; ``str(error)`` is the message for the user.

    ``not_an_image`` is True for DICOM objects that hold no image by design (structured
    reports, presentation states, dose reports) and for entries that are not files at all
    (FIFOs, devices): a study skips those with a note.
    """

    def __init__(self, path: Path, reason: str, *, not_an_image: bool = False) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason
        self.not_an_image = not_an_image


def check_regular_file(path: Path) -> os.stat_result:
    """The ``stat`` of ``path`` when it is a regular file (links followed); else DicomImageError.

    Never opens the file, so a FIFO cannot block and a device cannot be read.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        if os.path.islink(path):
            raise DicomImageError(path, "a symbolic link to a file that does not exist") from exc
        raise DicomImageError(path, "file not found") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "a symbolic link loop (the link leads back to itself): skipped"
            raise DicomImageError(path, reason, not_an_image=True) from exc
        if exc.errno == errno.ENAMETOOLONG:
            raise DicomImageError(path, "the file name is too long for this system") from exc
        raise DicomImageError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    except ValueError as exc:  # an embedded NUL in a name from a DICOMDIR or a list file
        raise DicomImageError(path, f"not a valid file name ({exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        raise DicomImageError(path, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "not a regular file"
        )
        raise DicomImageError(path, f"{kind}, not a file: skipped without opening it", not_an_image=True)
    return st


TRUNCATED = "the file ends inside its pixel data (it was cut short, e.g. by an interrupted copy)"
"""Why a file whose encapsulated pixel data has no end cannot be decoded."""

CUT_SHORT = "is cut short: the file ends before its content does (an interrupted copy or download?); not read"
"""Why a file that ends inside a value or sequence is refused."""


_EOF_WARNING = "End of file reached"
_TRUNCATED_FLAG = "_mammo_truncated_pixels"
_CUT_FLAG = "_mammo_ends_inside_a_value"
_PYDICOM_EOF_IN_SEQUENCE = "No tag to read at file position"


def _dcmread(path: Path, **kwargs: Any) -> Dataset:
    ds = dcmread(path, **kwargs)
    if not isinstance(ds, Dataset):  # a DICOMDIR's FileSet-like subclass is still a Dataset
        raise InvalidDicomError("not a dataset")
    return ds


def _dcmread_noting_eof(path: Path, **kwargs: Any) -> tuple[Dataset, bool]:
    """The dataset, and whether pydicom met the end of the file inside a value.

    pydicom only warns then, and for encapsulated pixel data cut short it returns an
    *empty* dataset: the file would pass for "not an image" and be skipped unnoticed.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = _dcmread(path, **kwargs)
    return ds, any(_EOF_WARNING in str(w.message) for w in caught)


def pixels_truncated(ds: Dataset) -> bool:
    """True for a header :func:`read_dataset` read from a file cut short inside its pixel data."""
    return bool(ds.__dict__.get(_TRUNCATED_FLAG, False))


def file_truncated(path: Path) -> bool:
    """True when ``path`` ends inside a value (its pixel data, mostly); False if unreadable."""
    try:
        return _dcmread_noting_eof(Path(path), defer_size=DEFER_SIZE)[1]
    except Exception:  # not a file pydicom reads at all: other checks name that
        return False


def read_dataset(
    path: Path,
    *,
    stop_before_pixels: bool = False,
    specific_tags: list[Any] | None = None,
    defer: bool = True,
    accept_without_preamble: bool = True,
) -> Dataset:
    """Read a DICOM file's dataset (large values deferred); raise DicomImageError if it cannot be.

    A file without the ``DICM`` preamble is accepted only when it clearly is DICOM (it has a
    SOP Class UID, or Rows and Pixel Data). Any exception pydicom raises on a damaged header
    becomes "damaged DICOM header (reason)".
    """
    path = Path(path)
    check_regular_file(path)
    options: dict[str, Any] = {"stop_before_pixels": stop_before_pixels, "specific_tags": specific_tags}
    if defer:
        options["defer_size"] = DEFER_SIZE
    try:
        ds, cut = _dcmread_noting_eof(path, **options)
        if cut:
            ds.__dict__[_CUT_FLAG] = True
        if cut and not stop_before_pixels:
            # the header before the pixel data is sound: keep it, and say why it will not decode
            ds = _dcmread(path, **{**options, "stop_before_pixels": True})
            ds.__dict__[_TRUNCATED_FLAG] = True
            return ds
        meta = getattr(ds, "file_meta", None)
        if defer and meta is not None and str(meta.get("TransferSyntaxUID", "")) == DEFLATED:
            # Deferred values are re-read from the file at their offset in the inflated
            # stream, which the compressed file does not have: read everything now.
            options.pop("defer_size")
            ds = _dcmread(path, **options)
        return ds
    except InvalidDicomError:
        pass
    except PermissionError as exc:
        raise DicomImageError(path, "permission denied: cannot read the file") from exc
    except OSError as exc:
        if _PYDICOM_EOF_IN_SEQUENCE in str(exc):  # a sequence item's header beyond the end
            raise DicomImageError(path, CUT_SHORT) from exc
        raise DicomImageError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    except MemoryError as exc:
        raise DicomImageError(path, "damaged DICOM header (it declares a value too large to read)") from exc
    except Exception as exc:  # pydicom raises many types on a damaged header
        raise DicomImageError(path, f"damaged DICOM header ({_reason(exc)})") from exc
    if accept_without_preamble:
        # No "DICM" preamble: old or sloppy writers; accept only what clearly is DICOM.
        try:
            ds = _dcmread(path, force=True, **options)
            if "SOPClassUID" in ds or ("Rows" in ds and "PixelData" in ds):
                return _with_transfer_syntax(ds)
        except Exception:  # any failure here means "not DICOM"
            pass
    raise DicomImageError(path, "not a DICOM file")


def _with_transfer_syntax(ds: Dataset) -> Dataset:
    """``ds`` read without file meta (no preamble, no ``DICM``), told the encoding it was read in.

    Such a file is a bare dataset, and a bare dataset is in one of the native syntaxes (PS3.5
    10: the Transfer Syntax UID lives only in the file meta). pydicom found which one while
    reading; its pixel decoders ask the file meta, and refused the file without this.
    """
    if "TransferSyntaxUID" in ds.file_meta:
        return ds
    implicit, little = ds.original_encoding
    if implicit is None or little is None:
        return ds
    ds.file_meta.TransferSyntaxUID = UID(
        IMPLICIT_LITTLE if implicit else EXPLICIT_LITTLE if little else EXPLICIT_BIG
    )
    return ds


def read_whole_dataset(path: Path) -> Dataset:
    """Read every value of a non-image object (a structured report) now; DicomImageError if it cannot be.

    pydicom parses sequences only when they are first used, and a file cut short inside one
    gives a warning or a low-level error then, after some items have been read: a report would
    come back with part of its content. Here every nested item is parsed at once, and a file
    that ends inside a value or before a sequence's delimiter is refused (:data:`CUT_SHORT`).
    """
    path = Path(path)
    ds = read_dataset(path, stop_before_pixels=True, defer=False)
    if ds.__dict__.get(_CUT_FLAG, False) or _value_short(ds):
        raise DicomImageError(path, CUT_SHORT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for _ in ds.iterall():  # converts the raw values, nested items included
                pass
        except (EOFError, struct.error) as exc:
            raise DicomImageError(path, CUT_SHORT) from exc
        except Exception as exc:  # pydicom raises many types on a damaged value
            raise DicomImageError(path, f"damaged DICOM content ({_reason(exc)})") from exc
    if any(_EOF_WARNING in str(w.message) for w in caught):
        raise DicomImageError(path, CUT_SHORT)
    return ds


def _value_short(ds: Dataset) -> bool:
    """Whether a value of ``ds`` (read whole, not yet converted) holds fewer bytes than its length says.

    pydicom reads a value of defined length with one short read at the end of the file and says
    nothing; a report's content sequence, written with its length, would parse as far as it goes.
    """
    tags = ds.keys()  # iterating ``ds`` itself would convert every value
    for tag in tags:
        elem = ds.get_item(tag)
        if (
            isinstance(elem, RawDataElement)
            and elem.length != _UNDEFINED_LENGTH
            and isinstance(elem.value, bytes)
            and len(elem.value) < elem.length
        ):
            return True
    return False


_UNDEFINED_LENGTH = 0xFFFFFFFF


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return text or type(exc).__name__


def pixel_budget_problem(ds: Dataset, rows: int, columns: int, frames: int, file_size: int) -> str | None:
    """Why the pixel data ``ds`` declares must not be decoded, or None when it may.

    A frame may not need more than :data:`MAX_FRAME_BYTES`; native pixel data must fit in the
    file; RLE data cannot expand more than 64-fold (PackBits).
    """
    bits = int(ds.get("BitsAllocated", 16) or 16)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if rows <= 0 or columns <= 0 or frames <= 0 or not 1 <= bits <= 64 or not 1 <= samples <= 4:
        return None  # the image checks name these
    frame_bytes = rows * columns * samples * max(1, bits // 8)
    declared = f"{rows}x{columns} pixels of {bits} bits"
    if frame_bytes > MAX_FRAME_BYTES:
        return (
            f"the header declares {declared} ({frame_bytes / 2**30:.1f} GiB a frame), more than "
            f"the {MAX_FRAME_BYTES >> 30} GiB this viewer decodes: refused before decoding"
        )
    meta = getattr(ds, "file_meta", None)
    syntax = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    if syntax in _NATIVE_SYNTAXES and bits >= 8:
        needed = frame_bytes * frames
        if needed > file_size:
            return (
                f"the header declares {declared} x {frames} frame(s) ({needed:,} bytes) but the "
                f"file holds only {file_size:,} bytes: truncated or damaged"
            )
    elif syntax == RLE_LOSSLESS and frame_bytes * frames > _RLE_MAX_RATIO * file_size + (1 << 20):
        return (
            f"the header declares {declared} x {frames} frame(s), more than {file_size:,} bytes of "
            "RLE data can hold: damaged header, refused before decoding"
        )
    return None
