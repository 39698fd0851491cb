"""Tests of viewer.dicom.read_guard: what never gets opened, decoded or allowed to allocate."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from pydicom import dcmread

from tests.fixtures.dicom_files import MakeDataset
from tests.fixtures.dicom_files import write_dicom as write
from viewer.dicom.image import DicomImageError, MammoImage
from viewer.dicom.read_guard import MAX_FRAME_BYTES, check_regular_file
from viewer.dicom.study import open_study

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


class TestNotAFile:
    @posix_only
    def test_fifo_skipped_unopened(self, tmp_path: Path, make_ds: MakeDataset) -> None:
        """A FIFO in a study folder is a note (never opened, so nothing blocks); the image opens."""
        os.mkfifo(tmp_path / "pipe.dcm")
        write(make_ds(), tmp_path / "good.dcm")
        study = open_study([tmp_path])
        assert [i.path.name for i in study.images] == ["good.dcm"]
        (problem,) = study.problems
        assert problem.skipped and "named pipe (FIFO)" in problem.message

    @posix_only
    def test_device_refused(self, tmp_path: Path) -> None:
        """A link to /dev/zero given by name is refused as a device, not read forever."""
        link = tmp_path / "zero.dcm"
        link.symlink_to("/dev/zero")
        with pytest.raises(DicomImageError, match="a device, not a file"):
            MammoImage.open(link)

    def test_symlink_loop_named(self, tmp_path: Path, make_ds: MakeDataset) -> None:
        """Links pointing at each other are named as a loop; the study's image still opens."""
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        write(make_ds(), tmp_path / "good.dcm")
        study = open_study([tmp_path, tmp_path / "a"])
        assert [i.path.name for i in study.images] == ["good.dcm"]
        assert len(study.problems) == 2
        assert all(p.skipped and "symbolic link loop" in p.message for p in study.problems)

    def test_dangling_link(self, tmp_path: Path) -> None:
        """A link to nothing says so."""
        (tmp_path / "gone.dcm").symlink_to(tmp_path / "missing.dcm")
        with pytest.raises(DicomImageError, match="symbolic link to a file that does not exist"):
            check_regular_file(tmp_path / "gone.dcm")


class TestDeclaredSizes:
    def test_rle_declaring_huge_image_refused(self, tmp_path: Path, shared_data: Path) -> None:
        """A real RLE file whose header claims 60000 x 60000 pixels is refused before any decoder runs."""
        path = tmp_path / "huge.dcm"
        ds = dcmread(shared_data / "wg04_RG3_RLE.dcm")
        ds.Rows = ds.Columns = 60000
        ds.save_as(path)
        with pytest.raises(DicomImageError, match=r"60000x60000 pixels .* refused before decoding"):
            MammoImage.open(path)

    def test_rle_claiming_more_than_it_can_hold(self, tmp_path: Path, shared_data: Path) -> None:
        """RLE data cannot expand more than 64-fold: 12000 x 12000 from 1.9 MB is a damaged header."""
        path = tmp_path / "big.dcm"
        ds = dcmread(shared_data / "wg04_RG3_RLE.dcm")
        ds.Rows = ds.Columns = 12000
        ds.save_as(path)
        assert MAX_FRAME_BYTES > 12000 * 12000 * 2
        with pytest.raises(DicomImageError, match=r"more than .* bytes of RLE data can hold"):
            MammoImage.open(path)

    def test_native_more_frames_than_file(self, tmp_path: Path, make_ds: MakeDataset) -> None:
        """Uncompressed pixels declared beyond the file's end: refused at open, naming the sizes."""
        ds = make_ds()
        ds.NumberOfFrames = 1000
        path = write(ds, tmp_path / "frames.dcm")
        with pytest.raises(DicomImageError, match=r"64x48 pixels of 16 bits x 1000 frame\(s\)"):
            MammoImage.open(path)

    def test_real_files_within_budget(self, shared_data: Path, tmp_path: Path) -> None:
        """Every real image that opened before still opens (the limits cut nothing real)."""
        for name in (
            "wg04_RG3_RLE.dcm",
            "wg04_RG3_JPLL.dcm",
            "wg04_MG1_J2KI.dcm",
            "notzaki_MG_Explicit_Little.dcm",
        ):
            shutil.copy(shared_data / name, tmp_path / name)
            assert MammoImage.open(tmp_path / name).pixels().size > 0


