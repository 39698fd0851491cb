"""Synthetic mammograms with calcifications of known size: the demo study and the tests' ground truth.

A :class:`Phantom` is a stored pixel matrix (12 bits in ``uint16``) that looks like a
"For Presentation" mammogram: air near zero, a breast-shaped region of fatty tissue
with brighter fibroglandular texture that is denser near the chest wall, a pectoral
muscle triangle on MLO views, a skin line, quantum-like noise, and calcifications drawn
as discs of known physical diameter with partial-volume (sub-pixel) coverage and a mild
detector blur.

Orientation, as most mammography modalities store the image (PS3.17 Annex on
mammography): the chest wall is on the **left** image edge (column 0) for a left breast
and on the **right** edge (last column) for a right breast, so that a hanging protocol
showing R on the left and L on the right puts the chest walls back to back. The
matching Patient Orientation values are given by :func:`patient_orientation`.

Coordinates follow :mod:`viewer.core.geometry`: a point is ``(x, y)`` with x = column,
y = row, pixel centres at integers. Spacing is ``(row_mm, col_mm)`` as in DICOM.

Everything is deterministic for a given seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

MAX_STORED = 4095
"""Largest value of a 12-bit stored pixel."""

AIR_LEVEL = 60.0
FAT_LEVEL = 1150.0
GLAND_GAIN = 850.0
DENSE_GLAND_GAIN = 1500.0
MUSCLE_GAIN = 900.0
SKIN_GAIN = 140.0
FINE_TEXTURE = 45.0
"""Amplitude of the fine (sub-millimetre) mottle of the tissue, in stored units."""
BLUR_PX = 0.5
"""Detector blur (Gaussian sigma in pixels) applied to calcifications."""


@dataclass(frozen=True)
class CalcSpec:
    """A calcification to draw.

    Parameters
    ----------
    center
        ``(x, y)`` in pixels (x = column, y = row, pixel centres at integers).
    diameter_mm
        Physical diameter of the disc in mm (a circle in mm, so an ellipse in pixels
        when the spacing is anisotropic).
    contrast
        Height above the local tissue in stored units (MONOCHROME2 sense); ``None`` for a
        size-dependent default (:func:`default_contrast`).
    """

    center: tuple[float, float]
    diameter_mm: float
    contrast: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.diameter_mm) and self.diameter_mm > 0):
            raise ValueError(f"diameter_mm must be positive, got {self.diameter_mm!r}")
        if self.contrast is not None and not self.contrast > 0:
            raise ValueError(f"contrast must be positive, got {self.contrast!r}")


@dataclass(frozen=True)
class TrueCalcification:
    """A calcification as drawn: the ground truth for measurement tests.

    ``diameter_px_x`` / ``diameter_px_y`` are the extents in columns / rows, which differ
    when the spacing is anisotropic.
    """

    center: tuple[float, float]
    diameter_mm: float
    diameter_px_x: float
    diameter_px_y: float
    contrast: float


@dataclass(frozen=True)
class Phantom:
    """A synthetic mammogram and what is in it.

    ``pixels`` are stored values (``uint16``, 12 bits used). With ``monochrome1=False``
    (MONOCHROME2) high values are dense and shown bright; with ``monochrome1=True`` the
    values are inverted (``4095 - v``), as a MONOCHROME1 file stores them.
    """

    pixels: NDArray[np.uint16]
    truth: list[TrueCalcification]
    spacing_mm: tuple[float, float]
    laterality: str
    view: str
    monochrome1: bool = False
    breast_mask: NDArray[np.bool_] = field(repr=False, default_factory=lambda: np.zeros((0, 0), bool))

    @property
    def photometric_interpretation(self) -> str:
        return "MONOCHROME1" if self.monochrome1 else "MONOCHROME2"


def patient_orientation(laterality: str, view: str) -> tuple[str, str]:
    """Patient Orientation (0020,0020) of a phantom: directions of increasing column and row.

    Left breasts are stored with the chest wall at column 0 (columns run anteriorly),
    right breasts with the chest wall at the last column (columns run posteriorly).
    """
    _check_view(laterality, view)
    row_dir = "A" if laterality == "L" else "P"
    col_dir = ("R" if laterality == "L" else "L") if view == "CC" else "F"
    return (row_dir, col_dir)


def default_contrast(diameter_mm: float) -> float:
    """Contrast over the local tissue in stored units: thicker specks absorb more."""
    return 170.0 + 260.0 * min(diameter_mm, 1.0)


def breast_point(rows: int, cols: int, laterality: str, depth: float, height: float) -> tuple[float, float]:
    """``(x, y)`` of a point inside the breast given as fractions.

    ``depth`` is the distance from the chest wall as a fraction of the image width,
    ``height`` the row as a fraction of the image height.
    """
    x = depth * cols if laterality == "L" else (cols - 1) - depth * cols
    return (float(x), float(height * rows))


def _outline(rows: int, cols: int, view: str) -> tuple[float, float, float]:
    """The breast's half ellipse: centre row, half height (rows) and depth (columns) at the chest wall."""
    if view == "CC":
        return 0.5 * rows, 0.45 * rows, 0.68 * cols
    return 0.45 * rows, 0.62 * rows, 0.72 * cols


