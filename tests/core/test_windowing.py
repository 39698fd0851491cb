"""Tests of viewer.core.windowing against pydicom's VOI implementation as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from tests.fixtures.dicom_files import display_oracle
from viewer.core.display_lut import display_lut
from viewer.core.windowing import (
    ModalityLut,
    VoiPreset,
    apply_linear,
    apply_linear_exact,
    apply_sigmoid,
    apply_voi,
    named_window,
)


def _window_dataset(
    bits: int, signed: bool, slope: float, intercept: float, c: float, w: float, fn: str
) -> Dataset:
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = bits
    ds.PixelRepresentation = int(signed)
    ds.RescaleSlope = slope
    ds.RescaleIntercept = intercept
    ds.WindowCenter = c
    ds.WindowWidth = w
    ds.VOILUTFunction = fn
    return ds


class TestWindowFunctions:
    """The three VOI LUT functions of PS3.3 C.11.2.1."""

    def test_linear_edges(self) -> None:
        """LINEAR puts c-0.5-(w-1)/2 at ymin and anything above c-0.5+(w-1)/2 at ymax."""
        y = apply_linear(np.array([1.0, 1.5, 2.0, 1.0 + 1e-9, 2.0 + 1e-9]), 2.0, 2.0, 0, 255)
        # c=2, w=2: lower edge 1.0 -> 0; upper edge 2.0 is still inside -> 255
        np.testing.assert_allclose(y, [0.0, 127.5, 255.0, 255e-9, 255.0], atol=1e-6)

    def test_linear_width_one_is_a_step(self) -> None:
        """A LINEAR window of width 1 is a threshold at c - 0.5."""
        y = apply_linear(np.array([9.0, 9.5, 9.6, 10.0]), 10.0, 1.0)
        np.testing.assert_array_equal(y, [0.0, 0.0, 255.0, 255.0])

    def test_linear_rejects_width_below_one(self) -> None:
        """LINEAR needs width >= 1."""
        with pytest.raises(ValueError, match=">= 1"):
            apply_linear(np.zeros(3), 0.0, 0.5)

    def test_linear_exact_edges(self) -> None:
        """LINEAR_EXACT maps c - w/2 to ymin and c + w/2 to ymax exactly."""
        y = apply_linear_exact(np.array([90.0, 100.0, 110.0, 111.0]), 100.0, 20.0, 0, 100)
        np.testing.assert_allclose(y, [0.0, 50.0, 100.0, 100.0])

    def test_sigmoid_midpoint_and_slope(self) -> None:
        """SIGMOID is half way at the centre and 1/(1+e^-4) of the way at c + w."""
        y = apply_sigmoid(np.array([50.0, 60.0]), 50.0, 10.0, 0.0, 1.0)
        np.testing.assert_allclose(y, [0.5, 1.0 / (1.0 + np.exp(-4.0))])

    def test_sigmoid_far_from_centre_does_not_overflow(self) -> None:
        """Extreme inputs saturate without a floating point warning."""
        y = apply_sigmoid(np.array([-1e9, 1e9]), 0.0, 1e-3)
        np.testing.assert_allclose(y, [0.0, 255.0], atol=1e-12)

    @settings(max_examples=60, deadline=None)
    @given(
        fn=st.sampled_from(["LINEAR", "LINEAR_EXACT", "SIGMOID"]),
        bits=st.integers(8, 16),
        signed=st.booleans(),
        slope=st.sampled_from([1.0, 0.5, 2.0, -1.0]),
        intercept=st.sampled_from([0.0, -1024.0, 100.5]),
        cfrac=st.floats(0.0, 1.0),
        wfrac=st.floats(0.001, 1.5),
        invert=st.booleans(),
    )
    @example(
        fn="SIGMOID",
        bits=8,
        signed=False,
        slope=1.0,
        intercept=0.0,
        cfrac=1.0,
        wfrac=0.00390625,
        invert=False,
    )  # a narrow sigmoid: exp() overflows in float64
    def test_display_lut_matches_pydicom(
        self,
        fn: str,
        bits: int,
        signed: bool,
        slope: float,
        intercept: float,
        cfrac: float,
        wfrac: float,
        invert: bool,
    ) -> None:
        """display_lut equals pydicom's apply_modality_lut + apply_voi_lut within 1 grey level."""
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        m_lo, m_hi = sorted((lo * slope + intercept, hi * slope + intercept))
        center = round(m_lo + cfrac * (m_hi - m_lo), 2)
        width = round(max(1.0, wfrac * (m_hi - m_lo)), 2)
        ds = _window_dataset(bits, signed, slope, intercept, center, width, fn)
        stored = np.arange(lo, hi + 1, dtype=np.int32 if signed else np.uint32)
        oracle = display_oracle(stored, ds, "window", 0, invert)
        lut = display_lut(
            lo, hi, ModalityLut(slope, intercept), VoiPreset.window(center, width, function=fn), invert
        )
        assert lut.dtype == np.uint8 and lut.shape == (hi - lo + 1,)
        assert np.abs(lut.astype(np.float64) - oracle).max() <= 1.0


