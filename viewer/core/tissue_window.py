"""The automatic window: a window over the breast tissue's histogram, background excluded.

Used when a file offers no window, for "For Processing" images, and when the file's own
window shows no tissue. Works on modality values of any scale: the narrowest window it
gives is one quantisation step of the values, so a 0..1 image (Rescale Slope 1/4095)
gets a window as narrow, relative to its range, as a 0..4095 one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage


def otsu_threshold(sample: NDArray[np.float64], bins: int = 256) -> float:
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
    threshold = otsu_threshold(inner)
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


def value_step(values: NDArray[Any], sample_size: int = 1 << 16) -> float:
    """The quantisation step of ``values``: the smallest gap between distinct values.

    Found on a regular subsample of about ``sample_size`` values (a 12-bit image shows
    its step there); 1.0 when the values are constant.
    """
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    distinct = np.unique(flat[:: max(1, flat.size // sample_size)])
    if distinct.size < 2:
        return 1.0
    step = float(np.diff(distinct).min())
    return step if np.isfinite(step) and step > 0 else 1.0


def _trim_at_valleys(
    sample: NDArray[np.float64], lo: float, hi: float, step: float = 1.0
) -> tuple[float, float]:
    """Narrow ``[lo, hi]`` to the histogram bulk around the median.

    A separate bright or dark mode (a compression paddle, a marker, the film edge) is
    cut off at the first nearly empty bin between it and the tissue. ``step`` is the
    values' quantisation: a range of two steps or less is left as it is.
    """
    if hi - lo < 2.0 * step:
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
        ``(center, width)``, the width at least one quantisation step of the values
        (:func:`value_step`: 1 for integer values, 1/4095 for a 0..1 image).
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
    step = value_step(sample)
    lo, hi = (float(v) for v in np.percentile(sample, [low_pct, high_pct]))
    if sample.size >= 1000:
        lo, hi = _trim_at_valleys(sample[(sample >= lo) & (sample <= hi)], lo, hi, step)
    width = max(hi - lo, step)
    return ((lo + hi) / 2.0, width)
