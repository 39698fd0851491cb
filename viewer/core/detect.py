"""Assisted detection: candidate calcifications, i.e. small, sharp, bright specks.

A classical detector at the calcification scale in mm (issue 7):

1. **White top-hat** ``f - opening(f)`` with a flat square a little larger than the
   largest calcification looked for (:attr:`DetectorSettings.max_diameter_mm`): removes
   the breast, its slow density changes and the skin/air step, keeps small bright things.
2. **Seeds**: a difference of Gaussians of the top-hat at 0.05 / 0.14 mm (a sharpness
   map; more scales can be set in :attr:`DetectorSettings.scales_mm`) divided by its
   local robust spread (1.4826 x the median absolute deviation in 5 mm blocks). Regions
   above :attr:`DetectorSettings.seed_threshold` are seeds. Calcifications have sharp
   edges; glandular texture is smooth and answers weakly.
3. **Outline and size**: from the brightest point near a seed (a large disc seeds along
   its rim), 32 rays follow the lightly smoothed top-hat down to half-way between the top
   and the surround (the lowest value met along each ray, median over the rays); rays are
   cast again from the centre of that outline. The star-shaped outline at half contrast
   gives the centre and the long axis (max Feret diameter). A ray that runs into a
   brighter neighbour is cut at 2.5 times the median ray, or at 2.5 times the opposite
   ray when that is longer: a thin rod (a fine linear calcification) is long both ways,
   and its outline grows over up to five passes, each from the last outline's centre.
4. **Local contrast test**: per ray, the object's inner half minus the surround just
   outside the outline. The contrast of the weakest tenth of the rays, divided by the
   local pixel noise (MAD of neighbour differences in 5 mm blocks), is the candidate's
   ``score``; it must reach :attr:`DetectorSettings.min_score`. A speck is brighter than
   its surround in every direction; an edge (skin line, pectoral muscle) or a ridge
   leaves half of the rays without contrast, and a point on a ridge has two opposite
   rays that never fall to half contrast; both are rejected. Objects longer than
   :attr:`DetectorSettings.max_long_axis_mm` are left to the reader, unless they are
   thinner than 0.5 mm (a fine linear calcification; a long line is step 5's).
5. **Part of a line** (:func:`structure_shape`): the narrow bright structure a candidate
   belongs to (a top-hat of 1.5 mm, the connected part at least a third as bright as the
   candidate, within 3 mm) is measured by its second moments. A calcification is a
   compact speck and stays compact; a calcified vessel wall, a fibre or a scratch on a
   scanned film carries its brighter pieces along a line that goes on beyond them. A
   structure longer than :attr:`DetectorSettings.max_diameter_mm` (what the detector's
   top-hat keeps) and at least :attr:`DetectorSettings.max_elongation` times longer than
   wide is not a candidate (vascular calcifications are benign, BI-RADS 5th ed.), and
   neither is a weaker seed of the same piece. Fine linear calcifications shorter than
   that, and calcifications in a row with tissue between them, are kept.

Coordinates are ``(x, y)`` pixels, x = column, y = row, pixel centres at integers.
Filter sizes are set in mm with the image's spacing (anisotropic pixels handled per
axis); an uncalibrated image is processed as if its pixels were
:attr:`DetectorSettings.uncalibrated_mm_per_px` wide and its sizes come back in px only.

Measured on the synthetic mammograms of :mod:`viewer.core.phantom` (0.07 mm pixels,
3000 x 2400 in about 1 s): see ``benchmarks/cluster_bench.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from viewer.core.breast_region import breast_region as breast_region
from viewer.core.geometry import Point, Spacing, feret, polygon_centroid
from viewer.core.structure_shape import StructureShape as StructureShape
from viewer.core.structure_shape import structure_shape

_RAYS = 32
_ANGLES = np.linspace(0.0, 2.0 * np.pi, _RAYS, endpoint=False)
_SIN, _COS = np.sin(_ANGLES), np.cos(_ANGLES)
_STEP_PX = 0.5
"""Sampling step along a ray."""
_RING_STEPS_PX = np.array([2.0, 3.0, 4.0])
"""Where the surround is sampled: this many pixels beyond the outline."""
_LEAK_CAP = 2.5
"""A ray is at most this many times the median ray long (it may run into a neighbour),
or this many times the opposite ray when that is longer (a rod is long both ways)."""
_CONTRAST_QUANTILE = 0.1
"""The contrast reported is that of the weakest tenth of the rays: a neighbour may sit in
a direction or two, but an edge or a ridge leaves half of them without contrast."""
_PASSES = 5
"""Most times the rays are cast, each from the centre of the last outline."""
_FINE_LINEAR_WIDTH_MM = 0.5
"""Fine linear calcifications are thinner than this (BI-RADS 5th ed.)."""
_DOG_RATIO = 2.8
"""Outer / inner sigma of each difference of Gaussians."""
Array = NDArray[np.float32]


@dataclass(frozen=True)
class DetectorSettings:
    """Tuning of :func:`find_candidates`; the defaults are measured on synthetic images.

    Parameters
    ----------
    max_diameter_mm
        Width of the top-hat's structuring element: larger bright things are background.
    max_long_axis_mm
        Longest object reported; larger ones (coarse, vascular) are left to the reader,
        except those thinner than 0.5 mm (fine linear).
    scales_mm
        Outer sigmas of the differences of Gaussians that make seeds (inner = outer / 2.8).
    seed_threshold
        Seed strength, in local robust standard deviations of a scale's response.
    min_score
        Least contrast, in local pixel-noise standard deviations, to report a candidate.
    block_mm
        Side of the blocks in which noise and spread are estimated.
    edge_margin_mm
        Without a ``mask``, look only inside the breast (:func:`breast_region`) this far
        from its edge; ``None`` looks everywhere.
    uncalibrated_mm_per_px
        Pixel size assumed to set the filter sizes when the image has no spacing.
    max_elongation
        A candidate whose bright structure (see :func:`structure_shape`) is longer than
        ``max_diameter_mm`` and at least this many times longer than wide lies on a line
        (a vessel, a fibre) and is dropped; ``None`` keeps them.
    """

    max_diameter_mm: float = 3.0
    max_long_axis_mm: float = 2.2
    scales_mm: tuple[float, ...] = (0.14,)
    seed_threshold: float = 6.0
    min_score: float = 7.0
    block_mm: float = 5.0
    edge_margin_mm: float | None = 2.0
    uncalibrated_mm_per_px: float = 0.07
    max_elongation: float | None = 2.5

    def __post_init__(self) -> None:
        for name in (
            "max_diameter_mm",
            "max_long_axis_mm",
            "seed_threshold",
            "min_score",
            "block_mm",
            "uncalibrated_mm_per_px",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.max_elongation is not None and not self.max_elongation >= 1:
            raise ValueError(f"max_elongation must be >= 1 or None, got {self.max_elongation!r}")
        if self.edge_margin_mm is not None and not self.edge_margin_mm >= 0:
            raise ValueError(f"edge_margin_mm must be >= 0 or None, got {self.edge_margin_mm!r}")
        if not self.scales_mm or not all(math.isfinite(s) and s > 0 for s in self.scales_mm):
            raise ValueError(f"scales_mm must be positive numbers, got {self.scales_mm!r}")


@dataclass(frozen=True)
class Candidate:
    """A suggested calcification (never a reader's mark until accepted).

    Parameters
    ----------
    center
        ``(x, y)`` in pixels (x = column, y = row, pixel centres at integers).
    score
        Contrast against the surround in the weakest direction, in units of the local
        pixel noise: higher is more certain.
    long_axis_mm
        Estimated greatest diameter (at half contrast) in mm; ``None`` when uncalibrated.
    long_axis_px
        The same estimate in pixels.
    contrast
        Brightness above the surround in modality units (positive = brighter on screen).
    """

    center: Point
    score: float
    long_axis_mm: float | None
    long_axis_px: float
    contrast: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (the ``detect --json`` candidate object)."""
        return {
            "center": [self.center[0], self.center[1]],
            "score": self.score,
            "long_axis_mm": self.long_axis_mm,
            "long_axis_px": self.long_axis_px,
            "contrast": self.contrast,
        }


def block_spread(values: Array, block: tuple[int, int]) -> Array:
    """Robust standard deviation (1.4826 x MAD) in blocks, expanded back to full size.

    Every other pixel of a block is used (enough for a robust estimate, four times
    faster). A block with no spread (flat air, padding) gets half the median spread of
    the other blocks, so that ratios to it stay finite and meaningful.
    """
    h, w = values.shape
    bh, bw = block
    nh, nw = -(-h // bh), -(-w // bw)
    padded = np.pad(values, ((0, nh * bh - h), (0, nw * bw - w)), mode="reflect")
    blocks = padded.reshape(nh, bh, nw, bw)[:, ::2, :, ::2].transpose(0, 2, 1, 3)
    blocks = blocks.reshape(nh, nw, -1)
    med = np.median(blocks, axis=2)
    spread = 1.4826 * np.median(np.abs(blocks - med[..., None]), axis=2)
    positive = spread[spread > 0]
    floor = 0.5 * float(np.median(positive)) if positive.size else 1.0
    spread = np.maximum(spread, floor).astype(np.float32)
    full: Array = np.repeat(np.repeat(spread, bh, axis=0), bw, axis=1)[:h, :w]
    return full


def pixel_noise(image: Array, block: tuple[int, int]) -> Array:
    """Local standard deviation of the pixel noise, from differences of neighbours.

    Neighbour differences cancel smooth anatomy and keep noise (times sqrt 2).
    """
    diff = np.empty_like(image)
    if image.shape[1] > 1:
        diff[:, :-1] = (image[:, 1:] - image[:, :-1]) / np.float32(math.sqrt(2.0))
        diff[:, -1] = diff[:, -2]
    else:
        diff[:] = 0.0
    return block_spread(diff, block)


def _seed_strength(
    tophat: Array, pixel_mm: tuple[float, float], settings: DetectorSettings, block: tuple[int, int]
) -> Array:
    """The largest normalised difference-of-Gaussians response over the scales.

    Coarse scales are computed on a block-averaged copy (same result, a fraction of the
    time) and expanded back.
    """
    h, w = tophat.shape
    best = np.zeros_like(tophat)
    for outer_mm in settings.scales_mm:
        inner = [outer_mm / _DOG_RATIO / p for p in pixel_mm]
        q = max(1, int(min(inner) // 2))
        small = tophat
        if q > 1:
            hh, ww = h // q * q, w // q * q
            small = tophat[:hh, :ww].reshape(hh // q, q, ww // q, q).mean(axis=(1, 3))
        sig_in = [max(v / q, 0.5) for v in inner]
        sig_out = [v * _DOG_RATIO / q for v in inner]
        dog = ndimage.gaussian_filter(small, sig_in) - ndimage.gaussian_filter(small, sig_out)
        ratio = dog / block_spread(dog, (max(4, block[0] // q), max(4, block[1] // q)))
        if q > 1:
            ratio = np.repeat(np.repeat(ratio, q, axis=0), q, axis=1)
            ratio = np.pad(ratio, ((0, h - ratio.shape[0]), (0, w - ratio.shape[1])), mode="edge")
        np.maximum(best, ratio, out=best)
    return best


def find_candidates(
    image: ArrayLike,
    spacing: Spacing,
    *,
    bright_is_high: bool = True,
    settings: DetectorSettings | None = None,
    mask: ArrayLike | None = None,
) -> list[Candidate]:
    """Find candidate calcifications in one image; best first.

    Parameters
    ----------
    image
        2-D modality values, indexed ``[y, x]`` (row, column).
    spacing
        The spacing in force (mm sizes; filter sizes in mm).
    bright_is_high
        False when high values display dark (MONOCHROME1 without inversion).
    settings
        Detector tuning; see :class:`DetectorSettings`.
    mask
        Optional boolean array of the image's shape: only candidates centred where it is
        True are kept (e.g. a region the reader drew). Default: :func:`breast_region`.

    Returns
    -------
    Candidates sorted by decreasing ``score``.
    """
    settings = settings or DetectorSettings()
    f = np.asarray(image, dtype=np.float32)
    if f.ndim != 2:
        raise ValueError(f"find_candidates needs a 2-D image, got shape {f.shape}")
    keep = None if mask is None else np.asarray(mask, dtype=bool)
    if keep is not None and keep.shape != f.shape:
        raise ValueError(f"mask shape {keep.shape} differs from the image's {f.shape}")
    if min(f.shape) < 16:
        return []
    if not bright_is_high:
        f = -f
    if spacing.row_mm is not None and spacing.col_mm is not None:
        pixel_mm = (spacing.row_mm, spacing.col_mm)
    else:
        pixel_mm = (settings.uncalibrated_mm_per_px, settings.uncalibrated_mm_per_px)
    if keep is None and settings.edge_margin_mm is not None:
        keep = breast_region(f, pixel_mm, settings.edge_margin_mm)
    se = [max(3, int(round(settings.max_diameter_mm / p)) | 1) for p in pixel_mm]
    block = (max(8, round(settings.block_mm / pixel_mm[0])), max(8, round(settings.block_mm / pixel_mm[1])))

    tophat = f - ndimage.grey_opening(f, size=se)
    smooth = ndimage.gaussian_filter(tophat, [max(0.05 / p, 0.5) for p in pixel_mm])
    strength = _seed_strength(tophat, pixel_mm, settings, block)
    noise = pixel_noise(f, block)

    claimed = np.zeros(f.shape, dtype=bool)
    reach = float(max(se))
    found: list[Candidate] = []
    on_lines: list[Candidate] = []
    for py, px_ in _seed_peaks(strength, settings.seed_threshold):
        if claimed[py, px_]:
            continue  # another seed of an object already measured
        measured = _measure(smooth, noise, (py, px_), reach, pixel_mm, spacing.calibrated)
        if measured is None:
            continue
        candidate = measured.candidate
        x, y = candidate.center
        r = int(math.ceil(min(measured.radius_px, reach)))
        claimed[max(round(y) - r, 0) : round(y) + r + 1, max(round(x) - r, 0) : round(x) + r + 1] = True
        if candidate.score < settings.min_score or measured.too_large(settings.max_long_axis_mm):
            continue
        if keep is not None and not keep[min(round(y), f.shape[0] - 1), min(round(x), f.shape[1] - 1)]:
            continue
        if settings.max_elongation is not None:
            shape = structure_shape(smooth, candidate.center, pixel_mm)
            if shape.length_mm > settings.max_diameter_mm and shape.elongation >= settings.max_elongation:
                on_lines.append(candidate)  # on a vessel, a fibre, a scratch
                continue
        found.append(candidate)
    found.sort(key=lambda c: -c.score)
    return distinct(found, dropped=on_lines)


def distinct(
    candidates: list[Candidate], min_px: float = 3.0, dropped: list[Candidate] | None = None
) -> list[Candidate]:
    """Best first, one candidate per speck: a weaker one whose centre lies within the
    better one's reach (half its long axis plus a pixel, at least ``min_px``) is the same
    speck found from another seed, and is dropped. So is one within the reach of a
    stronger object in ``dropped`` (found on a line and left out): the same piece of
    vessel seen from another seed."""

    def within(c: Candidate, k: Candidate) -> bool:
        reach = max(min_px, 0.5 * k.long_axis_px + 1.0)
        return math.hypot(c.center[0] - k.center[0], c.center[1] - k.center[1]) < reach

    kept: list[Candidate] = []
    for c in candidates:
        if any(within(c, k) for k in kept):
            continue
        if any(k.score >= c.score and within(c, k) for k in dropped or ()):
            continue
        kept.append(c)
    return kept


def _seed_peaks(strength: Array, threshold: float) -> list[tuple[int, int]]:
    """The strongest pixel ``(row, col)`` of each seed region, strongest region first."""
    labels, count = ndimage.label(strength > threshold)
    if count == 0:
        return []
    # Per-region maxima over the seed pixels only (scipy's maximum_position sorts the
    # whole image, which costs seconds on a mammogram).
    flat = np.flatnonzero(labels)
    region = labels.ravel()[flat]
    value = strength.ravel()[flat]
    order = np.lexsort((-value, region))
    first = order[np.r_[True, region[order][1:] != region[order][:-1]]]
    first = first[np.argsort(-value[first], kind="stable")]
    rows, cols = np.unravel_index(flat[first], strength.shape)
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


@dataclass
class _Star:
    """Rays cast from a point: profiles, where the object ends and what surrounds it."""

    prof: NDArray[np.float64]
    first: NDArray[np.intp]
    crossed: NDArray[np.bool_]
    surround_ray: NDArray[np.float64]
    surround: float
    outline: NDArray[np.float64]
    radius: NDArray[np.float64]


def _star(smooth: Array, cy: float, cx: float, top: float, reach: float, first_pass: bool) -> _Star | None:
    """Follow 32 rays from ``(cx, cy)`` down to half-way between ``top`` and the surround.

    The surround of a ray is the lowest value it meets within ``reach``; the object's
    surround is the median over the rays. A ray that never gets below half-way (it runs
    into a bright neighbour) is cut at 2.5 times the median radius of the others. After
    the ``first_pass`` a ray is also cut at 2.5 times the longer of that and the opposite
    ray: the rays along a thin rod are many times the median ray, both ways, and the
    rod's length is theirs; a ray that runs on alone has run into tissue.
    """
    t = np.arange(0.0, reach + _STEP_PX, _STEP_PX)
    ray_y = cy + _SIN[:, None] * t[None, :]
    ray_x = cx + _COS[:, None] * t[None, :]
    prof = (
        ndimage.map_coordinates(smooth, [ray_y.ravel(), ray_x.ravel()], order=1, mode="nearest")
        .reshape(_RAYS, -1)
        .astype(np.float64)
    )
    rays = np.arange(_RAYS)
    surround_ray = prof.min(axis=1)
    surround = float(np.median(surround_ray))
    if top <= surround:
        return None
    level = 0.5 * (top + surround)
    below = prof < level
    crossed = below.any(axis=1)
    if not crossed.any():
        return None
    first = np.where(crossed, below.argmax(axis=1), len(t) - 1)
    # Interpolate the crossing between the last sample above and the first below.
    prev = np.maximum(first - 1, 0)
    a, b = prof[rays, prev], prof[rays, first]
    frac = np.where(crossed & (a > b), (a - level) / np.maximum(a - b, 1e-9), 0.0)
    radius = (prev + np.clip(frac, 0.0, 1.0)) * _STEP_PX
    cap = _LEAK_CAP * float(np.median(radius[crossed]))
    radius = np.where(crossed, radius, cap)
    if not first_pass:
        # A rod is long both ways; a ray that runs on alone (into tissue) is cut.
        radius = np.minimum(radius, _LEAK_CAP * np.maximum(cap / _LEAK_CAP, np.roll(radius, _RAYS // 2)))
    first = np.minimum(first, np.ceil(radius / _STEP_PX).astype(np.intp))
    outline = np.column_stack([cx + _COS * radius, cy + _SIN * radius])
    return _Star(prof, first, crossed, surround_ray, surround, outline, radius)


@dataclass(frozen=True)
class _Measured:
    """An object outlined at half contrast, before it is judged a candidate."""

    candidate: Candidate
    radius_px: float
    """The outline's median radius."""
    long_mm: float
    """Long axis in mm, with the assumed pixel size when uncalibrated."""
    width_mm: float
    """The outline's width across its long axis, in mm likewise."""

    def too_large(self, max_long_axis_mm: float) -> bool:
        """Longer than ``max_long_axis_mm`` and no fine linear calcification (those are
        thin, < 0.5 mm wide, BI-RADS 5th ed., and may be longer; a long line is the
        structure test's)."""
        return self.long_mm > max_long_axis_mm and self.width_mm >= _FINE_LINEAR_WIDTH_MM


def _measure(
    smooth: Array,
    noise: Array,
    peak: tuple[int, int],
    reach: float,
    pixel_mm: tuple[float, float],
    calibrated: bool,
) -> _Measured | None:
    """Outline the object at ``peak`` (row, col) at half contrast and measure its contrast.

    Rays are cast from the brightest point near the seed (a seed may sit on the edge of a
    large disc), then again from the centre of that first outline. None when there is no
    object.
    """
    h, w = smooth.shape
    py, px_ = peak
    ys, xs = slice(max(py - 3, 0), py + 4), slice(max(px_ - 3, 0), px_ + 4)
    near = smooth[ys, xs]
    ty, tx = np.unravel_index(int(np.argmax(near)), near.shape)
    cy, cx = float(ty + ys.start), float(tx + xs.start)
    sigma = float(noise[int(cy), int(cx)])
    top = float(smooth[int(cy), int(cx)])
    star = None
    for k in range(_PASSES):
        star = _star(smooth, cy, cx, top, reach, first_pass=k == 0)
        if star is None:
            return None
        was = (cx, cy)
        cx, cy = polygon_centroid(star.outline)
        if not (0 <= cx <= w - 1 and 0 <= cy <= h - 1):
            return None
        if k >= 1 and math.dist(was, (cx, cy)) < 0.5:
            break  # a rod's outline grows with each pass towards its middle; a speck's does not
        top = max(top, float(ndimage.map_coordinates(smooth, [[cy], [cx]], order=1)[0]))
    assert star is not None
    # Two opposite rays that never fall to half contrast: a ridge runs through the point
    # (a vessel, a fibre, the skin line), not a speck.
    if (~star.crossed & ~np.roll(star.crossed, _RAYS // 2)).any():
        return None
    long_px = feret(star.outline).long_axis
    row_mm, col_mm = pixel_mm
    size_mm = feret(star.outline * [col_mm, row_mm])
    long_mm = size_mm.long_axis

    # Contrast per ray: the object's inner half against the surround just outside it.
    n = star.prof.shape[1]
    inside = np.arange(n)[None, :] <= star.first[:, None] // 2
    level_in = float(star.prof[inside].mean())
    steps = np.clip(star.first[:, None] + (_RING_STEPS_PX / _STEP_PX).astype(int)[None, :], 0, n - 1)
    outside = star.prof[np.arange(_RAYS)[:, None], steps].mean(axis=1)
    per_ray = level_in - np.maximum(outside, star.surround_ray)
    contrast = float(np.quantile(per_ray, _CONTRAST_QUANTILE))
    candidate = Candidate((cx, cy), contrast / sigma, long_mm if calibrated else None, long_px, contrast)
    return _Measured(candidate, float(np.median(star.radius)), long_mm, size_mm.short_axis)
