"""One click -> the outline of the calcification under it, on the stored pixel values.

The outline is found in a small window around the click (so the cost does not depend on
the image size):

1. Only the window is converted: the Modality LUT is applied to the crop, never to the
   whole frame. Values are sign-normalised so that "shown brighter" is higher
   (MONOCHROME1 and images where dense is low are negated) and expressed in steps of
   the image's own quantisation (one stored unit through the Rescale Slope), so every
   threshold and noise floor is relative: a file whose values are 0..1 (Rescale Slope
   1/4095) gives the same outline as one with values 0..4095 or 0..40950. The stored
   values are segmented, never the screen, so the result does not depend on the window
   the reader uses.
2. The local tissue background is a morphological opening with a square larger than
   the speck (a "top-hat"): it follows dense tissue, tissue gradients and the skin line
   while removing anything smaller than the square.
3. The speck under (or nearest to) the click is the bright maximum of the top-hat that
   passes a noise test; it is separated from its background at half its contrast, and
   the outline is the sub-pixel iso-contour at that level (marching squares), so the max
   Feret diameter of the outline estimates the speck's physical size.
4. Where nothing distinct is found (noise, smooth tissue, a structure larger than a
   calcification) the result says so and carries no outline.

Coordinates are ``(x, y)`` with x = column, y = row, pixel centres at integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from viewer.core.annotations import Intensity
from viewer.core.contour import iso_contour
from viewer.core.geometry import Point, Spacing, polygon_centroid
from viewer.core.windowing import ModalityLut

NOT_FOUND = "no calcification found here"
DEFAULT_SCALE_MM = 0.07
"""Pixel size assumed, for the scale of the search only, when the image is uncalibrated."""
MAX_DIAMETER_MM = 3.0
"""Largest speck taken for a calcification; bigger bright things are tissue or masses."""
MIN_CONTRAST_SIGMAS = 5.0
"""A speck must stand this many noise standard deviations above its background."""
MAX_EDGE_WIDTH_PX = 5.0
"""A calcification has a sharp edge; smooth tissue bumps have wide ones (in pixels)."""
WEAK_EDGE_FACTOR = 1.6
"""The weakest quarter of the outline may be this much blurrier than the typical edge."""
MIN_SMOOTH_SIGMAS = 8.0
"""Peak of the lightly smoothed speck over its background, in units of the smoothed noise."""
MIN_AREA_MM2 = 0.01
MIN_PIXELS = 2
"""Smallest half-contrast region taken for a speck (about 0.11 mm across, 2 pixels)."""
SMOOTH_SIGMA_PX = 0.7
"""Gaussian smoothing (pixels) for seeds, backgrounds and edges: tames noise, keeps specks."""

FloatArray = NDArray[np.float32]


def _smoothed_noise_factor(sigma_px: float) -> float:
    """Noise standard deviation after the Gaussian, relative to white pixel noise."""
    impulse = np.zeros(8 * int(math.ceil(sigma_px)) + 1)
    impulse[impulse.size // 2] = 1.0
    kernel = ndimage.gaussian_filter1d(impulse, sigma_px)
    return float(np.sum(kernel**2))  # 2-D: the product of two 1-D factors sqrt(sum w^2)


_SMOOTH_NOISE = _smoothed_noise_factor(SMOOTH_SIGMA_PX)


@dataclass(frozen=True)
class OutlineResult:
    """What a click found.

    ``outline`` is a closed polygon of ``(x, y)`` pixel coordinates whose first vertex is
    not repeated at the end; ``center`` is its area centroid. When ``found`` is false,
    ``reason`` says why in words a reader understands and the other fields are ``None``.
    """

    found: bool
    center: Point | None = None
    outline: list[Point] | None = None
    intensity: Intensity | None = None
    reason: str | None = None

    @classmethod
    def not_found(cls, reason: str = NOT_FOUND) -> OutlineResult:
        return cls(False, reason=reason)


@dataclass(frozen=True)
class _Window:
    """A part of the image, sign-normalised (brighter on screen is higher), with its place."""

    values: FloatArray
    smooth: FloatArray  # values after a light Gaussian: for seeds and backgrounds
    x0: int
    y0: int
    mm_x: float  # mm per column
    mm_y: float  # mm per row
    sigma: float  # noise standard deviation of one pixel

    def crop(self, cx: int, cy: int, half_mm: float) -> _Window:
        """The part within ``half_mm`` of window pixel ``(cx, cy)`` (a square in mm)."""
        hx, hy = int(math.ceil(half_mm / self.mm_x)), int(math.ceil(half_mm / self.mm_y))
        xa, ya = max(cx - hx, 0), max(cy - hy, 0)
        xb, yb = min(cx + hx + 1, self.values.shape[1]), min(cy + hy + 1, self.values.shape[0])
        return _Window(
            self.values[ya:yb, xa:xb],
            self.smooth[ya:yb, xa:xb],
            self.x0 + xa,
            self.y0 + ya,
            self.mm_x,
            self.mm_y,
            self.sigma,
        )

    def distance_mm(self, px: float, py: float) -> NDArray[np.float64]:
        """Distance in mm from window coordinates ``(px, py)`` to every pixel."""
        yy, xx = np.indices(self.values.shape, dtype=np.float64)
        out: NDArray[np.float64] = np.hypot((xx - px) * self.mm_x, (yy - py) * self.mm_y)
        return out

    def background(self, size_mm: float) -> FloatArray:
        """Morphological opening with a square of ``size_mm``: tissue without the specks.

        A flat square follows tissue gradients and steps (the skin line) exactly and
        removes anything the square does not fit into.
        """
        size = (
            max(int(math.ceil(size_mm / self.mm_y)) | 1, 3),
            max(int(math.ceil(size_mm / self.mm_x)) | 1, 3),
        )
        opened: FloatArray = ndimage.grey_opening(self.smooth, size=size, mode="nearest")
        return opened

    def extent_mm(self, region: NDArray[np.bool_]) -> float:
        """Largest bounding-box side of a region, in mm."""
        ys, xs = np.nonzero(region)
        return float(max((xs.max() - xs.min() + 1) * self.mm_x, (ys.max() - ys.min() + 1) * self.mm_y))


def _scale(spacing: Spacing) -> tuple[float, float]:
    if spacing.row_mm is None or spacing.col_mm is None:
        return (DEFAULT_SCALE_MM, DEFAULT_SCALE_MM)
    return (spacing.col_mm, spacing.row_mm)


def _noise_sigma(values: FloatArray) -> float:
    """Pixel noise from the median absolute difference of neighbours (robust to edges).

    ``values`` are in quantisation steps: the floor is half a step, the noise of a
    perfectly quiet image rounded to integers.
    """
    dx = np.abs(np.diff(values, axis=1)).ravel()
    dy = np.abs(np.diff(values, axis=0)).ravel()
    mad = float(np.median(np.concatenate([dx, dy])))
    return max(mad / (0.6745 * math.sqrt(2.0)), 0.5)


def quantisation_step(values: NDArray[np.generic]) -> float:
    """The smallest difference between two distinct values of ``values`` (1.0 if none).

    Stored values seen through a rescale are multiples of the Rescale Slope: this finds
    it back from modality values, for callers that do not pass the Modality LUT.
    """
    distinct = np.unique(np.asarray(values, dtype=np.float64))
    if distinct.size < 2:
        return 1.0
    step = float(np.diff(distinct).min())
    return step if step > 0 and math.isfinite(step) else 1.0


def _window(
    image: NDArray[np.generic],
    x: float,
    y: float,
    spacing: Spacing,
    bright_is_high: bool,
    search_radius_mm: float,
    modality: ModalityLut | None,
    value_step: float | None,
) -> tuple[_Window, float]:
    """The sign-normalised window around the click, in quantisation steps, and the step."""
    mm_x, mm_y = _scale(spacing)
    reach_mm = search_radius_mm + MAX_DIAMETER_MM / 2 + 1.5
    hx = int(math.ceil(reach_mm / mm_x)) + 2
    hy = int(math.ceil(reach_mm / mm_y)) + 2
    cx, cy = int(round(x)), int(round(y))
    x0, x1 = max(cx - hx, 0), min(cx + hx + 1, image.shape[1])
    y0, y1 = max(cy - hy, 0), min(cy + hy + 1, image.shape[0])
    crop = image[y0:y1, x0:x1]
    real = modality.apply(crop) if modality is not None else np.asarray(crop, dtype=np.float64)
    if value_step is None:
        value_step = modality.value_step if modality is not None else quantisation_step(real)
    step = value_step if math.isfinite(value_step) and value_step > 0 else 1.0
    scaled = np.asarray(real, dtype=np.float64) * (1.0 / step if bright_is_high else -1.0 / step)
    values = scaled.astype(np.float32)
    smooth: FloatArray = ndimage.gaussian_filter(values, SMOOTH_SIGMA_PX)
    return _Window(values, smooth, x0, y0, mm_x, mm_y, _noise_sigma(values)), step


def _hill_climb(smooth: FloatArray, px: int, py: int) -> tuple[int, int]:
    """Follow the steepest ascent from ``(px, py)`` to a local maximum (8-neighbourhood)."""
    h, w = smooth.shape
    for _ in range(h * w):
        ya, yb, xa, xb = max(py - 1, 0), min(py + 2, h), max(px - 1, 0), min(px + 2, w)
        patch = smooth[ya:yb, xa:xb]
        iy, ix = np.unravel_index(int(np.argmax(patch)), patch.shape)
        ny, nx = ya + int(iy), xa + int(ix)
        if (nx, ny) == (px, py) or smooth[ny, nx] <= smooth[py, px]:
            return px, py
        px, py = nx, ny
    return px, py


def _component(tophat: FloatArray, level: float, seed: tuple[int, int]) -> NDArray[np.bool_] | None:
    """The 8-connected region above ``level`` holding the seed (or its brightest neighbour)."""
    sx, sy = seed
    above = tophat > level
    h, w = above.shape
    if not above[sy, sx]:
        ya, yb, xa, xb = max(sy - 1, 0), min(sy + 2, h), max(sx - 1, 0), min(sx + 2, w)
        patch = np.where(above[ya:yb, xa:xb], tophat[ya:yb, xa:xb], -np.inf)
        if not np.isfinite(patch.max()):
            return None
        iy, ix = np.unravel_index(int(np.argmax(patch)), patch.shape)
        sy, sx = ya + int(iy), xa + int(ix)
    labels, _ = ndimage.label(above, structure=np.ones((3, 3), dtype=bool))
    region: NDArray[np.bool_] = labels == labels[sy, sx]
    ys, xs = np.nonzero(region)
    ya, yb, xa, xb = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    region[ya:yb, xa:xb] = ndimage.binary_fill_holes(region[ya:yb, xa:xb])
    return region


@dataclass(frozen=True)
class _Speck:
    win: _Window  # the crop the speck was separated in
    region: NDArray[np.bool_]
    tophat: FloatArray  # raw values minus the tissue background at the speck's scale
    level: float  # the contour level in top-hat units
    contrast: float
    baseline: float

    def flat_indices(self, width: int) -> NDArray[np.int64]:
        """Pixel indices in a frame ``width`` wide sharing the crops' origin."""
        ys, xs = np.nonzero(self.region)
        out: NDArray[np.int64] = (ys + self.win.y0) * width + (xs + self.win.x0)
        return out


