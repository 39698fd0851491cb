"""From stored pixel values to displayed grey levels (DICOM PS3.3 C.11).

The display pipeline of one grey-scale image is

    stored value --Modality LUT (C.11.1)--> modality value
                 --VOI LUT (C.11.2)--------> value of interest
                 --Presentation LUT / MONOCHROME1 inversion (C.11.6)--> displayed grey.

Every step maps one stored value to one output, so the whole chain folds into a single
8-bit lookup table indexed by ``stored - stored_min`` (:func:`display_lut`). Building the
table costs well under a millisecond for 16-bit data, so it is rebuilt on every
window/level drag step and applied to only the pixels the screen shows.

The window functions (:func:`apply_linear`, :func:`apply_linear_exact`,
:func:`apply_sigmoid`) follow PS3.3 C.11.2.1.2 and C.11.2.1.3 to the letter; pydicom's
``apply_voi_lut`` is their test oracle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

WINDOW_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
"""VOI LUT Function (0028,1056) values a window can use."""


def _table_lookup(table: NDArray[Any], first_mapped: int, values: NDArray[Any]) -> NDArray[Any]:
    """Map ``values`` through a LUT: below the first entry -> entry 0, above -> last entry."""
    # Modality values can be fractional after rescale; a table is indexed by integers.
    index = np.rint(np.asarray(values, dtype=np.float64) - first_mapped)
    np.clip(index, 0, table.shape[0] - 1, out=index)
    return table[index.astype(np.intp)]


@dataclass(frozen=True)
class ModalityLut:
    """The Modality LUT of PS3.3 C.11.1: a rescale or a Modality LUT Sequence table.

    Parameters
    ----------
    slope, intercept
        Rescale Slope (0028,1053) and Rescale Intercept (0028,1052); used when ``table``
        is None.
    table
        The LUT Data of the first Modality LUT Sequence item, or None.
    first_mapped
        The stored value mapped to ``table[0]`` (second value of LUT Descriptor).
    """

    slope: float = 1.0
    intercept: float = 0.0
    table: NDArray[Any] | None = field(default=None, compare=False)
    first_mapped: int = 0

    @property
    def value_step(self) -> float:
        """The modality value of one stored step: ``|slope|``, or 1 for a table (integers)."""
        return 1.0 if self.table is not None else abs(self.slope)

    @property
    def is_identity(self) -> bool:
        """True when modality values equal stored values."""
        return self.table is None and self.slope == 1.0 and self.intercept == 0.0

    def apply(self, stored: ArrayLike) -> NDArray[Any]:
        """Modality values of ``stored`` values: float64, or the table's own values."""
        if self.table is not None:
            return _table_lookup(self.table, self.first_mapped, np.asarray(stored))
        out = np.asarray(stored, dtype=np.float64)
        if self.slope != 1.0:
            out = out * self.slope
        if self.intercept != 0.0:
            out = out + self.intercept
        return out

    def output_range(self, stored_min: int, stored_max: int) -> tuple[float, float]:
        """The (min, max) modality value over the stored range."""
        if self.table is not None:
            return float(self.table.min()), float(self.table.max())
        a = stored_min * self.slope + self.intercept
        b = stored_max * self.slope + self.intercept
        return (min(a, b), max(a, b))