def _pectoral(rows: int, cols: int) -> tuple[float, float]:
    """Where the pectoral muscle's edge meets the top row (depth in columns) and the chest wall (row)."""
    return 0.33 * cols, 0.55 * rows


@dataclass(frozen=True)
class TrueLandmarks:
    """Where the generator put the nipple and the chest wall of one phantom view.

    ``nipple`` is the apex of the breast outline (the point farthest from the chest
    wall edge), ``chest_wall`` two points ``(x, y)`` on the chest wall line: the image
    edge on CC, the pectoral muscle's edge on MLO.
    """

    nipple: tuple[float, float]
    chest_wall: tuple[tuple[float, float], tuple[float, float]]


def phantom_landmarks(rows: int, cols: int, laterality: str, view: str) -> TrueLandmarks:
    """The nipple and chest wall line the generator draws for this geometry (the tests' truth)."""
    _check_view(laterality, view)
    yc, _, a = _outline(rows, cols, view)

    def x_at(depth: float) -> float:
        return float(depth) if laterality == "L" else float((cols - 1) - depth)

    if view == "CC":
        wall = ((x_at(0.0), 0.0), (x_at(0.0), float(rows - 1)))
    else:
        p0, py = _pectoral(rows, cols)
        wall = ((x_at(p0), 0.0), (x_at(0.0), float(py)))
    return TrueLandmarks((x_at(a), float(yc)), wall)


def place_finding(
    rows: int,
    cols: int,
    spacing_mm: tuple[float, float],
    laterality: str,
    clock_hour: float,
    behind_nipple_mm: float,
    off_axis_mm: float,
) -> dict[str, tuple[float, float]]:
    """``(x, y)`` on CC and on MLO of one finding placed at a clock position.

    The breast is modelled as the nipple axis (the line from the nipple straight back
    to the chest wall): the finding lies ``behind_nipple_mm`` along it and
    ``off_axis_mm`` from it towards ``clock_hour`` (12 superior, 3 to the patient's
    left as a reader facing the patient sees it, DOMAIN.md section 6). CC shows the
    left-right offset along its rows, MLO the superior-inferior one along its rows
    (the obliquity of MLO is ignored).
    """
    angle = math.radians(30.0 * clock_hour)
    to_left = off_axis_mm * math.sin(angle)  # towards the patient's left
    up = off_axis_mm * math.cos(angle)  # towards the head
    row_mm, col_mm = spacing_mm
    back = behind_nipple_mm / col_mm * (-1.0 if laterality == "L" else 1.0)
    out: dict[str, tuple[float, float]] = {}
    for view in ("CC", "MLO"):
        nx, ny = phantom_landmarks(rows, cols, laterality, view).nipple
        down_letter = patient_orientation(laterality, view)[1]
        # CC rows run left-right (their letter says which way), MLO rows run to the feet.
        dy = to_left / row_mm * (1.0 if down_letter == "L" else -1.0) if view == "CC" else -up / row_mm
        out[view] = (nx + back, ny + dy)
    return out


def _check_view(laterality: str, view: str) -> None:
    if laterality not in ("L", "R"):
        raise ValueError(f"laterality must be 'L' or 'R', got {laterality!r}")
    if view not in ("CC", "MLO"):
        raise ValueError(f"view must be 'CC' or 'MLO', got {view!r}")


