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

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

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
        """A VOI LUT Sequence item as a preset; center/width cover the table's input range."""
        n = int(table.shape[0])
        return cls(
            "lut",
            name,
            center=first_mapped + n / 2.0,
            width=float(n),
            function="TABLE",
            table=table,
            first_mapped=int(first_mapped),
            table_bits=int(table_bits),
        )

    def with_window(self, center: float, width: float) -> VoiPreset:
        """The same VOI function at another center/width (a SIGMOID stays SIGMOID).

        A table has no center/width of its own: it becomes a LINEAR window. Starting
        from the table's ``center``/``width`` that window covers the table's input range.
        """
        function = "LINEAR" if self.kind == "lut" else self.function
        return VoiPreset.window(center, width, name="Custom", function=function)


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


@lru_cache(maxsize=8)
def _stored_axis(stored_min: int, stored_max: int) -> NDArray[np.float32]:
    axis = np.arange(stored_min, stored_max + 1, dtype=np.float32)
    axis.flags.writeable = False
    return axis


def display_lut(
    stored_min: int,
    stored_max: int,
    modality: ModalityLut,
    voi: VoiPreset,
    invert: bool,
) -> NDArray[np.uint8]:
    """The 8-bit display table of every possible stored value.

    Entry ``i`` is the grey level (0 = black, 255 = white) shown for stored value
    ``stored_min + i``: Modality LUT, then VOI, then the inversion of MONOCHROME1 /
    Presentation LUT Shape INVERSE (PS3.3 C.11.6), quantised to 8 bits by rounding.
    Display an image with ``lut[pixels - stored_min]``.

    Computed in float32 (exact for integers below 2**24, far finer than a grey
    level), which makes a 65536-entry table take well under a millisecond.
    """
    if stored_max < stored_min:
        raise ValueError(f"stored_max {stored_max} < stored_min {stored_min}")
    stored = _stored_axis(stored_min, stored_max)
    if modality.is_identity:
        values: NDArray[np.float32] = stored
    else:
        values = modality.apply(stored).astype(np.float32, copy=False)
    grey = apply_voi(values, voi, 0.0, 255.0)
    if grey is values or grey is stored:
        grey = grey.copy()
    if invert:
        np.subtract(np.float32(255.0), grey, out=grey)
    grey += np.float32(0.5)  # round half up on the truncating cast below
    np.clip(grey, 0.0, 255.0, out=grey)
    return grey.astype(np.uint8)


