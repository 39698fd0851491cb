"""Tests of viewer.dicom.decode: codecs agree, reduced decoding, worker processes."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.encaps import generate_frames

from viewer.core.pyramid import build_levels
from viewer.dicom.decode import (
    DecodeError,
    decode_frame,
    decode_preview,
    decode_pyramid,
    decode_reduced,
    decoder_problem,
    pyramid_layout,
    pyramid_views,
    transfer_syntax_name,
)

MakeFile = Callable[..., Path]


def _jpeg_ls_near(path: Path) -> int:
    """The NEAR parameter of a JPEG-LS codestream's first scan (0 = lossless)."""
    ds = dcmread(path)
    codestream = next(generate_frames(ds.PixelData, number_of_frames=1))
    sos = codestream.index(b"\xff\xda")
    components = codestream[sos + 4]
    return int(codestream[sos + 5 + 2 * components])


class TestCodecsAgree:
    """The four RG3 files are one image in four codecs."""

    def test_lossless_codecs_are_identical(self, shared_data: Path) -> None:
        """JPEG 2000 lossless, JPEG Lossless and RLE decode to the same pixels."""
        reference = decode_frame(shared_data / "wg04_RG3_RLE.dcm")
        assert reference.shape == (1760, 1760)
        for name in ("wg04_RG3_J2KR.dcm", "wg04_RG3_JPLL.dcm"):
            np.testing.assert_array_equal(decode_frame(shared_data / name), reference)

    def test_near_lossless_jpeg_ls_within_near(self, shared_data: Path) -> None:
        """JLSN is JPEG-LS near-lossless: every pixel within its NEAR of the lossless ones."""
        path = shared_data / "wg04_RG3_JLSN.dcm"
        near = _jpeg_ls_near(path)
        assert near == 4
        diff = decode_frame(path).astype(int) - decode_frame(shared_data / "wg04_RG3_RLE.dcm")
        assert int(np.abs(diff).max()) <= near
        assert np.any(diff != 0)  # truly lossy: the tolerance is needed


class TestTwelveBitLossyJpeg:
    """JPEG Extended at 12-bit precision, which pydicom's plugins refuse, decodes through GDCM."""

    def test_decodes_to_the_stored_range(self, shared_data: Path) -> None:
        """wg04_RG2_JPLY: 2140x1760, 10 bits stored, values 0-960, a smooth radiograph (not noise)."""
        arr = decode_frame(shared_data / "wg04_RG2_JPLY.dcm")
        assert arr.shape == (2140, 1760)
        assert (int(arr.min()), int(arr.max())) == (0, 960)
        # A wrong stride or byte order gives noise: neighbours then differ by about the range.
        step = np.abs(np.diff(arr.astype(np.int32), axis=1)).mean()
        assert step < 0.02 * 960

    def test_truncated_twelve_bit_jpeg_says_why(self, shared_data: Path, tmp_path: Path) -> None:
        """Half a 12-bit JPEG codestream fails with a DecodeError naming the data, not a crash."""
        from pydicom.encaps import encapsulate

        ds = dcmread(shared_data / "wg04_RG2_JPLY.dcm")
        codestream = next(generate_frames(ds.PixelData, number_of_frames=1))
        ds.PixelData = encapsulate([codestream[: len(codestream) // 2]])
        ds.save_as(tmp_path / "half.dcm")
        with pytest.raises(DecodeError, match="the JPEG data could not be decoded"):
            decode_frame(tmp_path / "half.dcm")

    def test_wrong_vr_elsewhere_in_the_header_decodes(self, shared_data: Path, tmp_path: Path) -> None:
        """Imager Pixel Spacing written as SH: the same pixels (GDCM read it and aborted the process)."""
        ds = dcmread(shared_data / "wg04_RG2_JPLY.dcm")
        ds.add_new(0x00181164, "SH", "-inf")
        ds.save_as(tmp_path / "sh.dcm")
        script = (
            "import sys, numpy as np\n"
            "from viewer.dicom.decode import decode_frame\n"
            "np.save(sys.argv[2], decode_frame(sys.argv[1]))\n"
        )
        out = tmp_path / "pixels.npy"
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "sh.dcm"), str(out)],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-300:]
        assert np.array_equal(np.load(out), decode_frame(shared_data / "wg04_RG2_JPLY.dcm"))

    def test_no_gpl_decoder_needed(self) -> None:
        """The JPEG decoders in use are GDCM's and CharLS's, not GPL pylibjpeg-libjpeg."""
        from importlib import metadata

        with pytest.raises(metadata.PackageNotFoundError):
            metadata.distribution("pylibjpeg-libjpeg")
        assert decoder_problem("1.2.840.10008.1.2.4.70") is None  # JPEG lossless, GDCM
        assert decoder_problem("1.2.840.10008.1.2.4.80") is None  # JPEG-LS, pyjpegls