def _smooth_field(
    rng: np.random.Generator, shape: tuple[int, int], step: int, sigma: float
) -> NDArray[np.float32]:
    """Unit-variance smooth noise: filtered on a coarse grid, then upsampled (fast)."""
    small = (shape[0] // step + 2, shape[1] // step + 2)
    noise = ndimage.gaussian_filter(rng.standard_normal(small).astype(np.float32), sigma)
    noise /= max(float(noise.std()), 1e-6)
    up = ndimage.zoom(noise, step, order=1, prefilter=False)
    out: NDArray[np.float32] = up[: shape[0], : shape[1]].astype(np.float32)
    return out


def _tissue(
    rows: int, cols: int, laterality: str, view: str, dense: bool, pixel_mm: float, rng: np.random.Generator
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Noise-free tissue image (MONOCHROME2 sense) and the breast mask."""
    x = np.arange(cols, dtype=np.float32)
    depth = x if laterality == "L" else (cols - 1) - x
    y = np.arange(rows, dtype=np.float32)
    yc, b, a = _outline(rows, cols, view)
    rho = np.sqrt((depth[None, :] / a) ** 2 + ((y[:, None] - yc) / b) ** 2)
    inside = rho < 1.0
    # Compression makes the breast flat in the middle; it thins only near the skin.
    edge = np.clip((1.0 - rho) / 0.10, 0.0, 1.0) ** 0.6
    skin_px = 0.03 * a
    skin = SKIN_GAIN * np.exp(-(((1.0 - rho) * a / skin_px) ** 2)) * inside

    # Texture scales are physical (about 1.7 mm and 0.4 mm), whatever the pixel size. The
    # glandular pattern comes from the coarse field; the fine field only adds a soft
    # mottle, so that nothing in the tissue has a calcification's small sharp edge.
    coarse = _smooth_field(rng, (rows, cols), max(round(0.56 / pixel_mm), 1), 3.0)
    fine = _smooth_field(rng, (rows, cols), max(round(0.28 / pixel_mm), 1), 2.0)
    # Glandular tissue concentrates behind the nipple, nearer the chest wall.
    bias = (1.4 if dense else 0.2) - 2.2 * rho
    gland = 1.0 / (1.0 + np.exp(-1.5 * (0.9 * coarse + bias)))
    gain = DENSE_GLAND_GAIN if dense else GLAND_GAIN
    gland = gain * gland + FINE_TEXTURE * (0.5 + gland) * fine
    img = AIR_LEVEL + edge * (FAT_LEVEL - AIR_LEVEL + gland) + skin

    if view == "MLO":
        # Pectoral muscle: a bright triangle in the upper chest-wall corner.
        p0, py = _pectoral(rows, cols)
        s = depth[None, :] / p0 + y[:, None] / py
        muscle = np.clip((1.0 - s) / 0.02, 0.0, 1.0) * inside
        img = img + MUSCLE_GAIN * muscle * edge
    return img.astype(np.float32), inside


def _disc_coverage(
    cx: float, cy: float, rx: float, ry: float, x0: int, y0: int, w: int, h: int, sub: int = 8
) -> NDArray[np.float32]:
    """Fraction of each pixel of the box ``[x0, x0+w) x [y0, y0+h)`` covered by an ellipse."""
    offs = (np.arange(sub, dtype=np.float32) + 0.5) / sub - 0.5
    xs = (np.arange(x0, x0 + w, dtype=np.float32)[:, None] + offs[None, :]).ravel()
    ys = (np.arange(y0, y0 + h, dtype=np.float32)[:, None] + offs[None, :]).ravel()
    inside = ((xs[None, :] - cx) / rx) ** 2 + ((ys[:, None] - cy) / ry) ** 2 <= 1.0
    cover: NDArray[np.float32] = inside.reshape(h, sub, w, sub).mean(axis=(1, 3)).astype(np.float32)
    return cover


def draw_calcification(
    img: NDArray[np.float32], spec: CalcSpec, spacing_mm: tuple[float, float], blur_px: float = BLUR_PX
) -> TrueCalcification:
    """Add one disc to ``img`` in place (MONOCHROME2 sense) and return its truth."""
    row_mm, col_mm = spacing_mm
    rx = spec.diameter_mm / col_mm / 2.0
    ry = spec.diameter_mm / row_mm / 2.0
    contrast = spec.contrast if spec.contrast is not None else default_contrast(spec.diameter_mm)
    cx, cy = spec.center
    margin = int(math.ceil(3 * blur_px)) + 2
    x0 = max(int(math.floor(cx - rx)) - margin, 0)
    y0 = max(int(math.floor(cy - ry)) - margin, 0)
    x1 = min(int(math.ceil(cx + rx)) + margin + 1, img.shape[1])
    y1 = min(int(math.ceil(cy + ry)) + margin + 1, img.shape[0])
    if x1 > x0 and y1 > y0:
        cover = _disc_coverage(cx, cy, rx, ry, x0, y0, x1 - x0, y1 - y0)
        if blur_px > 0:
            cover = ndimage.gaussian_filter(cover, blur_px, mode="constant")
        img[y0:y1, x0:x1] += contrast * cover
    return TrueCalcification((float(cx), float(cy)), spec.diameter_mm, 2 * rx, 2 * ry, contrast)


def random_calcifications(
    rows: int, cols: int, laterality: str, rng: np.random.Generator, count: int = 12
) -> list[CalcSpec]:
    """Scattered calcifications of 0.2-2 mm inside the breast, at least 3 mm from each other."""
    specs: list[CalcSpec] = []
    centers: list[tuple[float, float]] = []
    min_gap = 0.06 * min(rows, cols)
    while len(specs) < count:
        p = breast_point(
            rows, cols, laterality, float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.25, 0.75))
        )
        if any(math.hypot(p[0] - q[0], p[1] - q[1]) < min_gap for q in centers):
            continue
        d = float(np.exp(rng.uniform(math.log(0.2), math.log(2.0))))
        centers.append(p)
        specs.append(CalcSpec(p, round(d, 3)))
    return specs


def make_mammogram(
    rows: int = 2400,
    cols: int = 1900,
    spacing_mm: tuple[float, float] = (0.07, 0.07),
    laterality: str = "L",
    view: str = "CC",
    seed: int = 0,
    calcifications: Sequence[CalcSpec] | None = None,
    dense: bool = False,
    monochrome1: bool = False,
    noise: float = 16.0,
) -> Phantom:
    """Make a synthetic mammogram with calcifications of known size.

    Parameters
    ----------
    rows, cols
        Matrix size.
    spacing_mm
        ``(row_mm, col_mm)`` at the breast plane: the spacing the sizes are true in.
    laterality, view
        ``"L"``/``"R"`` and ``"CC"``/``"MLO"``; see the module docstring for orientation.
    seed
        Seed of every random choice (texture, noise, random calcifications).
    calcifications
        What to draw; ``None`` for twelve random ones (:func:`random_calcifications`),
        an empty sequence for none.
    dense
        Extremely dense (bright) fibroglandular tissue instead of mostly fatty.
    monochrome1
        Store inverted values (``4095 - v``) as a MONOCHROME1 image does.
    noise
        Standard deviation of the quantum-like noise in stored units at mid-grey.

    Returns
    -------
    Phantom
        Pixels, the calcifications' truth (in the order drawn) and the geometry.
    """
    _check_view(laterality, view)
    if rows < 32 or cols < 32:
        raise ValueError(f"a phantom needs at least 32x32 pixels, got {rows}x{cols}")
    rng = np.random.default_rng(seed)
    img, inside = _tissue(rows, cols, laterality, view, dense, min(spacing_mm), rng)
    specs = (
        random_calcifications(rows, cols, laterality, rng) if calcifications is None else list(calcifications)
    )
    truth = [draw_calcification(img, spec, spacing_mm) for spec in specs]
    # Quantum noise: variance grows with the signal; a floor keeps air noisy too.
    sigma = noise * np.sqrt(np.maximum(img, 200.0) / 2000.0, dtype=np.float32)
    img += sigma * rng.standard_normal(img.shape, dtype=np.float32)
    np.clip(img, 0, MAX_STORED, out=img)
    pixels = np.rint(img).astype(np.uint16)
    if monochrome1:
        pixels = (MAX_STORED - pixels).astype(np.uint16)
    return Phantom(
        pixels, truth, (float(spacing_mm[0]), float(spacing_mm[1])), laterality, view, monochrome1, inside
    )
