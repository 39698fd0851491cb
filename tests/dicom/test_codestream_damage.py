"""Tests of viewer.dicom.codestream_damage: truncated or corrupt data named by its codec."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.encaps import encapsulate, generate_frames

from viewer.dicom.codestream_damage import damage_reason, data_cut_short, short_reason
from viewer.dicom.decode import DecodeError, decode_frame
from viewer.dicom.image import DicomImageError, MammoImage

CODECS = {
    "wg04_RG3_J2KR.dcm": "JPEG 2000",
    "wg04_MG1_J2KI.dcm": "JPEG 2000",
    "wg04_RG3_JLSN.dcm": "JPEG-LS",
    "wg04_RG3_JPLL.dcm": "JPEG",
    "wg04_RG3_RLE.dcm": "RLE",
}
"""Real files of each compressed codec in ../shared/data."""


def cut_codestream(source: Path, target: Path, keep: float = 0.6) -> Path:
    """``source`` with its first frame's data cut to ``keep`` of its length, in a sound file."""
    ds = dcmread(source)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([frame[: int(len(frame) * keep)]])
    ds.save_as(target)
    return target


def damage_header(source: Path, target: Path) -> Path:
    """``source`` with bytes after its first frame's start overwritten; its end is kept."""
    ds = dcmread(source)
    frame = bytearray(next(generate_frames(ds.PixelData, number_of_frames=1)))
    if str(ds.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.5":
        frame[64:4064] = b"\x80" * 4000  # PackBits no-ops: the first segment decodes short
    else:
        frame[2:40] = bytes(38)  # the marker segments after SOC / SOI
    ds.PixelData = encapsulate([bytes(frame)])
    ds.save_as(target)
    return target


class TestRealFilesCutShort:
    """Real files of every codec, cut, name the codec and the truncation."""

    @pytest.mark.parametrize("name", sorted(CODECS))
    def test_codestream_cut_inside_a_sound_file(self, name: str, shared_data: Path, tmp_path: Path) -> None:
        """A frame whose data stops at 60% (the file itself complete): 'truncated <codec> data'."""
        path = cut_codestream(shared_data / name, tmp_path / "cut.dcm")
        with pytest.raises(DecodeError) as caught:
            decode_frame(path)
        assert str(caught.value).startswith(f"truncated {CODECS[name]} data: the frame's data stops early")
        with pytest.raises(DicomImageError) as raised:
            MammoImage.open(path).pixels(0)
        assert short_reason(str(raised.value)) == f"truncated {CODECS[name]} data"

    @pytest.mark.parametrize("name", sorted(CODECS))
    def test_file_cut_inside_its_pixel_data(self, name: str, shared_data: Path, tmp_path: Path) -> None:
        """A file whose bytes end at 60% (an interrupted copy): the codec and the cut are named."""
        data = (shared_data / name).read_bytes()
        path = tmp_path / "copy.dcm"
        path.write_bytes(data[: int(len(data) * 0.6)])
        with pytest.raises(DecodeError) as caught:
            decode_frame(path)
        assert str(caught.value).startswith(f"truncated {CODECS[name]} data: the file ends inside")
        with pytest.raises(DicomImageError, match=f"truncated {CODECS[name]} data: the file ends"):
            MammoImage.open(path).pixels(0)

    @pytest.mark.parametrize("name", ["wg04_RG3_J2KR.dcm", "wg04_RG3_JLSN.dcm", "wg04_RG3_RLE.dcm"])
    def test_damaged_but_complete_data_is_corrupt(self, name: str, shared_data: Path, tmp_path: Path) -> None:
        """Data with its end intact that the decoder rejects: 'corrupt <codec> data', the decoder's words."""
        path = damage_header(shared_data / name, tmp_path / "bad.dcm")
        with pytest.raises(DecodeError) as caught:
            decode_frame(path)
        assert str(caught.value).startswith(f"corrupt {CODECS[name]} data: the decoder rejects it (")
        assert "Unable to decode as exceptions" not in str(caught.value)


class TestDataCutShort:
    """The end markers and RLE segment lengths that tell a cut from damage."""

    def test_end_marker_with_padding(self) -> None:
        """FF D9 at the end, or followed by zero padding, is complete; without it the data is cut."""
        assert not data_cut_short("JPEG 2000", b"\xff\x4f\x00\xff\xd9", 0)
        assert not data_cut_short("JPEG-LS", b"\xff\xd8\x01\xff\xd9\x00", 0)
        assert not data_cut_short("JPEG", b"\xff\xd8\x01\xff\xd9\x00\x00\x00", 0)
        assert data_cut_short("JPEG", b"\xff\xd8\x01\x02\x03", 0)

    def test_rle_segment_lengths(self) -> None:
        """One segment of 8 pixels: a run of 8 is whole, a run of 5 or a cut literal run is short."""
        header = (1).to_bytes(4, "little") + (64).to_bytes(4, "little") + bytes(56)
        assert not data_cut_short("RLE", header + bytes([257 - 8, 7]), 8)
        assert data_cut_short("RLE", header + bytes([257 - 5, 7]), 8)
        assert not data_cut_short("RLE", header + bytes([7, *range(8)]), 8)
        assert data_cut_short("RLE", header + bytes([7, *range(5)]), 8)
        assert data_cut_short("RLE", header[:40], 8)

    def test_rle_segment_starting_past_the_end(self) -> None:
        """A second segment said to start beyond the data: cut."""
        header = (2).to_bytes(4, "little") + (64).to_bytes(4, "little") + (500).to_bytes(4, "little")
        assert data_cut_short("RLE", header + bytes(52) + bytes([257 - 8, 7]), 8)


class TestDamageReason:
    """How the decoder's message and the data make the reason."""

    def test_header_refusal_is_passed_through(self) -> None:
        """pydicom refusing the header (no decoder ran) is not blamed on complete data."""
        message = "Missing required element: (0028,0103) 'Pixel Representation'"
        assert damage_reason("1.2.840.10008.1.2.4.90", b"\xff\x4f\xff\xd9", message, 2, 2) == message

    def test_native_data_keeps_the_message(self) -> None:
        """Uncompressed syntaxes have no codec: the message on one line."""
        assert damage_reason("1.2.840.10008.1.2.1", None, "too short\n  really", 2, 2) == "too short; really"

    def test_short_reason(self) -> None:
        """The headline phrase is found inside a longer message; other messages have none."""
        text = "a.dcm: cannot decode (JPEG 2000): truncated JPEG 2000 data: the frame's data stops early"
        assert short_reason(text) == "truncated JPEG 2000 data"
        assert short_reason("corrupt JPEG-LS data: the decoder rejects it") == "corrupt JPEG-LS data"
        assert short_reason("file not found") is None