def _scales_mm(win: _Window) -> list[float]:
    """Sides of the background squares tried, small to large (at least 5 pixels)."""
    px = max(win.mm_x, win.mm_y)
    sizes: list[float] = []
    size = max(0.5, 5 * px)
    while size < MAX_DIAMETER_MM + 0.5:
        sizes.append(size)
        size *= 1.45
    sizes.append(MAX_DIAMETER_MM + 0.5)
    return sizes


def _segment(win: _Window, seed: tuple[int, int]) -> _Speck | None:
    """Separate the speck at ``seed`` from its background at the speck's own scale.

    The background square grows from small to large. A small square keeps the tissue
    texture out of the speck but leaves only a rim of a larger speck; so a result is
    taken once the next larger square gives the same region (the speck is whole), or
    when every larger square fails. ``None`` when no scale gives a distinct, sharp,
    compact speck.
    """
    candidate: _Speck | None = None
    for size_mm in _scales_mm(win):
        # The opening looks one square side around a pixel; the speck fits in the square.
        sub = win.crop(seed[0], seed[1], 2.2 * size_mm + 0.5)
        sseed = (seed[0] + win.x0 - sub.x0, seed[1] + win.y0 - sub.y0)
        tophat = sub.values - sub.background(size_mm)
        speck = _segment_at_scale(sub, tophat, sseed)
        if speck is None or not _is_speck(speck):
            continue
        if candidate is not None and _same_region(candidate, speck):
            return candidate
        if sub.extent_mm(speck.region) > size_mm:
            continue  # larger than the square: only part of it was separated
        candidate = speck
    return candidate


