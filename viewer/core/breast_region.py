"""Where the breast is on a mammogram, for the detector: tissue, less its edge, less what is not tissue.

The skin line, a biopsy device or compression paddle, a burned-in marker or text, and the
border of a scanned film are the strongest sources of false candidates; none of them is
breast tissue. :func:`breast_region` finds the breast by Otsu's threshold on a 0.5 mm
version of the image and removes :func:`foreign_objects` from it: large regions far
brighter than the tissue (metal, devices) and burned-in overlays at the image's largest
value, each with a margin, and a scanned film's label laid over the tissue
(:mod:`viewer.core.film_label`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from viewer.core.film_label import film_labels

_SEPARATION = 0.8
"""Otsu separation above which the image holds both background and breast (a single
Gaussian-like histogram scores about 0.64, air beside a breast 0.85 to 0.98)."""
_CLIP_PERCENTILE = 97.0
"""Values above this percentile are clipped before Otsu's threshold: a device or marker
brighter than any tissue would otherwise take the upper class to itself."""
_FOREIGN_SPREAD = 3.0
"""A region brighter than the tissue median by this many times (90th percentile - median)
is not tissue: dense tissue stays below, metal and devices lie far above."""
_FOREIGN_MIN_MM2 = 10.0
"""Least area of such a region: a calcification, however bright, is smaller (coarse
ones reach about 3 mm, beyond what the detector reports)."""
_FOREIGN_MARGIN_MM = 2.0
_BORDER_MM = 5.0
"""Nothing is looked for this close to the image's border (at most 5 % of its side): a
scanned film's edge, a detector's dead rows and the field edge all light up there."""
_SATURATED_MIN_PX = 30
"""Least pixels at the image's largest value that make a burned-in overlay, not a speck."""


def _otsu_threshold(values: NDArray[np.float32]) -> tuple[float, float]:
    """Otsu's threshold of ``values`` and how well it separates them (0 to 1).

    The separation is the between-class variance over the total variance (Otsu's
    criterion at its best): near 1 for air and breast, low for tissue alone.
    """
    hist, edges = np.histogram(values, bins=256)
    centres = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(hist).astype(np.float64)
    w1 = w0[-1] - w0
    s0 = np.cumsum(hist * centres)
    m0 = s0 / np.maximum(w0, 1.0)
    m1 = (s0[-1] - s0) / np.maximum(w1, 1.0)
    between = w0 * w1 * (m0 - m1) ** 2 / max(w0[-1], 1.0) ** 2
    best = int(np.argmax(between))
    total = float(values.var())
    return float(centres[best]), float(between[best] / total) if total > 0 else 0.0