class TestTables:
    """Modality LUT and VOI LUT tables."""

    def _table_dataset(self, modality: bool) -> Dataset:
        ds = Dataset()
        ds.PhotometricInterpretation = "MONOCHROME1"
        ds.BitsStored = 10
        ds.PixelRepresentation = 0
        item = Dataset()
        if modality:
            # 16 bits: pydicom's oracle cannot build a numpy dtype for 12-bit tables
            item.LUTDescriptor = [512, 100, 16]
            item.LUTData = [int(v) for v in np.linspace(0, 4095, 512)]
            ds.ModalityLUTSequence = [item]
            ds.WindowCenter = 2000
            ds.WindowWidth = 1500
        else:
            # 12 bits: pydicom's oracle indexes an 8-bit table with uint8, wrapping past 255
            item.LUTDescriptor = [700, 50, 12]
            item.LUTData = [int(v) for v in (np.sin(np.linspace(0, 3, 700)) ** 2 * 4095)]
            ds.VOILUTSequence = [item]
        return ds

    def test_modality_table_then_window(self) -> None:
        """A Modality LUT Sequence table then a window equals pydicom's result."""
        ds = self._table_dataset(modality=True)
        item = ds.ModalityLUTSequence[0]
        modality = ModalityLut(table=np.asarray(item.LUTData, dtype=np.uint16), first_mapped=100)
        lut = display_lut(0, 1023, modality, VoiPreset.window(2000, 1500), invert=True)
        oracle = display_oracle(np.arange(1024), ds, "window", 0, invert=True)
        assert np.abs(lut - oracle).max() <= 1.0

    def test_voi_table_clamps_outside_its_range(self) -> None:
        """A VOI LUT maps values below its first entry to entry 0 and above to the last."""
        ds = self._table_dataset(modality=False)
        item = ds.VOILUTSequence[0]
        voi = VoiPreset.lut(np.asarray(item.LUTData, dtype=np.uint16), 50, 12, "curve")
        lut = display_lut(0, 1023, ModalityLut(), voi, invert=False)
        oracle = display_oracle(np.arange(1024, dtype=np.uint16), ds, "lut", 0, invert=False)
        assert np.abs(lut - oracle).max() <= 1.0
        assert lut[0] == lut[50] and lut[-1] == lut[749]

    def test_lut_preset_window_matches_a_straight_table(self) -> None:
        """A straight table's equivalent LINEAR window shows every input as the table does."""
        voi = VoiPreset.lut(np.arange(256, dtype=np.uint16), 1000, 8, "t")
        linear = voi.with_window(voi.center or 0.0, voi.width or 1.0)
        assert linear.function == "LINEAR" and linear.kind == "window"
        inputs = np.arange(900.0, 1400.0)
        table = display_lut(900, 1399, ModalityLut(), voi, invert=False).astype(np.float64)
        window = display_lut(900, 1399, ModalityLut(), linear, invert=False).astype(np.float64)
        assert inputs.size == table.size
        assert np.abs(table - window).max() <= 1.0

    def test_first_drag_on_an_s_curve_starts_where_the_table_was(self) -> None:
        """An S-shaped table (steep middle, flat ends): the window follows its steep part.

        The table's input range as the window (a naive equivalent) changes the grey of the
        middle values by tens of levels: the jump a first drag would show.
        """
        x = np.arange(2000, dtype=np.float64)
        curve = np.rint(4095.0 / (1.0 + np.exp(-(x - 1200.0) / 120.0))).astype(np.uint16)
        voi = VoiPreset.lut(curve, 0, 12, "S")
        values = np.arange(900.0, 1500.0)  # the image's tissue, around the steep part
        shown = apply_voi(values, voi)
        dragged = apply_voi(values, voi.with_window(voi.center or 0.0, voi.width or 1.0))
        naive = apply_voi(values, VoiPreset.window(1000.0, 2000.0))
        assert np.abs(shown - dragged).mean() < 10.0
        assert np.abs(shown - naive).mean() > 30.0

    def test_falling_table_keeps_its_input_range(self) -> None:
        """A table that does not rise has no LINEAR equivalent: its input range is the window."""
        voi = VoiPreset.lut(np.arange(255, -1, -1, dtype=np.uint16), 10, 8, "down")
        assert (voi.center, voi.width) == (10 + 128.0, 256.0)


class TestVoiPreset:
    """VoiPreset construction and dragging."""

    @pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
    def test_with_window_keeps_the_function(self, function: str) -> None:
        """Dragging window/level keeps the file's VOI function (a SIGMOID stays SIGMOID)."""
        preset = VoiPreset.window(2000, 800, "NORMAL", function)
        moved = preset.with_window(2100, 500)
        assert (moved.function, moved.center, moved.width) == (function, 2100, 500)

    def test_window_width_is_clamped_for_linear(self) -> None:
        """VoiPreset.window never builds an invalid LINEAR window."""
        assert VoiPreset.window(10, 0.2).width == 1.0

    def test_invalid_presets_are_refused(self) -> None:
        """The constructor names what is wrong."""
        with pytest.raises(ValueError, match="width"):
            VoiPreset("window", "w", 0.0, 0.0, "SIGMOID")
        with pytest.raises(ValueError, match="function"):
            VoiPreset("window", "w", 0.0, 10.0, "GAMMA")
        with pytest.raises(ValueError, match="table"):
            VoiPreset("lut", "t", None, None, "TABLE")


class TestNamedWindow:
    def test_a_window_equal_to_a_preset_takes_its_name(self) -> None:
        """A dragged window landing on a preset's values is that preset, not "Custom"."""
        normal = VoiPreset.window(2000, 4000, name="NORMAL", function="SIGMOID")
        dragged = normal.with_window(2000.0, 4000.0 * (1 + 1e-12))
        assert dragged.name == "Custom"
        assert named_window(dragged, [normal]) is normal

    def test_other_values_or_function_stay_custom(self) -> None:
        """Another width, or the same numbers with another function, stay "Custom"."""
        normal = VoiPreset.window(2000, 4000, name="NORMAL", function="SIGMOID")
        assert named_window(normal.with_window(2000, 4100), [normal]).name == "Custom"
        linear = VoiPreset.window(2000, 4000, name="Custom", function="LINEAR")
        assert named_window(linear, [normal]) is linear