def _same_region(a: _Speck, b: _Speck) -> bool:
    """Two scales agree: the regions overlap almost entirely (a few pixels of slack)."""
    width = 1 << 30
    ia, ib = a.flat_indices(width), b.flat_indices(width)
    common = int(np.intersect1d(ia, ib, assume_unique=True).size)
    slack = 3 + 0.2 * max(ia.size, ib.size)
    return bool(ia.size - common <= slack and ib.size - common <= slack)


def _segment_at_scale(win: _Window, tophat: FloatArray, seed: tuple[int, int]) -> _Speck | None:
    """Half-contrast region of the speck at ``seed`` in one top-hat image."""
    dist = win.distance_mm(seed[0], seed[1])
    region: NDArray[np.bool_] | None = None
    contrast = baseline = 0.0
    px = max(win.mm_x, win.mm_y)
    for _ in range(2):
        if region is None:
            # First guess: most of the crop is background, where the top-hat is ~0.
            peak = float(tophat[seed[1], seed[0]])
            baseline = float(np.median(tophat))
        else:
            reach = float(dist[region].max())
            gap = max(0.3 * reach, 2.0 * px)
            ring = (dist > reach + gap) & (dist < reach + gap + max(0.3, 4 * px))
            peak = float(np.percentile(tophat[region], 95))
            baseline = float(np.median(tophat[ring])) if ring.any() else float(np.median(tophat))
        contrast = peak - baseline
        if contrast < MIN_CONTRAST_SIGMAS * win.sigma:
            return None
        region = _component(tophat, baseline + contrast / 2, seed)
        if region is None:
            return None
    assert region is not None
    return _Speck(win, region, tophat, baseline + contrast / 2, contrast, baseline)