def breast_region(
    image: ArrayLike, pixel_mm: tuple[float, float], margin_mm: float = 2.0
) -> NDArray[np.bool_]:
    """Where to look: the breast without a margin along its edge, as a boolean ``[y, x]`` mask.

    The image (bright = dense) is averaged down to about 0.5 mm pixels, clipped at its
    97th percentile (so that a device brighter than any tissue does not take a class to
    itself) and split into background and tissue by Otsu's threshold; the largest tissue
    region, holes filled, shrunk by ``margin_mm``, less :func:`foreign_objects`, is the
    breast. The skin line is the strongest source of false candidates and skin
    calcifications are benign, so the margin is left out. When background and tissue are
    not clearly apart (a spot view filled with tissue) the whole image, less the margin at
    its border, is used. Nothing within 5 mm (at most 5 % of the side) of the image's border is kept.
    """
    f = np.asarray(image, dtype=np.float32)
    q = [max(1, round(0.5 / p)) for p in pixel_mm]
    cells = _downsample(f, q)
    small = ndimage.gaussian_filter(cells, 1.0)
    small = np.minimum(small, np.float32(np.percentile(small, _CLIP_PERCENTILE)))
    threshold, separation = _otsu_threshold(small)
    tissue = small > threshold
    if separation > _SEPARATION and tissue.any() and not tissue.all():
        labels, _ = ndimage.label(tissue)
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        tissue = ndimage.binary_fill_holes(labels == int(np.argmax(sizes)))
    else:
        tissue = np.ones_like(tissue)
    label = film_labels(cells, (q[0] * pixel_mm[0], q[1] * pixel_mm[1]), threshold, tissue)
    steps = [max(1, round(margin_mm / (p * k))) for p, k in zip(pixel_mm, q, strict=True)]
    if margin_mm > 0:
        tissue = ndimage.binary_erosion(
            tissue, structure=np.ones((2 * steps[0] + 1, 2 * steps[1] + 1)), border_value=0
        )
    region = _upsample(tissue, q, f.shape)
    region &= ~foreign_objects(f, pixel_mm, region)
    region &= ~_upsample(label, q, f.shape)
    # at most 5 % of each side: a small spot view keeps its middle
    by, bx = (min(round(_BORDER_MM / p), n // 20) for p, n in zip(pixel_mm, region.shape, strict=True))
    if 2 * by < region.shape[0] and 2 * bx < region.shape[1]:
        region[:by], region[region.shape[0] - by :] = False, False
        region[:, :bx], region[:, region.shape[1] - bx :] = False, False
    return region


def _downsample(f: NDArray[np.float32], q: list[int]) -> NDArray[np.float32]:
    h, w = f.shape
    hh, ww = h // q[0] * q[0], w // q[1] * q[1]
    small: NDArray[np.float32] = f[:hh, :ww].reshape(hh // q[0], q[0], ww // q[1], q[1]).mean(axis=(1, 3))
    return small


def _upsample(mask: NDArray[np.bool_], q: list[int], shape: tuple[int, int]) -> NDArray[np.bool_]:
    full = np.repeat(np.repeat(mask, q[0], axis=0), q[1], axis=1)
    out: NDArray[np.bool_] = np.zeros(shape, dtype=bool)
    out[: full.shape[0], : full.shape[1]] = full[: shape[0], : shape[1]]
    return out


def foreign_objects(
    image: ArrayLike, pixel_mm: tuple[float, float], tissue: NDArray[np.bool_] | None = None
) -> NDArray[np.bool_]:
    """What is not breast tissue, with a margin, as a boolean ``[y, x]`` mask (bright = dense).

    Large regions (>= 10 mm^2 at 0.5 mm) brighter than the tissue's median by three times
    its (90th percentile - median) spread, such as a biopsy device, a paddle edge or a
    lead marker; and burned-in overlays, 30 or more pixels at exactly the image's largest
    value. ``tissue`` is where the tissue statistics are taken (default: everywhere).
    """
    f = np.asarray(image, dtype=np.float32)
    q = [max(1, round(0.5 / p)) for p in pixel_mm]
    small = _downsample(f, q)
    inside = _downsample(tissue.astype(np.float32), q) > 0.5 if tissue is not None else None
    values = small[inside] if inside is not None and inside.any() else small.ravel()
    median, p90 = (float(v) for v in np.percentile(values, [50.0, 90.0]))
    bright = small > median + _FOREIGN_SPREAD * max(p90 - median, 1e-6)
    labels, count = ndimage.label(bright)
    foreign = np.zeros(small.shape, dtype=bool)
    if count:
        cell_mm2 = q[0] * pixel_mm[0] * q[1] * pixel_mm[1]
        areas = np.bincount(labels.ravel())[1:] * cell_mm2
        big = np.flatnonzero(areas >= _FOREIGN_MIN_MM2) + 1
        foreign = np.isin(labels, big)
    margin = [max(1, round(_FOREIGN_MARGIN_MM / (p * k))) for p, k in zip(pixel_mm, q, strict=True)]
    if foreign.any():
        foreign = ndimage.binary_dilation(foreign, structure=np.ones((2 * margin[0] + 1, 2 * margin[1] + 1)))
    out = _upsample(foreign, q, f.shape)
    top = float(f.max())
    saturated = f >= top
    # an overlay is a few strokes; a clipped detector or a flat phantom is not an overlay
    if _SATURATED_MIN_PX <= int(saturated.sum()) <= 0.005 * f.size:
        labels, count = ndimage.label(saturated)
        sizes = np.bincount(labels.ravel())[1:]
        overlay = np.isin(labels, np.flatnonzero(sizes >= _SATURATED_MIN_PX) + 1)
        if overlay.any():
            step = [max(1, round(1.0 / p)) for p in pixel_mm]
            out |= ndimage.binary_dilation(overlay, structure=np.ones((2 * step[0] + 1, 2 * step[1] + 1)))
    return out
