"""Tests of viewer.dicom.voi and the whole display pipeline against pydicom as the oracle."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from viewer.core.display_lut import display_lut
from viewer.core.windowing import VoiPreset
from viewer.dicom.decode import decode_frame
from viewer.dicom.image import MammoImage
from viewer.dicom.voi import read_modality_lut, read_voi_presets

Oracle = Callable[..., np.ndarray]

# Every file of ../shared/data with Pixel Data (the 1x2 openrem images included: the
# pipeline must be right even where the viewer refuses to show the image).
PIXEL_FILES = [
    "fodicom_CR-ModalitySequenceLUT.dcm",
    "fodicom_GH133_GE_SenographeEssential_MG.dcm",
    "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm",
    "notzaki_MG_Explicit_Little.dcm",
    "openrem_MG-Im-GE_Seno_1_ForPresentation.dcm",
    "openrem_MG-Im-GE_Seno_1_ForProcessing.dcm",
    "pydicomdata_vlut_04.dcm",
    "wg04_MG1_J2KI.dcm",
    "wg04_RG3_J2KR.dcm",
    "wg04_RG3_JLSN.dcm",
    "wg04_RG3_JPLL.dcm",
    "wg04_RG3_RLE.dcm",
    "wg04_RG2_JPLY.dcm",
]


def _with_window(ds: Dataset, preset: VoiPreset) -> Dataset:
    """A copy of ``ds`` whose only VOI is ``preset``'s window, for the oracle."""
    out = copy.deepcopy(ds)
    for keyword in ("VOILUTSequence", "WindowCenterWidthExplanation"):
        if keyword in out:
            delattr(out, keyword)
    out.WindowCenter = preset.center
    out.WindowWidth = preset.width
    out.VOILUTFunction = preset.function
    return out


class TestEveryRealFile:
    """display_lut equals pydicom's modality + VOI (+ inversion) within 1 grey level."""

    def test_list_is_complete(self, shared_data: Path) -> None:
        """PIXEL_FILES names every file of ../shared/data that has Pixel Data."""
        with_pixels = {
            p.name
            for p in shared_data.glob("*.dcm")
            if "PixelData" in dcmread(p, stop_before_pixels=False, defer_size="1 KB")
        }
        assert with_pixels == set(PIXEL_FILES)

    @pytest.mark.parametrize("name", PIXEL_FILES)
    def test_every_preset_default_auto_and_drag(self, shared_data: Path, oracle: Oracle, name: str) -> None:
        """Each file preset, the automatic window and a dragged window match the oracle."""
        path = shared_data / name
        ds = dcmread(path)
        image = MammoImage(ds, path)  # the constructor: no refusal of 1x2 images here
        stored = np.unique(decode_frame(path, 0))  # the oracle is pointwise: values suffice
        low, high = image.stored_range
        stored = np.clip(stored, low, high)

        checks: list[tuple[VoiPreset, Dataset, str, int]] = []
        counts = {"window": 0, "lut": 0}
        for preset in image.voi_presets:
            checks.append((preset, ds, preset.kind, counts[preset.kind]))
            counts[preset.kind] += 1
        auto = image.auto_voi()
        checks.append((auto, _with_window(ds, auto), "window", 0))
        first = image.voi_presets[0] if image.voi_presets else auto
        dragged = first.with_window((first.center or 0) + 37.0, (first.width or 1) * 0.6)
        checks.append((dragged, _with_window(ds, dragged), "window", 0))

        for preset, source, kind, index in checks:
            lut = display_lut(low, high, image.modality_lut, preset, image.invert_default)
            shown = lut[(stored.astype(np.int64) - low)].astype(np.float64)
            expected = oracle(stored, source, kind, index, image.invert_default)
            worst = float(np.abs(shown - expected).max())
            assert worst <= 1.0, f"{name} {preset.kind} {preset.name!r}: off by {worst}"


class TestReading:
    """What read_modality_lut and read_voi_presets make of headers."""

    def test_windows_then_tables_with_names(self, shared_data: Path) -> None:
        """GH133: three named SIGMOID windows, then three named 12-bit tables."""
        ds = dcmread(shared_data / "fodicom_GH133_GE_SenographeEssential_MG.dcm", stop_before_pixels=True)
        presets = read_voi_presets(ds)
        tables = [p for p in presets if p.kind == "lut"]
        assert [p.table_bits for p in tables] == [12, 12, 12]
        assert [p.first_mapped for p in tables] == [625, 1023, 203]
        assert [p.table.shape[0] for p in tables if p.table is not None] == [3447, 3016, 3887]

    def test_unnamed_items_get_numbers(self, make_ds: Callable[..., Dataset]) -> None:
        """Windows and tables without explanations are 'Window n' and 'VOI LUT n'."""
        item = Dataset()
        item.LUTDescriptor = [4, 0, 8]
        item.LUTData = [0, 80, 160, 255]
        ds = make_ds(WindowCenter=[100, 200], WindowWidth=[50, 60], VOILUTSequence=[item])
        assert [p.name for p in read_voi_presets(ds)] == ["Window 1", "Window 2", "VOI LUT 1"]

    def test_unusable_windows_are_left_out(self, make_ds: Callable[..., Dataset]) -> None:
        """A zero width is not offered; an unknown function falls back to LINEAR."""
        ds = make_ds(WindowCenter=[100, 200], WindowWidth=[0, 60], VOILUTFunction="GAMMA")
        presets = read_voi_presets(ds)
        assert [(p.center, p.function) for p in presets] == [(200.0, "LINEAR")]

    def test_enhanced_frame_voi(self, make_ds: Callable[..., Dataset]) -> None:
        """Windows in Shared Functional Groups > Frame VOI LUT are read."""
        voi = Dataset()
        voi.WindowCenter = 1500
        voi.WindowWidth = 800
        voi.WindowCenterWidthExplanation = "TOMO"
        shared = Dataset()
        shared.FrameVOILUTSequence = [voi]
        ds = make_ds(SharedFunctionalGroupsSequence=[shared])
        assert [(p.name, p.center) for p in read_voi_presets(ds)] == [("TOMO", 1500.0)]

    def test_rescale_and_signed_first_mapped(self, make_ds: Callable[..., Dataset]) -> None:
        """Rescale is read; a Modality LUT's first value is signed for signed pixels."""
        ds = make_ds(np.zeros((4, 4), np.int16), RescaleSlope=2, RescaleIntercept=-5)
        lut = read_modality_lut(ds)
        assert (lut.slope, lut.intercept, lut.table) == (2.0, -5.0, None)
        item = Dataset()
        item.LUTDescriptor = [3, 65535, 16]  # -1 read as unsigned
        item.LUTData = [10, 20, 30]
        ds.ModalityLUTSequence = [item]
        lut = read_modality_lut(ds)
        assert lut.first_mapped == -1
        np.testing.assert_array_equal(lut.apply(np.array([-5, -1, 0, 1, 9])), [10, 10, 20, 30, 30])