def _is_speck(speck: _Speck) -> bool:
    """A calcification: compact, small, inside the window, with a sharp edge."""
    region, win = speck.region, speck.win
    if region[0, :].any() or region[-1, :].any() or region[:, 0].any() or region[:, -1].any():
        return False
    if win.extent_mm(region) > MAX_DIAMETER_MM:
        return False
    ys, xs = np.nonzero(region)
    ya, yb = int(ys.min()) - 1, int(ys.max()) + 2  # inside the crop: the region is not at its edge
    xa, xb = int(xs.min()) - 1, int(xs.max()) + 2
    part = region[ya:yb, xa:xb]
    n = int(np.count_nonzero(part))
    if n < max(MIN_PIXELS, MIN_AREA_MM2 / (win.mm_x * win.mm_y)):
        return False  # a noise pixel or two, smaller than any visible calcification
    # Significance on the lightly smoothed values: one noisy pixel is not a speck.
    peak = float((speck.tophat + win.smooth - win.values)[region].max()) - speck.baseline
    if peak < MIN_SMOOTH_SIGMAS * win.sigma * _SMOOTH_NOISE:
        return False
    # Edge width: contrast over the typical gradient across the outline, in pixels, on
    # the smoothed values, not the top-hat: a fragment of a larger speck (the rim a
    # too-small square leaves) has no edge on its inner side and fails here.
    gy, gx = (np.asarray(g) for g in np.gradient(np.asarray(win.smooth[ya:yb, xa:xb], np.float64)))
    border = part ^ ndimage.binary_erosion(part)
    border |= ndimage.binary_dilation(part) & ~part
    slopes = np.hypot(gx[border], gy[border])
    typical, weak = (float(v) for v in np.percentile(slopes, [50, 25]))
    # A faint speck must be sharp; a very bright one may be blurred by the modality's
    # processing and still be unmistakable: allow up to twice the edge width for it.
    boost = min(1.0, max(0.0, (peak / (win.sigma * _SMOOTH_NOISE) - 30.0) / 60.0))
    limit = MAX_EDGE_WIDTH_PX * (1.0 + boost)
    # Most of the outline must be an edge: a piece of a larger bright structure (a
    # marker, a vessel) has a quarter or more of its outline where the structure goes on.
    return speck.contrast <= limit * max(typical, 1e-9) and speck.contrast <= WEAK_EDGE_FACTOR * limit * max(
        weak, 1e-9
    )