@dataclass(frozen=True)
class VoiPreset:
    """One VOI transformation a file offers or the user chose (PS3.3 C.11.2).

    Parameters
    ----------
    kind
        ``"window"`` for a Window Center/Width pair, ``"lut"`` for a VOI LUT Sequence
        item.
    name
        What the user reads: the Window Center & Width Explanation or LUT Explanation,
        else a generated name ("Window 1", "VOI LUT 1", "Auto (tissue)").
    center, width
        The window, in modality values. For a table: the window equivalent to the
        table's input range, so that a drag starting from a table starts where it was.
    function
        ``"LINEAR"``, ``"LINEAR_EXACT"``, ``"SIGMOID"``, or ``"TABLE"`` for a LUT.
    table, first_mapped, table_bits
        The LUT Data, the first modality value it maps and the bits per entry (third
        value of LUT Descriptor), for ``kind == "lut"``.
    """

    kind: str
    name: str
    center: float | None
    width: float | None
    function: str
    table: NDArray[Any] | None = field(default=None, compare=False)
    first_mapped: int = 0
    table_bits: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("window", "lut"):
            raise ValueError(f"kind must be 'window' or 'lut', got {self.kind!r}")
        if self.kind == "lut":
            if self.table is None or self.table.ndim != 1 or self.table.shape[0] == 0:
                raise ValueError("a 'lut' VOI preset needs a non-empty 1-D table")
            if self.function != "TABLE":
                raise ValueError("a 'lut' VOI preset has function 'TABLE'")
        else:
            if self.function not in WINDOW_FUNCTIONS:
                raise ValueError(
                    f"function must be one of {', '.join(WINDOW_FUNCTIONS)}, got {self.function!r}"
                )
            if self.center is None or self.width is None:
                raise ValueError("a 'window' VOI preset needs center and width")
            linear = self.function == "LINEAR"
            if not (self.width >= 1.0 if linear else self.width > 0.0):
                raise ValueError(
                    f"window width must be {'>= 1' if linear else '> 0'} for "
                    f"{self.function}, got {self.width!r}"
                )

    @classmethod
    def window(cls, center: float, width: float, name: str = "Window", function: str = "LINEAR") -> VoiPreset:
        """A window preset (width clamped to what ``function`` accepts)."""
        width = max(float(width), 1.0 if function == "LINEAR" else 1e-6)
        return cls("window", name, float(center), width, function)

    @classmethod
    def lut(cls, table: NDArray[Any], first_mapped: int, table_bits: int, name: str) -> VoiPreset:
        """A VOI LUT Sequence item as a preset; center/width: the window equivalent to it.

        See :func:`table_window`: a drag that starts from the table starts from that
        window, with no jump in brightness.
        """
        center, width = table_window(table, first_mapped, table_bits)
        return cls(
            "lut",
            name,
            center=center,
            width=width,
            function="TABLE",
            table=table,
            first_mapped=int(first_mapped),
            table_bits=int(table_bits),
        )

    def with_window(self, center: float, width: float) -> VoiPreset:
        """The same VOI function at another center/width (a SIGMOID stays SIGMOID).

        A table has no center/width of its own: it becomes a LINEAR window. Starting
        from the table's ``center``/``width`` that window shows the image as the table
        did (:func:`table_window`). A LINEAR window narrower than 1 (values of a
        rescaled 0..1 image), which LINEAR cannot express, becomes LINEAR_EXACT.
        """
        function = "LINEAR" if self.kind == "lut" else self.function
        if function == "LINEAR" and width < 1.0:
            function = "LINEAR_EXACT"
        return VoiPreset.window(center, width, name=CUSTOM_VOI_NAME, function=function)


CUSTOM_VOI_NAME = "Custom"
"""The name of a window the reader dragged (or a linked view followed) to."""


def named_window(voi: VoiPreset, presets: Sequence[VoiPreset]) -> VoiPreset:
    """``voi``, or the named preset among ``presets`` it equals (same function, centre and
    width): a window that lands on a preset shows that preset's name, never "Custom"."""
    if voi.kind != "window" or voi.name != CUSTOM_VOI_NAME or voi.center is None or voi.width is None:
        return voi
    for preset in presets:
        if (
            preset.kind == "window"
            and preset.function == voi.function
            and preset.center is not None
            and preset.width is not None
            and math.isclose(preset.center, voi.center, rel_tol=1e-9, abs_tol=1e-6)
            and math.isclose(preset.width, voi.width, rel_tol=1e-9, abs_tol=1e-6)
        ):
            return preset
    return voi


def table_window(table: NDArray[Any], first_mapped: int, table_bits: int) -> tuple[float, float]:
    """The LINEAR window ``(center, width)`` that shows an image as a VOI LUT table does.

    The window runs through the inputs where the table reaches a quarter and three
    quarters of its output range (``2**table_bits - 1``), the part of the curve where most
    of the image's contrast is. On the three tables of a GE Senographe file this keeps
    the mean change of grey at 1-4 levels of 255, where the table's input range as the
    window changed it by about 20. A table that does not rise (flat, falling, or
    never reaching those levels) gets its input range.
    """
    n = int(table.shape[0])
    fallback = (first_mapped + n / 2.0, float(n))
    values = np.asarray(table, dtype=np.float64)
    if n < 2 or not bool(np.all(np.diff(values) >= 0)):
        return fallback
    full = float(2**table_bits - 1)
    low, high = 0.25 * full, 0.75 * full
    if values[0] > low or values[-1] < high:
        low = values[0] + 0.25 * (values[-1] - values[0])
        high = values[0] + 0.75 * (values[-1] - values[0])
        if high <= low:
            return fallback
    a = first_mapped + float(np.searchsorted(values, low))
    b = first_mapped + float(np.searchsorted(values, high))
    width = max(2.0 * (b - a), 1.0)
    return ((a + b) / 2.0 + 0.5, width)


def window_shows_values(voi: VoiPreset, values: ArrayLike, fraction: float = 1e-3) -> bool:
    """True when at least ``fraction`` of ``values`` fall inside ``voi``'s window.

    A window below or above every value of an image shows it all black or all white
    (a Window 2725/5310 over data at 32744-65535): not one tissue value gets a grey
    between the extremes. For a table the window is its input range.
    """
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        return True
    if voi.kind == "lut" and voi.table is not None:
        lower, upper = float(voi.first_mapped), float(voi.first_mapped + voi.table.shape[0] - 1)
    else:
        assert voi.center is not None and voi.width is not None
        lower, upper = voi.center - voi.width / 2.0, voi.center + voi.width / 2.0
    inside = int(np.count_nonzero((arr > lower) & (arr < upper)))
    return bool(inside >= max(1.0, fraction * arr.size))