def _otsu_threshold(sample: NDArray[np.float64], bins: int = 256) -> float:
    """Otsu's threshold of a 1-D sample: the cut maximising between-class variance."""
    hist, edges = np.histogram(sample, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2.0
    w0 = np.cumsum(hist).astype(np.float64)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mean0 = np.divide(m0, w0, out=np.zeros_like(m0), where=w0 > 0)
    mean1 = np.divide(m0[-1] - m0, w1, out=np.zeros_like(m0), where=w1 > 0)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(edges[int(np.argmax(between[:-1])) + 1])


def _subsample(values: NDArray[Any], target: int = 1 << 20) -> NDArray[Any]:
    """A regular subsample of an image with about ``target`` pixels."""
    if values.ndim != 2:
        flat = values.reshape(-1)
        return flat[:: max(1, flat.size // target)]
    step = max(1, int(np.sqrt(values.size / target)))
    return values[::step, ::step]


def _background_high_from_border(sub: NDArray[np.float64], threshold: float) -> bool | None:
    """Whether the background is the bright class, judged by the image border.

    Three of a mammogram's four edges are mostly background; None when the border is
    as mixed as the image (no clear background).
    """
    if sub.ndim != 2 or min(sub.shape) < 8:
        return None
    high = sub >= threshold
    border = float(np.concatenate([high[0, :], high[-1, :], high[:, 0], high[:, -1]]).mean())
    if 0.35 < border < 0.65:
        return None
    return border >= 0.65


def _background_edge(
    sample: NDArray[np.float64], threshold: float, background_high: bool, bins: int = 128
) -> float:
    """Where the background mode ends, walking from its peak towards the tissue.

    The background (direct exposure, or padding) is one tall, narrow histogram peak on
    its side of Otsu's threshold; the tissue starts where the histogram falls below a
    tenth of that peak. This keeps the faint skin line that Otsu would cut off.
    """
    hist, edges = np.histogram(sample, bins=bins)
    if background_high:
        hist, edges = hist[::-1], edges[::-1]
    side = (edges[1:] <= threshold) if not background_high else (edges[1:] >= threshold)
    candidates = np.flatnonzero(side)
    if candidates.size == 0:
        return threshold
    peak = int(candidates[np.argmax(hist[candidates])])
    for i in range(peak + 1, hist.shape[0]):
        if hist[i] < 0.1 * hist[peak]:
            return float(edges[i])
    return threshold


def tissue_mask(values: ArrayLike, background_high: bool | None = None) -> NDArray[np.bool_] | None:
    """Pixels of the breast (True) versus background, on a subsample of an image.

    Parameters
    ----------
    values
        Modality values; 2-D for the border rule below.
    background_high
        True when the background (air, direct exposure) has the highest values, as on
        MONOCHROME1 data; False when it has the lowest (MONOCHROME2). None: decided by
        the image border, three of whose four edges are mostly background.

    Returns
    -------
    numpy.ndarray or None
        A mask of ``values[::s, ::s]``, ``s`` chosen for about a million pixels; None
        when no distinct background is found.
    """
    arr = np.asarray(values)
    if arr.size < 16:
        return None
    sub = _subsample(arr).astype(np.float64)
    lo, hi = float(sub.min()), float(sub.max())
    if hi <= lo:
        return None
    # Padding and saturation sit exactly at the extremes: they would pull Otsu's cut.
    inner = sub[(sub > lo) & (sub < hi)]
    if inner.size < max(16, sub.size // 20):
        inner = sub.reshape(-1)
    threshold = _otsu_threshold(inner)
    if background_high is None:
        background_high = _background_high_from_border(sub, threshold)
        if background_high is None:
            return None
    edge = _background_edge(sub.reshape(-1), threshold, background_high)
    tissue = sub < edge if background_high else sub > edge
    if tissue.ndim == 2:
        # Noise in the air crosses the edge in isolated pixels; tissue is contiguous.
        tissue = ndimage.binary_opening(tissue)
    fraction = float(tissue.mean())
    if fraction < 0.02 or fraction > 0.98:
        return None
    return tissue


def _trim_at_valleys(sample: NDArray[np.float64], lo: float, hi: float) -> tuple[float, float]:
    """Narrow ``[lo, hi]`` to the histogram bulk around the median.

    A separate bright or dark mode (a compression paddle, a marker, the film edge) is
    cut off at the first nearly empty bin between it and the tissue.
    """
    if hi - lo < 2.0:
        return lo, hi
    hist, edges = np.histogram(sample, bins=128, range=(lo, hi))
    floor = 0.0005 * sample.size
    middle = int(np.clip(np.searchsorted(edges, np.median(sample)) - 1, 0, 127))
    top = middle
    while top + 1 < hist.shape[0] and hist[top + 1] >= floor:
        top += 1
    bottom = middle
    while bottom - 1 >= 0 and hist[bottom - 1] >= floor:
        bottom -= 1
    return float(edges[bottom]), float(edges[top + 1])


def auto_window(
    values: ArrayLike,
    background_high: bool | None = None,
    low_pct: float = 0.5,
    high_pct: float = 99.5,
) -> tuple[float, float]:
    """A window (center, width) over the breast tissue of an image.

    Parameters
    ----------
    values
        Modality values of the image (2-D for the border rule of :func:`tissue_mask`).
    background_high
        Which side the background is on (see :func:`tissue_mask`): True for
        MONOCHROME1-like data, False for MONOCHROME2, None to judge by the border.
    low_pct, high_pct
        Percentiles of the tissue histogram that bound the window, before separate
        modes (paddles, markers) beyond a near-empty gap are cut off.

    Returns
    -------
    tuple of float
        ``(center, width)`` with ``width >= 1``, for a LINEAR window.
    """
    arr = np.asarray(values)
    if arr.size == 0:
        return (0.5, 1.0)
    sub = _subsample(arr).astype(np.float64)
    mask = tissue_mask(sub, background_high)
    if mask is not None:
        sample = sub[mask]
    else:
        flat = sub.reshape(-1)
        inner = flat[(flat > flat.min()) & (flat < flat.max())]
        sample = inner if inner.size >= max(16, flat.size // 20) else flat
    lo, hi = (float(v) for v in np.percentile(sample, [low_pct, high_pct]))
    if sample.size >= 1000:
        lo, hi = _trim_at_valleys(sample[(sample >= lo) & (sample <= hi)], lo, hi)
    width = max(hi - lo, 1.0)
    return ((lo + hi) / 2.0, width)


_LUT_BAND_ROWS = 64
"""Rows looked up at a time by :func:`apply_display_lut`."""


def apply_display_lut(pixels: NDArray[Any], lut: NDArray[np.uint8], stored_min: int) -> NDArray[np.uint8]:
    """Grey levels of stored ``pixels`` through a :func:`display_lut` table: ``lut[pixels - stored_min]``.

    The one display-LUT application of the program (the views, the magnifier and
    ``mammo-viewer render`` use it). ``pixels`` may be any 2-D integer array (a full
    frame, a crop, a subsampled level, a strided view); values outside the table are
    clamped to its ends. Returns a new C-contiguous array.

    numpy turns an index array into intp (8 bytes a pixel) before a lookup; a band of
    rows at a time keeps that temporary in the CPU cache (3-4x faster on a 10-megapixel
    crop than one lookup of the whole array).
    """
    if pixels.ndim != 2:
        raise ValueError(f"apply_display_lut takes a 2-D array of stored values, not {pixels.ndim}-D")
    out = np.empty(pixels.shape, dtype=lut.dtype)
    for r in range(0, pixels.shape[0], _LUT_BAND_ROWS):
        band = pixels[r : r + _LUT_BAND_ROWS]
        if stored_min:
            band = band.astype(np.int32) - stored_min
        np.take(lut, band, out=out[r : r + _LUT_BAND_ROWS], mode="clip")
    return out