def _outline(speck: _Speck) -> list[Point]:
    ys, xs = np.nonzero(speck.region)
    ya, yb = max(int(ys.min()) - 1, 0), min(int(ys.max()) + 2, speck.region.shape[0])
    xa, xb = max(int(xs.min()) - 1, 0), min(int(xs.max()) + 2, speck.region.shape[1])
    field = speck.tophat[ya:yb, xa:xb] - speck.level
    inside = speck.region[ya:yb, xa:xb]
    # Only this speck: other specks above the level are pushed below it, filled holes above.
    field = np.where(inside, np.maximum(field, 1e-3), np.minimum(field, -1e-3))
    ox, oy = xa + speck.win.x0, ya + speck.win.y0
    return [(px + ox, py + oy) for px, py in iso_contour(field)]


def find_calcification(
    image: NDArray[np.generic],
    x: float,
    y: float,
    spacing: Spacing,
    *,
    bright_is_high: bool = True,
    search_radius_mm: float = 1.0,
    modality: ModalityLut | None = None,
    value_step: float | None = None,
) -> OutlineResult:
    """Outline the calcification under or nearest to the click ``(x, y)``.

    Parameters
    ----------
    image
        The pixel matrix (2-D): stored values when ``modality`` is given (the GUI's path:
        only the window around the click is converted), else modality values; never
        screen values.
    x, y
        The click: x = column, y = row, pixel centres at integers.
    spacing
        The image's spacing; only the scale of the search depends on it (an
        uncalibrated image is searched as if pixels were 0.07 mm).
    bright_is_high
        False for MONOCHROME1 (and any image where dense tissue has low values).
    search_radius_mm
        How far from the click a speck may be.
    modality
        The image's Modality LUT (PS3.3 C.11.1), applied to the window only.
    value_step
        The modality value of one stored step; by default the Modality LUT's
        (:attr:`ModalityLut.value_step`), or the smallest difference between the
        window's values when no Modality LUT is given.

    Returns
    -------
    OutlineResult
        The outline (sub-pixel polygon), its centroid and grey-level statistics in
        modality values, or ``found=False`` with a reason.
    """
    if image.ndim != 2:
        raise ValueError(f"find_calcification needs a 2-D image, got shape {image.shape}")
    if not (0 <= x <= image.shape[1] - 1 and 0 <= y <= image.shape[0] - 1):
        return OutlineResult.not_found("the click is outside the image")
    win, step = _window(image, x, y, spacing, bright_is_high, search_radius_mm, modality, value_step)
    for seed in _seeds(win, x - win.x0, y - win.y0, search_radius_mm):
        speck = _segment(win, seed)
        if speck is None:
            continue
        outline = _outline(speck)
        if len(outline) < 3:
            continue
        intensity = _intensity(speck, bright_is_high, step)
        return OutlineResult(True, polygon_centroid(outline), outline, intensity, None)
    return OutlineResult.not_found()


MAX_SEEDS = 6
"""Bright maxima tried per click, nearest first; bounds the time of a click on nothing."""


def _seeds(win: _Window, cx: float, cy: float, radius_mm: float) -> list[tuple[int, int]]:
    """Where to look: the maximum uphill of the click, then bright maxima by distance."""
    smooth = win.smooth
    tophat = smooth - win.background(MAX_DIAMETER_MM + 0.5)
    dist = win.distance_mm(cx, cy)
    floor = float(np.median(tophat))
    maxima = (tophat == ndimage.maximum_filter(tophat, size=3)) & (dist <= radius_mm)
    maxima &= tophat - floor >= 0.5 * MIN_CONTRAST_SIGMAS * win.sigma
    rows, cols = np.nonzero(maxima)
    order = np.argsort(dist[rows, cols], kind="stable")
    first = _hill_climb(smooth, int(round(cx)), int(round(cy)))
    seeds = [first] if dist[first[1], first[0]] <= radius_mm else []
    seeds += [(int(cols[k]), int(rows[k])) for k in order if (int(cols[k]), int(rows[k])) != first]
    return seeds[:MAX_SEEDS]


def _intensity(speck: _Speck, bright_is_high: bool, step: float) -> Intensity:
    """Peak, mean and background in modality values; contrast positive when brighter."""
    sign = step if bright_is_high else -step
    values = speck.win.values
    inside = values[speck.region].astype(np.float64)
    peak = float(inside.max())
    mean = float(inside.mean())
    background = float((values - speck.tophat)[speck.region].mean()) + speck.baseline
    return Intensity(
        peak=sign * peak, mean=sign * mean, background=sign * background, contrast=step * (mean - background)
    )
