"""Why a compressed frame did not decode: truncated or corrupt data, named by its codec.

The decoders report damage in their own words ("failed to decode image", "Invalid JPEG-LS
stream", "The decoded segment length does not match"), and pydicom joins them into "Unable to
decode as exceptions were raised by all available plugins". A reader needs to know which of
two things happened, so the reason starts with one of these phrases:

- ``truncated <codec> data``: the frame's data stops early. A JPEG 2000 codestream ends with
  the EOC marker (FF D9, PS3.5 A.4.4 / ISO 15444-1 A.4.4), a JPEG or JPEG-LS one with EOI
  (FF D9, ISO 10918-1 B.2.1 / ISO 14495-1 C.1.1); an odd-length fragment is padded with one
  zero byte (PS3.5 A.4). An RLE frame's last segment must decode to one byte a pixel
  (PS3.5 G.3.1); shorter means the data was cut. A file that ends inside its pixel data is
  truncated too.
- ``corrupt <codec> data``: the data is complete but the decoder rejects it.

:func:`short_reason` finds the phrase in a message again (the cell's headline says it).
"""

from __future__ import annotations

import itertools
import re
import struct

from viewer.dicom.read_guard import TRUNCATED

_CODECS = {
    **dict.fromkeys(
        (
            "1.2.840.10008.1.2.4.90",
            "1.2.840.10008.1.2.4.91",
            "1.2.840.10008.1.2.4.201",
            "1.2.840.10008.1.2.4.202",
            "1.2.840.10008.1.2.4.203",
        ),
        "JPEG 2000",
    ),
    **dict.fromkeys(("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"), "JPEG-LS"),
    **dict.fromkeys(
        (
            "1.2.840.10008.1.2.4.50",
            "1.2.840.10008.1.2.4.51",
            "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70",
        ),
        "JPEG",
    ),
    "1.2.840.10008.1.2.5": "RLE",
}

_END_MARKER = b"\xff\xd9"
"""EOC of JPEG 2000 and EOI of JPEG and JPEG-LS: the same two bytes."""

_ALL_PLUGINS_FAILED = "Unable to decode as exceptions were raised"
"""How pydicom's message starts when every decoder it tried failed on the data."""

_SHORT = re.compile(r"\b(truncated|corrupt) (JPEG 2000|JPEG-LS|JPEG|RLE) data\b")


def codec_of(syntax: str) -> str | None:
    """The codec family of a compressed transfer syntax ("JPEG 2000", "JPEG-LS", "JPEG", "RLE")."""
    return _CODECS.get(syntax)


def truncated_file_reason(syntax: str) -> str:
    """Why a file that ends inside its pixel data cannot be decoded, naming the codec."""
    codec = codec_of(syntax)
    return f"truncated {codec} data: {TRUNCATED}" if codec else TRUNCATED


def damage_reason(
    syntax: str, frame_data: bytes | None, decoder_message: str, rows: int, columns: int
) -> str:
    """The reason a frame of ``syntax`` did not decode, from its data and the decoder's message.

    ``frame_data`` is the frame's encapsulated bytes (None when they could not be read);
    ``rows`` x ``columns`` the frame's size (RLE segments decode to one byte a pixel). A
    message that is not the decoders' (pydicom refusing the header before any decoder ran)
    is returned as it is, unless the data is cut short: the data is not to blame then.
    """
    codec = codec_of(syntax)
    detail = condensed(decoder_message)
    if codec is None:
        return detail
    if frame_data is not None and data_cut_short(codec, frame_data, rows * columns):
        what = "its last segment decodes to fewer bytes than pixels" if codec == "RLE" else "no end marker"
        return f"truncated {codec} data: the frame's data stops early ({what}; decoder: {detail})"
    if not decoder_message.lstrip().startswith(_ALL_PLUGINS_FAILED):
        return detail
    return f"corrupt {codec} data: the decoder rejects it ({detail})"


def short_reason(message: str) -> str | None:
    """``truncated JPEG 2000 data`` (or another of the phrases above) found in ``message``, else None."""
    found = _SHORT.search(message)
    return found.group(0) if found else None


def condensed(message: str) -> str:
    """A decoder's message on one line: pydicom's list of plugin failures joined with '; '."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith(_ALL_PLUGINS_FAILED) and len(lines) > 1:
        lines = lines[1:]
    return "; ".join(lines)[:300] or "no reason given"


def data_cut_short(codec: str, data: bytes, pixels: int) -> bool:
    """Whether the frame's ``data`` of ``codec`` stops before its end (see the module's docstring)."""
    if codec == "RLE":
        return _rle_cut_short(data, pixels)
    # zero bytes after the marker: the pad byte of an odd length, or an encoder's fill
    return not data.rstrip(b"\x00").endswith(_END_MARKER)


def _rle_cut_short(data: bytes, pixels: int) -> bool:
    if len(data) < 64:
        return True
    count = int(struct.unpack("<I", data[:4])[0])
    if not 1 <= count <= 15:
        return False  # a broken header, not a short one
    offsets = [int(o) for o in struct.unpack(f"<{count}I", data[4 : 4 + 4 * count])] + [len(data)]
    if any(b < a for a, b in itertools.pairwise(offsets)) or offsets[0] != 64:
        # a segment said to start beyond the end of the data: the data was cut
        return max(offsets[:-1]) >= len(data)
    return _packbits_length(data[offsets[-2] :]) < pixels


def _packbits_length(segment: bytes) -> int:
    """How many bytes a PackBits segment decodes to (PS3.5 G.3.1), without decoding it.

    A run cut off by the end of the segment counts only the bytes that are there.
    """
    n, i, size = 0, 0, len(segment)
    while i < size:
        header = segment[i]
        if header < 128:  # a literal run of header + 1 bytes
            n += min(header + 1, size - i - 1)
            i += header + 2
        elif header > 128:  # one byte repeated 257 - header times
            n += 257 - header if i + 1 < size else 0
            i += 2
        else:  # 128: no operation
            i += 1
    return n
