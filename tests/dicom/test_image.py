"""Tests of viewer.dicom.image: header attributes, display defaults, pixels, bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate

from viewer.core.display_transform import DisplayTransform
from viewer.core.geometry import SpacingSource
from viewer.dicom.image import DicomImageError, MammoImage

MakeFile = Callable[..., Path]


class TestRealHeaders:
    """Attributes read from the real files of ../shared/data."""

    def test_ge_senographe(self, shared_data: Path) -> None:
        """GE GH133: R MLO, For Presentation, 3 SIGMOID windows then 3 VOI LUT tables."""
        image = MammoImage.open(shared_data / "fodicom_GH133_GE_SenographeEssential_MG.dcm")
        assert (image.laterality, image.view, image.view_label) == ("R", "MLO", "RMLO")
        assert (image.rows, image.columns, image.frames, image.bits_stored) == (3062, 2394, 1, 12)
        assert image.presentation_intent == "FOR PRESENTATION" and not image.for_processing
        assert image.transfer_syntax == "1.2.840.10008.1.2.4.70"
        assert "JPEG Lossless" in image.transfer_syntax_name
        assert [(p.kind, p.name, p.function) for p in image.voi_presets] == [
            ("window", "NORMAL", "SIGMOID"),
            ("window", "HARDER", "SIGMOID"),
            ("window", "SOFTER", "SIGMOID"),
            ("lut", "NORMAL", "TABLE"),
            ("lut", "HARDER", "TABLE"),
            ("lut", "SOFTER", "TABLE"),
        ]
        assert image.default_voi() is image.voi_presets[0]
        assert image.patient_orientation == ("P", "FL")
        assert not image.invert_default and image.bright_is_high
        assert image.stored_range == (0, 4095)

    def test_siemens_view_from_position(self, shared_data: Path) -> None:
        """Siemens: L CC, one LINEAR window named by its explanation."""
        image = MammoImage.open(shared_data / "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm")
        assert image.view_label == "LCC"
        assert image.spacing.source is SpacingSource.IMAGER_PIXEL_SPACING_ERMF
        assert [(p.name, p.center, p.width, p.function) for p in image.voi_presets] == [
            ("linear LUT", 2048.0, 4096.0, "LINEAR")
        ]

    def test_view_from_view_code_sequence(self, shared_data: Path) -> None:
        """notzaki: no View Position, the View Code Sequence says cranio-caudal."""
        image = MammoImage.open(shared_data / "notzaki_MG_Explicit_Little.dcm")
        assert image.view_label == "RCC"

    def test_monochrome1_cr(self, shared_data: Path) -> None:
        """A MONOCHROME1 CR: inverted display, calcifications are low stored values."""
        image = MammoImage.open(shared_data / "wg04_RG3_RLE.dcm")
        assert image.invert_default and not image.bright_is_high
        assert image.view is None and image.view_label == "R?"

    def test_modality_lut_sequence(self, shared_data: Path) -> None:
        """The CR with a Modality LUT Sequence carries its 1024-entry table."""
        image = MammoImage.open(shared_data / "fodicom_CR-ModalitySequenceLUT.dcm")
        assert image.modality_lut.table is not None
        assert image.modality_lut.table.shape == (1024,)
        assert image.voi_presets == [] and image.default_voi().name == "Auto (tissue)"


class TestBadInput:
    """Every problem is a DicomImageError naming the file and the reason."""

    def test_not_dicom(self, tmp_path: Path) -> None:
        """A text file is 'not a DICOM file'."""
        path = tmp_path / "notes.dcm"
        path.write_text("hello, this is not DICOM\n" * 20)
        with pytest.raises(DicomImageError, match=r"^notes\.dcm: not a DICOM file$"):
            MammoImage.open(path)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing path says so."""
        with pytest.raises(DicomImageError, match=r"gone\.dcm: file not found"):
            MammoImage.open(tmp_path / "gone.dcm")

    def test_no_pixel_data(self, shared_data: Path) -> None:
        """The Hologic header without Pixel Data: 'no image data'."""
        with pytest.raises(DicomImageError, match=r"PropProj\.dcm: this file has no image data"):
            MammoImage.open(shared_data / "openrem_MG-Im-Hologic-PropProj.dcm")

    def test_degenerate_image(self, shared_data: Path) -> None:
        """The 1x2 openrem image is too small to show, and says its size."""
        with pytest.raises(DicomImageError, match=r"only 1x2 pixels") as info:
            MammoImage.open(shared_data / "openrem_MG-Im-GE_Seno_1_ForPresentation.dcm")
        assert not info.value.not_an_image

    def test_structured_report_is_not_an_image(self, shared_data: Path) -> None:
        """An SR is flagged not_an_image (a note, not an error)."""
        with pytest.raises(DicomImageError, match="not an image") as info:
            MammoImage.open(shared_data / "dwv_tid1500_sr-ruler.dcm")
        assert info.value.not_an_image

    @pytest.mark.parametrize(
        ("sop_class", "modality", "name"),
        [
            ("1.2.840.10008.5.1.4.1.1.66.4", "SEG", "Segmentation Storage"),
            ("1.2.840.10008.5.1.4.1.1.481.2", "RTDOSE", "RT Dose Storage"),
            ("1.2.840.10008.5.1.4.1.1.88.59", "KO", "Key Object Selection Document Storage"),
        ],
    )
    def test_objects_with_pixels_that_are_not_images(
        self, make_file: Callable[..., Path], sop_class: str, modality: str, name: str
    ) -> None:
        """A SEG mask or an RT dose grid has Pixel Data but is skipped with a note, never shown."""
        path = make_file(f"{modality}.dcm", sop_class=sop_class, Modality=modality)
        with pytest.raises(DicomImageError, match=f"not an image \\({name}\\): skipped") as info:
            MammoImage.open(path)
        assert info.value.not_an_image

    def test_undecodable_transfer_syntax(self, make_ds: Callable[..., Dataset], tmp_path: Path) -> None:
        """A syntax no decoder handles (MPEG-2 video) names the syntax and the reason."""
        ds = make_ds(transfer_syntax="1.2.840.10008.1.2.4.100")
        ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + b"\x00" * 64])
        ds["PixelData"].VR = "OB"
        path = tmp_path / "video.dcm"
        ds.save_as(path, enforce_file_format=True)
        with pytest.raises(DicomImageError) as info:
            MammoImage.open(path)
        assert str(info.value) == (
            "video.dcm: cannot decode transfer syntax MPEG2 Main Profile / Main Level "
            "(1.2.840.10008.1.2.4.100): no decoder exists for it in pydicom"
        )

    def test_missing_plugin_names_what_to_install(
        self, shared_data: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With the JPEG 2000 plugins gone, the message says what to pip install."""
        from pydicom.pixels.decoders.base import Decoder

        monkeypatch.setattr(Decoder, "is_available", property(lambda self: False))
        with pytest.raises(DicomImageError) as info:
            MammoImage.open(shared_data / "wg04_RG3_J2KR.dcm")
        message = str(info.value)
        assert message.startswith("wg04_RG3_J2KR.dcm: cannot decode transfer syntax JPEG 2000")
        assert "1.2.840.10008.1.2.4.90" in message
        assert "pip install pylibjpeg pylibjpeg-openjpeg" in message

    def test_truncated_pixel_data(self, make_file: MakeFile) -> None:
        """A file too short for the pixels its header declares is refused before decoding, with a reason."""
        path = make_file("short.dcm")
        ds = dcmread(path)
        ds.PixelData = ds.PixelData[:100]
        ds.save_as(path, enforce_file_format=True)
        with pytest.raises(DicomImageError, match=r"short\.dcm: the header declares .* truncated or damaged"):
            MammoImage.open(path)

    def test_colour_image_refused(self, make_ds: Callable[..., Dataset]) -> None:
        """An RGB image is refused with the reason."""
        ds = make_ds(np.zeros((8, 8, 3), dtype=np.uint8).reshape(8, 24), bits_stored=8)
        ds.PhotometricInterpretation = "RGB"
        with pytest.raises(DicomImageError, match="colour images are not supported"):
            MammoImage.from_dataset(ds)


class TestPixels:
    """Decoding, caching, frames."""

    def test_pixels_are_read_only_and_cached(self, make_file: MakeFile) -> None:
        """pixels() returns the same read-only array on the second call."""
        truth = (np.arange(64 * 48).reshape(64, 48) * 3 % 4096).astype(np.uint16)
        image = MammoImage.open(make_file("a.dcm", truth))
        first = image.pixels()
        np.testing.assert_array_equal(first, truth)
        assert not first.flags.writeable and image.pixels() is first

    def test_multi_frame(self, make_file: MakeFile) -> None:
        """Each frame of a multi-frame image decodes to its own values."""
        frames = np.stack([np.full((40, 30), 100 * (i + 1), np.uint16) for i in range(5)])
        image = MammoImage.open(make_file("tomo.dcm", frames))
        assert image.frames == 5
        for i in range(5):
            assert int(image.pixels(i)[0, 0]) == 100 * (i + 1)
        with pytest.raises(DicomImageError, match="frame 6 does not exist"):
            image.pixels(5)

    def test_bits_above_bits_stored_are_not_part_of_the_value(self, make_file: MakeFile) -> None:
        """Uncompressed data: bits above the high bit are masked off (PS3.5 8.1.1), 5000 -> 904."""
        data = np.array([[0, 4095], [5000, 65535]], dtype=np.uint16).repeat(4, 0).repeat(4, 1)
        image = MammoImage.open(make_file("hi.dcm", data))
        expected = np.array([[0, 4095], [5000 & 0x0FFF, 4095]], dtype=np.uint16).repeat(4, 0).repeat(4, 1)
        np.testing.assert_array_equal(image.pixels(), expected)

    def test_decoded_values_past_the_stored_range_are_clipped(self, make_file: MakeFile) -> None:
        """A decoder that returns values past Bits Stored never indexes past the display table."""
        image = MammoImage.open(make_file("hi.dcm", np.zeros((8, 8), np.uint16)))
        decoded = np.array([[0, 4095], [5000, 65535]], dtype=np.uint16).repeat(4, 0).repeat(4, 1)
        adopted = image.store_pixels(0, decoded)
        np.testing.assert_array_equal(adopted, np.minimum(decoded, 4095))
        assert not adopted.flags.writeable

    def test_values_clipped_to_another_range_are_clipped_again(self, make_file: MakeFile) -> None:
        """Only a caller's clipping to the image's own stored range spares the scan."""
        image = MammoImage.open(make_file("hi.dcm", np.zeros((8, 8), np.uint16)))
        decoded = np.array([[0, 4095], [5000, 65535]], dtype=np.uint16).repeat(4, 0).repeat(4, 1)
        adopted = image.store_pixels(0, decoded.copy(), clipped_to=(0, 65535))
        np.testing.assert_array_equal(adopted, np.minimum(decoded, 4095))

    def test_signed_stored_range(self, make_file: MakeFile) -> None:
        """Signed 12-bit data: stored range -2048..2047."""
        data = np.arange(-100, 100, dtype=np.int16).reshape(10, 20)
        image = MammoImage.open(make_file("s.dcm", data))
        assert image.stored_range == (-2048, 2047)
        np.testing.assert_array_equal(image.pixels(), data)

    def test_modality_pixels(self, make_file: MakeFile) -> None:
        """Modality values apply Rescale Slope/Intercept, as float32."""
        data = np.full((8, 8), 1000, np.uint16)
        image = MammoImage.open(make_file("r.dcm", data, RescaleSlope=0.5, RescaleIntercept=-10))
        values = image.modality_pixels()
        assert values.dtype == np.float32 and float(values[0, 0]) == 490.0


class TestDisplayDefaults:
    """Inversion, For Processing, hanging mirror."""

    @pytest.mark.parametrize(
        ("photometric", "shape", "inverted"),
        [
            ("MONOCHROME2", None, False),
            ("MONOCHROME1", None, True),
            ("MONOCHROME1", "INVERSE", True),
            ("MONOCHROME2", "INVERSE", True),
            ("MONOCHROME2", "IDENTITY", False),
        ],
    )
    def test_invert_default(
        self, make_ds: Callable[..., Dataset], photometric: str, shape: str | None, inverted: bool
    ) -> None:
        """MONOCHROME1 and INVERSE each mean 'minimum is white'; together they do not cancel."""
        extra = {} if shape is None else {"PresentationLUTShape": shape}
        image = MammoImage.from_dataset(make_ds(photometric=photometric, **extra))
        assert image.invert_default is inverted
        assert image.bright_is_high is not inverted

    def test_for_processing_uses_auto_window(self, make_ds: Callable[..., Dataset]) -> None:
        """A For Processing image ignores its windows by default and says so."""
        image = MammoImage.from_dataset(
            make_ds(PresentationIntentType="FOR PROCESSING", WindowCenter=100, WindowWidth=50)
        )
        assert image.for_processing
        assert image.default_voi().name == "Auto (tissue)"
        assert image.voi_presets[0].center == 100.0

    @pytest.mark.parametrize(
        ("laterality", "orientation", "hung"),
        [
            ("R", ["P", "L"], DisplayTransform()),
            ("R", ["A", "L"], DisplayTransform(0, True)),
            (
                "R",
                ["A", "R"],
                DisplayTransform(2),
            ),  # a half turn of P\\L: mirroring would put the lateral side down
            ("L", ["A", "F"], DisplayTransform()),
            ("L", ["P", "F"], DisplayTransform(0, True)),
        ],
    )
    def test_hanging_from_patient_orientation(
        self,
        make_ds: Callable[..., Dataset],
        laterality: str,
        orientation: list[str],
        hung: DisplayTransform,
    ) -> None:
        """Right breasts hang with columns towards P, left ones towards A; CC rows run medially."""
        image = MammoImage.from_dataset(make_ds(ImageLaterality=laterality, PatientOrientation=orientation))
        assert image.hanging_transform == hung

    def test_quarter_turn_from_patient_orientation(self, make_ds: Callable[..., Dataset]) -> None:
        """A left CC stored R\\P (rows towards posterior) is turned a quarter clockwise, and says so."""
        image = MammoImage.from_dataset(
            make_ds(ImageLaterality="L", ViewPosition="CC", PatientOrientation=["R", "P"])
        )
        assert image.hanging_transform == DisplayTransform(1)
        assert image.orientation_note is not None and "turned 90° clockwise" in image.orientation_note

    @pytest.mark.parametrize("laterality", ["R", "L"])
    @pytest.mark.parametrize("chest_wall_left", [False, True])
    def test_mirror_guessed_from_tissue(
        self, make_ds: Callable[..., Dataset], laterality: str, chest_wall_left: bool
    ) -> None:
        """Without Patient Orientation, the side with the tissue is the chest wall."""
        y, x = np.mgrid[0:200, 0:160]
        breast = ((y - 100) / 90.0) ** 2 + ((x - 0) / 130.0) ** 2 < 1
        rng = np.random.default_rng(1)
        data = np.where(breast, 2500 + rng.normal(0, 50, breast.shape), 100).astype(np.uint16)
        if not chest_wall_left:
            data = data[:, ::-1]
        image = MammoImage.from_dataset(make_ds(np.ascontiguousarray(data), ImageLaterality=laterality))
        wanted_on_right = laterality == "R"
        assert image.hanging_transform == DisplayTransform(0, chest_wall_left == wanted_on_right)


def _breast(bits_stored: int = 12, offset: int = 0, scale: int = 1) -> np.ndarray:
    """A small synthetic mammogram (phantom), its values scaled and offset."""
    from viewer.core.phantom import make_mammogram

    phantom = make_mammogram(240, 200, (0.1, 0.1), "L", "CC", seed=4)
    return (phantom.pixels.astype(np.int64) * scale + offset).astype(np.uint16)


class TestFileWindowRules:
    """The file's window, the automatic one, and what is said when they differ."""

    def test_window_beyond_every_value_gives_the_automatic_one(self, make_ds: Callable[..., Dataset]) -> None:
        """Window 2725/5310 over data at 32744-65535 would be all white: auto, with a note.

        The file's window is still offered as a preset.
        """
        pixels = _breast(offset=32744, scale=8)
        assert int(pixels.min()) >= 32744
        ds = make_ds(pixels, bits_stored=16, WindowCenter=2725, WindowWidth=5310)
        image = MammoImage.from_dataset(ds)
        voi = image.default_voi()
        assert voi.name == "Auto (tissue)"
        assert voi.center is not None and voi.center > 32744
        assert image.window_note() == "the file's window shows no tissue: automatic window used"
        assert [(p.center, p.width) for p in image.voi_presets] == [(2725.0, 5310.0)]

    def test_a_window_over_the_tissue_is_kept(self, make_ds: Callable[..., Dataset]) -> None:
        """A narrow window inside the values is the file's choice: kept, no note."""
        image = MammoImage.from_dataset(make_ds(_breast(), WindowCenter=2000, WindowWidth=100))
        assert image.default_voi() is image.voi_presets[0]
        assert image.window_note() is None

    @pytest.mark.parametrize("function", ["SIGMOID", "LINEAR_EXACT", "LINEAR"])
    def test_automatic_window_keeps_the_file_function(
        self, make_ds: Callable[..., Dataset], function: str
    ) -> None:
        """A SIGMOID file gets a SIGMOID automatic window (and so for the other functions)."""
        ds = make_ds(_breast(), WindowCenter=2000, WindowWidth=1000, VOILUTFunction=function)
        image = MammoImage.from_dataset(ds)
        assert image.auto_voi().function == function

    def test_for_processing_sigmoid_stays_sigmoid(self, make_ds: Callable[..., Dataset]) -> None:
        """For Processing: the automatic window is the default and still SIGMOID."""
        ds = make_ds(_breast(), PresentationIntentType="FOR PROCESSING", WindowCenter=2000, WindowWidth=900)
        ds.VOILUTFunction = "SIGMOID"
        voi = MammoImage.from_dataset(ds).default_voi()
        assert (voi.name, voi.function) == ("Auto (tissue)", "SIGMOID")

    def test_rescaled_zero_to_one_image_gets_a_narrow_window(self, make_ds: Callable[..., Dataset]) -> None:
        """Values 0..1 (slope 1/4095): the automatic window spans the tissue, not all of 0..1."""
        ds = make_ds(_breast(), RescaleSlope="0.000244200244", RescaleIntercept="0")
        image = MammoImage.from_dataset(ds)
        plain = MammoImage.from_dataset(make_ds(_breast())).auto_voi()
        voi = image.auto_voi()
        assert voi.function == "LINEAR_EXACT"  # LINEAR has no width under 1
        assert voi.width == pytest.approx((plain.width or 0) * 0.000244200244, rel=1e-3)


class TestBadDisplayValues:
    """Nonsense in the display attributes: a note naming the attribute and value, never an exception."""

    def test_zero_slope(self, make_ds: Callable[..., Dataset]) -> None:
        """Rescale Slope 0 would make every value equal: identity used, with a note."""
        image = MammoImage.from_dataset(make_ds(RescaleSlope=0, RescaleIntercept=5))
        assert (image.modality_lut.slope, image.modality_lut.intercept) == (1.0, 5.0)
        assert any(
            n.startswith("Rescale Slope (0028,1053) 0") and n.endswith("unusable: 1 used")
            for n in image.notes
        )

    def test_nan_slope(self, make_ds: Callable[..., Dataset]) -> None:
        """A NaN Rescale Slope is named."""
        ds = make_ds()
        ds.add_new(0x00281053, "DS", None)
        ds[0x00281053]._value = "nan"
        image = MammoImage.from_dataset(ds)
        assert image.modality_lut.slope == 1.0
        assert any(n.startswith("Rescale Slope (0028,1053) nan") for n in image.notes)

    @pytest.mark.parametrize("width", ["0", "nan"])
    def test_unusable_window_width(self, make_ds: Callable[..., Dataset], width: str) -> None:
        """Width 0 or NaN: that window is not offered, the next one is, the note names it."""
        ds = make_ds(_breast())
        ds.add_new(0x00281050, "DS", None)
        ds[0x00281050]._value = ["2000", "2100"]
        ds.add_new(0x00281051, "DS", None)
        ds[0x00281051]._value = [width, "800"]
        image = MammoImage.from_dataset(ds)
        assert [(p.center, p.width) for p in image.voi_presets] == [(2100.0, 800.0)]
        assert (
            f"Window Center/Width (0028,1050/1051) 2000/{width} (window 1) is unusable: not offered"
            in image.notes
        )

    def test_only_unusable_windows_open_with_the_automatic_one(self, make_ds: Callable[..., Dataset]) -> None:
        """No usable window at all: the image opens with the automatic window."""
        ds = make_ds(_breast(), WindowCenter=2000, WindowWidth=0)
        image = MammoImage.from_dataset(ds)
        assert image.voi_presets == []
        assert image.default_voi().name == "Auto (tissue)"
        assert image.notes

    def test_bad_spacing_is_a_note_too(self, make_ds: Callable[..., Dataset]) -> None:
        """A magnification of 40 is among the image's notes, and the image opens."""
        ds = make_ds(ImagerPixelSpacing=[0.1, 0.1], EstimatedRadiographicMagnificationFactor=40)
        image = MammoImage.from_dataset(ds)
        assert image.spacing.source is SpacingSource.IMAGER_PIXEL_SPACING
        assert any("(0018,1114) 40 refused" in n for n in image.notes)

    def test_notes_go_to_the_program_log(
        self, make_ds: Callable[..., Dataset], caplog: pytest.LogCaptureFixture
    ) -> None:
        """Each value not used is logged with the file and frame, as the overlay shows it."""
        ds = make_ds(RescaleSlope=0, RescaleIntercept=5, ImagerPixelSpacing=[0.1, 0.1])
        ds.EstimatedRadiographicMagnificationFactor = 40
        with caplog.at_level("INFO", logger="viewer.dicom.image"):
            image = MammoImage.from_dataset(ds)
        assert len(image.notes) == 2
        logged = [r.getMessage() for r in caplog.records if r.name == "viewer.dicom.image"]
        assert logged == [f"{image.path.name} frame 1: {note}" for note in image.notes]


class TestStorePixels:
    """Pixels decoded in a worker process join the cache."""

    def test_adopted_pixels_are_returned(self, make_file: MakeFile) -> None:
        """store_pixels makes the array read-only and pixels() returns it."""
        image = MammoImage.open(make_file("w.dcm"))
        decoded = np.full((64, 48), 7, np.uint16)
        stored = image.store_pixels(0, decoded)
        assert image.pixels() is stored and not stored.flags.writeable

    def test_wrong_shape_is_refused(self, make_file: MakeFile) -> None:
        """An array of another shape is a programming error, named."""
        image = MammoImage.open(make_file("w.dcm"))
        with pytest.raises(ValueError, match="shape"):
            image.store_pixels(0, np.zeros((3, 3), np.uint16))


class TestTransferSyntaxes:
    """Synthetic images in every syntax that can be written here decode to their pixels."""

    @pytest.mark.parametrize(
        "syntax",
        [
            "1.2.840.10008.1.2",  # implicit VR little endian
            "1.2.840.10008.1.2.1",  # explicit VR little endian
            "1.2.840.10008.1.2.2",  # explicit VR big endian (retired, still met)
            "1.2.840.10008.1.2.1.99",  # deflated
            "1.2.840.10008.1.2.5",  # RLE lossless
            "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
        ],
    )
    def test_round_trip_with_a_full_voi_table(
        self, make_ds: Callable[..., Dataset], tmp_path: Path, syntax: str
    ) -> None:
        """Pixels and a 65536-entry OW VOI LUT survive each syntax."""
        truth = (np.arange(120 * 90).reshape(120, 90) * 7 % 4096).astype(np.uint16)
        table = (np.arange(65536) // 16).astype(np.uint16)
        big = syntax == "1.2.840.10008.1.2.2"
        item = Dataset()
        item.LUTDescriptor = [0, 0, 16]
        item.add_new(0x00283006, "OW", table.astype(">u2" if big else "<u2").tobytes())
        native = syntax in (
            "1.2.840.10008.1.2",
            "1.2.840.10008.1.2.1",
            "1.2.840.10008.1.2.2",
            "1.2.840.10008.1.2.1.99",
        )
        ds = make_ds(
            truth, transfer_syntax=syntax if native else "1.2.840.10008.1.2.1", VOILUTSequence=[item]
        )
        if big:
            ds.PixelData = truth.astype(">u2").tobytes()
        if not native:
            ds.compress(syntax, truth)
        path = tmp_path / "syntax.dcm"
        ds.save_as(path, enforce_file_format=True)
        image = MammoImage.open(path)
        assert image.transfer_syntax == syntax
        np.testing.assert_array_equal(image.pixels(), truth)
        lut = image.voi_presets[0]
        assert lut.kind == "lut" and lut.table is not None
        np.testing.assert_array_equal(lut.table, table)