class TestReducedDecode:
    """decode_reduced for a quick first paint."""

    @pytest.mark.parametrize("level", [1, 2, 3])
    def test_jpeg2000_lossless_reduced(self, shared_data: Path, level: int) -> None:
        """A reduced J2K decode has the reduced shape and the full image's local means."""
        path = shared_data / "wg04_RG3_J2KR.dcm"
        full = decode_frame(path).astype(np.float64)
        small = decode_reduced(path, 0, level)
        step = 2**level
        assert small.shape == (-(-1760 // step), -(-1760 // step))
        assert small.dtype == np.uint16
        # The low-pass band approximates block means of the full image.
        means = full.reshape(1760 // step, step, 1760 // step, step).mean(axis=(1, 3))
        assert float(np.abs(small.astype(np.float64) - means).mean()) < 0.02 * 1023

    def test_more_levels_than_the_codestream_holds(self, shared_data: Path) -> None:
        """Past the codestream's 5 decomposition levels: its coarsest, subsampled, still fast."""
        path = shared_data / "wg04_RG3_J2KR.dcm"
        small = decode_reduced(path, 0, 7)
        assert small.shape == (-(-1760 // 128), -(-1760 // 128))
        np.testing.assert_array_equal(small, decode_reduced(path, 0, 5)[::4, ::4])

    def test_other_syntaxes_are_subsampled(self, shared_data: Path) -> None:
        """RLE has no resolution levels: the full decode, every 4th pixel."""
        path = shared_data / "wg04_RG3_RLE.dcm"
        np.testing.assert_array_equal(decode_reduced(path, 0, 2), decode_frame(path)[::4, ::4])

    def test_lossy_jpeg2000_scaled_back_to_stored_bits(self, shared_data: Path) -> None:
        """A 12-bit J2K image decoded reduced stays within 12 bits."""
        small = decode_reduced(shared_data / "wg04_MG1_J2KI.dcm", 0, 3)
        assert small.shape == (583, 383) and int(small.max()) <= 4095

    def test_missing_frame(self, shared_data: Path) -> None:
        """Asking for a frame that does not exist is a DecodeError."""
        with pytest.raises(DecodeError, match="frame 3 does not exist"):
            decode_reduced(shared_data / "wg04_RG3_J2KR.dcm", 3, 1)


class TestWorkers:
    """decode_frame runs in another process."""

    def test_decode_in_a_spawned_process(self, make_file: MakeFile) -> None:
        """A spawned worker decodes the same pixels as this process."""
        truth = (np.arange(50 * 40).reshape(50, 40) % 4096).astype(np.uint16)
        frames = np.stack([truth, truth[::-1]])
        path = make_file("w.dcm", frames)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            result = pool.submit(decode_frame, path, 1).result(timeout=120)
        np.testing.assert_array_equal(result, truth[::-1])


class TestSyntaxes:
    """Names and decoder availability."""

    def test_names(self) -> None:
        """Known syntaxes get pydicom's names; JPEG XL is named though pydicom lacks it."""
        assert transfer_syntax_name("1.2.840.10008.1.2.5") == "RLE Lossless"
        assert transfer_syntax_name("1.2.840.10008.1.2.4.110") == "JPEG XL Lossless"
        assert transfer_syntax_name("1.2.3.4") == "1.2.3.4"

    @pytest.mark.parametrize(
        "uid",
        [
            "1.2.840.10008.1.2",
            "1.2.840.10008.1.2.1",
            "1.2.840.10008.1.2.2",
            "1.2.840.10008.1.2.1.99",
            "1.2.840.10008.1.2.4.50",
            "1.2.840.10008.1.2.4.51",
            "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70",
            "1.2.840.10008.1.2.4.80",
            "1.2.840.10008.1.2.4.81",
            "1.2.840.10008.1.2.4.90",
            "1.2.840.10008.1.2.4.91",
            "1.2.840.10008.1.2.5",
        ],
    )
    def test_installed_decoders(self, uid: str) -> None:
        """Every syntax issue 3 lists decodes with the installed plugins."""
        assert decoder_problem(uid) is None

    def test_corrupt_codestream(self, shared_data: Path, tmp_path: Path) -> None:
        """A damaged JPEG 2000 codestream raises DecodeError, not a bare exception."""
        ds = dcmread(shared_data / "wg04_RG3_J2KR.dcm")
        from pydicom.encaps import encapsulate

        ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + b"\x00" * 200])
        path = tmp_path / "broken.dcm"
        ds.save_as(path)
        with pytest.raises(DecodeError):
            decode_frame(path)


class TestWorkerJobs:
    """The loader's worker jobs: a frame and its display levels, into a shared block."""

    def test_levels_returned(self, make_file: MakeFile) -> None:
        """Without a block the levels come back, clipped to the stored range given."""
        truth = (np.arange(600 * 520).reshape(600, 520) % 4096).astype(np.uint16)
        path = make_file("p.dcm", truth)
        levels = decode_pyramid(str(path), 0, (100, 3000), "<u2")
        assert isinstance(levels, list)
        expected = build_levels(np.clip(truth, 100, 3000))
        assert len(levels) == len(expected) == 2
        for got, want in zip(levels, expected, strict=True):
            np.testing.assert_array_equal(got, want)

    def test_levels_written_into_a_block(self, make_file: MakeFile, tmp_path: Path) -> None:
        """With a block of the layout's size the levels are written there, the shape returned."""
        truth = (np.arange(530 * 700).reshape(530, 700) % 4096).astype(np.uint16)
        path = make_file("b.dcm", truth)
        dtype = np.dtype("<u2")
        _, size = pyramid_layout(truth.shape, dtype)
        block = tmp_path / "block"
        block.write_bytes(bytes(size))
        assert decode_pyramid(str(path), 0, (0, 4095), "<u2", str(block)) == truth.shape
        levels = pyramid_views(bytearray(block.read_bytes()), truth.shape, dtype)
        for got, want in zip(levels, build_levels(truth), strict=True):
            np.testing.assert_array_equal(got, want)

    def test_block_of_the_wrong_size(self, make_file: MakeFile, tmp_path: Path) -> None:
        """A block sized for another shape is refused and left untouched."""
        path = make_file("s.dcm", np.ones((64, 48), dtype=np.uint16))
        block = tmp_path / "block"
        block.write_bytes(bytes(1000))
        with pytest.raises(DecodeError, match="64x48"):
            decode_pyramid(str(path), 0, (0, 4095), "<u2", str(block))
        assert block.read_bytes() == bytes(1000)

    def test_never_writes_into_a_file_that_is_not_the_named_block(
        self, make_file: MakeFile, tmp_path: Path
    ) -> None:
        """A target that is not the named memory block (a reused descriptor) is not written."""
        truth = np.ones((64, 48), dtype=np.uint16)
        path = make_file("n.dcm", truth)
        _, size = pyramid_layout(truth.shape, np.dtype("<u2"))
        victim = tmp_path / "victim.dcm"
        victim.write_bytes(b"\x07" * size)
        with pytest.raises(DecodeError, match="closed"):
            decode_pyramid(str(path), 0, (0, 4095), "<u2", str(victim), block_name="mammo-viewer-1-1")
        assert victim.read_bytes() == b"\x07" * size

    def test_preview_clipped(self, make_file: MakeFile) -> None:
        """The preview job subsamples and clips to the stored range."""
        truth = (np.arange(40 * 40).reshape(40, 40) % 4096).astype(np.uint16)
        path = make_file("v.dcm", truth)
        preview = decode_preview(str(path), 0, 2, (0, 1000))
        np.testing.assert_array_equal(preview, np.minimum(truth[::4, ::4], 1000))