FloatArray = NDArray[np.floating[Any]]
"""float32 (the display path) or float64 (everything else) values."""


def _as_float(x: ArrayLike) -> FloatArray:
    """float32 arrays stay float32 (the fast display path); anything else becomes float64."""
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        return x
    return np.asarray(x, dtype=np.float64)


def _ramp(xv: FloatArray, lower: float, upper: float, ymin: float, ymax: float) -> FloatArray:
    """``ymin`` at and below ``lower``, ``ymax`` above ``upper``, linear in between.

    Clipping the straight line is the piecewise definition exactly: the line is ``ymin``
    at ``lower`` and ``ymax`` at ``upper``, so only the out-of-range values change.
    """
    scale = (ymax - ymin) / (upper - lower)
    y = xv * xv.dtype.type(scale)
    y += xv.dtype.type(ymin - lower * scale)
    lo, hi = min(ymin, ymax), max(ymin, ymax)
    np.clip(y, lo, hi, out=y)
    return y


def apply_linear(
    x: ArrayLike, center: float, width: float, ymin: float = 0.0, ymax: float = 255.0
) -> FloatArray:
    """VOI LUT Function LINEAR, PS3.3 C.11.2.1.2.1 (``width >= 1``).

    ``x <= c - 0.5 - (w-1)/2`` -> ymin; ``x > c - 0.5 + (w-1)/2`` -> ymax; else
    ``((x - (c - 0.5)) / (w - 1) + 0.5) * (ymax - ymin) + ymin``.
    Computed in float64, or in float32 when given a float32 array.
    """
    if width < 1:
        raise ValueError(f"LINEAR window width must be >= 1, got {width}")
    xv = _as_float(x)
    c = center - 0.5
    if width == 1.0:
        # The interval collapses to a step at c: below or at it ymin, above it ymax.
        return cast(FloatArray, np.where(xv <= c, ymin, ymax).astype(xv.dtype))
    half = (width - 1.0) / 2.0
    return _ramp(xv, c - half, c + half, ymin, ymax)


def apply_linear_exact(
    x: ArrayLike, center: float, width: float, ymin: float = 0.0, ymax: float = 255.0
) -> FloatArray:
    """VOI LUT Function LINEAR_EXACT, PS3.3 C.11.2.1.3.2 (``width > 0``).

    ``x <= c - w/2`` -> ymin; ``x > c + w/2`` -> ymax; else
    ``((x - c) / w + 0.5) * (ymax - ymin) + ymin``.
    """
    if not width > 0:
        raise ValueError(f"LINEAR_EXACT window width must be > 0, got {width}")
    return _ramp(_as_float(x), center - width / 2.0, center + width / 2.0, ymin, ymax)


def apply_sigmoid(
    x: ArrayLike, center: float, width: float, ymin: float = 0.0, ymax: float = 255.0
) -> FloatArray:
    """VOI LUT Function SIGMOID, PS3.3 C.11.2.1.3.1 (``width > 0``).

    ``y = (ymax - ymin) / (1 + exp(-4 (x - c) / w)) + ymin``.
    """
    if not width > 0:
        raise ValueError(f"SIGMOID window width must be > 0, got {width}")
    xv = _as_float(x)
    t = xv.dtype.type
    z = xv * t(-4.0 / width)
    z += t(4.0 * center / width)
    # Beyond |z| = 80 the curve is flat to 1e-35, and exp() of float32 would overflow.
    np.clip(z, -80.0, 80.0, out=z)
    np.exp(z, out=z)
    z += t(1.0)
    y = np.divide(t(ymax - ymin), z, out=z)
    y += t(ymin)
    return y


_WINDOW_FUNCS = {
    "LINEAR": apply_linear,
    "LINEAR_EXACT": apply_linear_exact,
    "SIGMOID": apply_sigmoid,
}


def apply_voi(values: ArrayLike, voi: VoiPreset, ymin: float = 0.0, ymax: float = 255.0) -> FloatArray:
    """Apply a VOI preset to modality values, output scaled to ``[ymin, ymax]``.

    A table's entries are scaled from ``[0, 2**table_bits - 1]`` to the output range.
    """
    if voi.kind == "lut":
        assert voi.table is not None and voi.table_bits is not None
        raw = _table_lookup(voi.table, voi.first_mapped, np.asarray(values))
        full = float(2**voi.table_bits - 1)
        dtype = np.float32 if _is_float32(values) else np.float64
        out = cast(FloatArray, raw.astype(dtype))
        out *= dtype((ymax - ymin) / full)
        out += dtype(ymin)
        return out
    assert voi.center is not None and voi.width is not None
    return _WINDOW_FUNCS[voi.function](values, voi.center, voi.width, ymin, ymax)


def _is_float32(values: ArrayLike) -> bool:
    return isinstance(values, np.ndarray) and values.dtype == np.float32