class TestDamagedHeaders:
    def test_wrong_type_value_is_a_message(self, tmp_path: Path, make_ds: MakeDataset) -> None:
        """Rows stored as text that is no number: a per-file message, the rest of the study opens."""
        write(make_ds(), tmp_path / "good.dcm")
        bad = write(make_ds(), tmp_path / "bad.dcm")
        data = bad.read_bytes()
        # Rows (0028,0010) written with the VR SH and letters: int() of it fails in the header read
        ds = dcmread(bad)
        del ds.Rows
        ds.add_new(0x00280010, "SH", "ab")
        ds.save_as(bad)
        assert bad.read_bytes() != data
        study = open_study([tmp_path])
        assert [i.path.name for i in study.images] == ["good.dcm"]
        (problem,) = study.problems
        assert not problem.skipped and problem.message.startswith("bad.dcm: ")
        assert "Traceback" not in problem.message


class TestTruncatedPixelData:
    """A JPEG 2000 file cut short inside its encapsulated pixel data: pydicom warns and hands back
    an *empty* dataset, which a naive reader takes for "not an image" and skips unnoticed."""

    @pytest.fixture
    def cut(self, shared_data: Path, tmp_path: Path) -> Path:
        data = (shared_data / "wg04_MG1_J2KI.dcm").read_bytes()
        path = tmp_path / "cut.dcm"
        path.write_bytes(data[: int(len(data) * 0.9)])
        return path

    def test_the_header_stays_and_the_pixels_say_why(self, cut: Path) -> None:
        """The view and size are read; decoding names the truncation, in-process and in a worker."""
        from viewer.dicom.decode import DecodeError, decode_frame
        from viewer.dicom.read_guard import TRUNCATED

        image = MammoImage.open(cut)
        assert image.truncated and image.problem() is None
        assert image.view_label == "LMLO" and (image.rows, image.columns) == (4664, 3064)
        with pytest.raises(DicomImageError, match="ends inside its pixel data"):
            image.pixels(0)
        with pytest.raises(DecodeError) as caught:
            decode_frame(cut, 0)
        assert str(caught.value) == f"truncated JPEG 2000 data: {TRUNCATED}"

    def test_a_whole_file_is_not_called_truncated(self, shared_data: Path) -> None:
        """The same file uncut decodes and carries no flag."""
        image = MammoImage.open(shared_data / "wg04_MG1_J2KI.dcm")
        assert not image.truncated


class TestWithoutFileMeta:
    @pytest.mark.parametrize("implicit", [True, False], ids=["implicit", "explicit"])
    def test_bare_dataset_decodes(self, tmp_path: Path, make_ds: MakeDataset, implicit: bool) -> None:
        """A file that is a bare dataset (no preamble, no DICM, no file meta: old writers) decodes to its
        pixels, implicit or explicit VR; it opened, then failed with "'transfer_syntax_uid' is required"."""
        from viewer.dicom.decode import decode_frame

        ds = make_ds()
        expected = ds.pixel_array.copy()
        ds.preamble = None
        del ds.file_meta
        path = tmp_path / "bare.dcm"
        ds.save_as(path, enforce_file_format=False, implicit_vr=implicit, little_endian=True)
        assert path.read_bytes()[128:132] != b"DICM"
        image = MammoImage.open(path)
        assert image.problem() is None
        assert (image.pixels(0) == expected).all()
        assert (decode_frame(path, 0) == expected).all()  # what a decoding process runs
