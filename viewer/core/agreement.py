"""Agreement between two readers' marks on the same study.

Reader A is taken as the reference and reader B as the test, so that B's *precision* is
the share of B's marks that A also made and B's *recall* the share of A's marks that B
found; F1 = 2 * matched / (marks of A + marks of B) is symmetric.

Calcifications are matched one-to-one on each image (SOP Instance UID and frame) when their
centres lie within ``distance_mm`` of each other. The assignment is optimal: the largest
possible number of pairs, and among those the smallest total distance (Hungarian algorithm,
``scipy.optimize.linear_sum_assignment``). Distances are in mm with the image's spacing
(reader A's calibration if A has one, else B's, else the file's); an image without any
spacing is compared in pixels with ``distance_px`` and says so in its ``unit``.

Clusters (suggested and confirmed; never the reader's rejected groups) are matched one to
one by the overlap of their outlines: intersection over union (IoU) of the drawn outline or
else the convex hull of the members' outlines. A cluster with no area (two point marks)
is compared by its members instead: the Jaccard index of the member sets, members paired
through the calcification matches.

Points are ``(x, y)`` pixels: x = column, y = row, pixel centres at integers. With no marks
on either side a ratio is undefined and given as ``None`` (an empty cell in CSV), not 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from viewer.core.annotations import Cluster, ImageAnnotations, ImageKey, StudyAnnotations
from viewer.core.geometry import Spacing, convex_hull, points_in_polygon, polygon_area

IOU_GRID = 256
"""Samples along each side of two outlines' joint bounding box when measuring IoU."""


@dataclass(frozen=True)
class AgreementOptions:
    """How close is "the same".

    Parameters
    ----------
    distance_mm
        Largest distance between the centres of two matching calcifications.
    distance_px
        The same for images without pixel spacing.
    min_overlap
        Smallest IoU (or member Jaccard index) for two clusters to match.
    """

    distance_mm: float = 1.0
    distance_px: float = 10.0
    min_overlap: float = 0.1

    def __post_init__(self) -> None:
        for name in ("distance_mm", "distance_px"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not 0.0 < self.min_overlap <= 1.0:
            raise ValueError(f"min_overlap must be in (0, 1], got {self.min_overlap!r}")


@dataclass(frozen=True)
class Score:
    """Counts of reader A (reference) and B (test) and how many were matched."""

    a: int
    b: int
    matched: int

    def __post_init__(self) -> None:
        if not 0 <= self.matched <= min(self.a, self.b):
            raise ValueError(f"matched ({self.matched}) must lie in 0..min(a={self.a}, b={self.b})")

    @property
    def precision(self) -> float | None:
        """Share of B's findings that A also made; ``None`` when B has none."""
        return self.matched / self.b if self.b else None

    @property
    def recall(self) -> float | None:
        """Share of A's findings that B also made; ``None`` when A has none."""
        return self.matched / self.a if self.a else None

    @property
    def f1(self) -> float | None:
        """``2 * matched / (a + b)``; ``None`` when neither reader marked anything."""
        return 2.0 * self.matched / (self.a + self.b) if (self.a + self.b) else None

    def __add__(self, other: Score) -> Score:
        return Score(self.a + other.a, self.b + other.b, self.matched + other.matched)


@dataclass(frozen=True)
class MarkPair:
    """Two matched calcifications and the distance between their centres (in ``unit``)."""

    a_id: str
    b_id: str
    distance: float


@dataclass(frozen=True)
class ClusterPair:
    """Two matched clusters: outline IoU (``None`` when one has no area) and member Jaccard."""

    a_id: str
    b_id: str
    iou: float | None
    member_jaccard: float


@dataclass(frozen=True)
class ImageAgreement:
    """The comparison on one image (one frame of one SOP instance)."""

    key: ImageKey
    laterality: str | None
    view: str | None
    unit: str
    """``"mm"``, or ``"px"`` for an image without spacing."""
    threshold: float
    calcifications: Score
    clusters: Score
    mark_pairs: tuple[MarkPair, ...] = ()
    cluster_pairs: tuple[ClusterPair, ...] = ()

    @property
    def mean_distance(self) -> float | None:
        """Mean centre distance of the matched calcifications, in ``unit``."""
        if not self.mark_pairs:
            return None
        return sum(p.distance for p in self.mark_pairs) / len(self.mark_pairs)


CSV_COLUMNS = (
    "level",
    "sop_instance_uid",
    "frame",
    "laterality",
    "view",
    "unit",
    "distance_threshold",
    "calcifications_a",
    "calcifications_b",
    "calcifications_matched",
    "calcification_precision",
    "calcification_recall",
    "calcification_f1",
    "mean_distance",
    "clusters_a",
    "clusters_b",
    "clusters_matched",
    "cluster_precision",
    "cluster_recall",
    "cluster_f1",
)
"""Columns of :meth:`StudyAgreement.rows` and of its CSV (:mod:`viewer.interop.agreement_csv`),
one row per image then the study."""

Cell = str | int | float | None


@dataclass(frozen=True)
class StudyAgreement:
    """The comparison of two readers on a study: per image and summed over the study."""

    reader_a: str
    reader_b: str
    options: AgreementOptions
    images: tuple[ImageAgreement, ...] = field(default_factory=tuple)

    @property
    def calcifications(self) -> Score:
        return sum((i.calcifications for i in self.images), Score(0, 0, 0))

    @property
    def clusters(self) -> Score:
        return sum((i.clusters for i in self.images), Score(0, 0, 0))

    @property
    def unit(self) -> str:
        """The distance unit of the study row: ``"mixed"`` when images differ."""
        units = {i.unit for i in self.images}
        return units.pop() if len(units) == 1 else ("mixed" if units else "mm")

    @property
    def mean_distance(self) -> float | None:
        """Mean distance of all matched pairs of the study, in :attr:`unit`; None without pairs or
        when the images' units are mixed."""
        pairs = [p.distance for i in self.images for p in i.mark_pairs]
        return sum(pairs) / len(pairs) if pairs and self.unit != "mixed" else None

    def rows(self) -> list[dict[str, Cell]]:
        """One dict per image, then the study totals, keyed by :data:`CSV_COLUMNS`."""
        rows = [
            _row(
                "image",
                i.key[0],
                i.key[1],
                i.laterality,
                i.view,
                i.unit,
                i.threshold,
                i.calcifications,
                i.mean_distance,
                i.clusters,
            )
            for i in self.images
        ]
        threshold = self.options.distance_mm if self.unit != "px" else self.options.distance_px
        rows.append(
            _row(
                "study",
                "",
                None,
                None,
                None,
                self.unit,
                threshold if self.unit != "mixed" else None,
                self.calcifications,
                self.mean_distance,
                self.clusters,
            )
        )
        return rows


def _row(
    level: str,
    sop: str,
    frame: int | None,
    laterality: str | None,
    view: str | None,
    unit: str,
    threshold: float | None,
    calcs: Score,
    mean: float | None,
    clusters: Score,
) -> dict[str, Cell]:
    values: list[Cell] = [
        level,
        sop,
        frame,
        laterality,
        view,
        unit,
        threshold,
        calcs.a,
        calcs.b,
        calcs.matched,
        calcs.precision,
        calcs.recall,
        calcs.f1,
        mean,
        clusters.a,
        clusters.b,
        clusters.matched,
        clusters.precision,
        clusters.recall,
        clusters.f1,
    ]
    return dict(zip(CSV_COLUMNS, values, strict=True))


# -- matching --------------------------------------------------------------------------------
def match_points(a: ArrayLike, b: ArrayLike, max_distance: float) -> list[tuple[int, int, float]]:
    """Pair points of ``a`` with points of ``b`` one to one within ``max_distance``.

    Returns ``(index in a, index in b, distance)`` triples, sorted by index in ``a``: the
    largest possible number of pairs, and among those the smallest total distance.
    """
    pa = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    pb = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    if len(pa) == 0 or len(pb) == 0:
        return []
    d = np.hypot(pa[:, None, 0] - pb[None, :, 0], pa[:, None, 1] - pb[None, :, 1])
    allowed = d <= max_distance
    if not allowed.any():
        return []
    # Forbidden pairs cost more than any set of allowed ones, so the assignment first
    # maximises the number of allowed pairs, then minimises their total distance.
    forbidden = max_distance * (min(len(pa), len(pb)) + 1) + 1.0
    rows, cols = linear_sum_assignment(np.where(allowed, d, forbidden))
    return [(int(i), int(j), float(d[i, j])) for i, j in zip(rows, cols, strict=True) if allowed[i, j]]


def polygon_iou(p: ArrayLike, q: ArrayLike, grid: int = IOU_GRID) -> float:
    """Intersection over union of two simple polygons of ``(x, y)`` vertices.

    Measured by sampling their joint bounding box at ``grid`` x ``grid`` cell centres
    (an edge costs at most one cell: about 1 % for the default). IoU does not change under
    a scaling of the axes, so pixels and millimetres give the same value.
    """
    pp = np.asarray(p, dtype=np.float64).reshape(-1, 2)
    qq = np.asarray(q, dtype=np.float64).reshape(-1, 2)
    if len(pp) < 3 or len(qq) < 3:
        return 0.0
    lo_p, hi_p, lo_q, hi_q = pp.min(0), pp.max(0), qq.min(0), qq.max(0)
    if np.any(hi_p < lo_q) or np.any(hi_q < lo_p):
        return 0.0
    lo, hi = np.minimum(lo_p, lo_q), np.maximum(hi_p, hi_q)
    size = hi - lo
    if np.any(size <= 0):
        return 0.0
    # as many samples across each axis (cells need not be square: IoU ignores axis scaling)
    xs = lo[0] + (np.arange(grid) + 0.5) * (size[0] / grid)
    ys = lo[1] + (np.arange(grid) + 0.5) * (size[1] / grid)
    gx, gy = np.meshgrid(xs, ys)
    samples = np.column_stack([gx.ravel(), gy.ravel()])
    in_p, in_q = points_in_polygon(samples, pp), points_in_polygon(samples, qq)
    union = int(np.count_nonzero(in_p | in_q))
    return int(np.count_nonzero(in_p & in_q)) / union if union else 0.0


def cluster_outline(cluster: Cluster, image: ImageAnnotations) -> NDArray[np.float64]:
    """The drawn outline, or the convex hull of the members' outlines (centres if point-only)."""
    if cluster.outline is not None:
        return np.asarray(cluster.outline, dtype=np.float64)
    points: list[tuple[float, float]] = []
    for member in cluster.member_ids:
        calc = image.calcifications.get(member)
        if calc is not None:
            points.extend(calc.outline if calc.outline is not None else [calc.center])
    return convex_hull(points) if points else np.zeros((0, 2))


def _jaccard(a: Cluster, b: Cluster, a_to_b: dict[str, str]) -> float:
    mapped = {a_to_b[m] for m in a.member_ids if m in a_to_b}
    shared = len(mapped & set(b.member_ids))
    union = len(a.member_ids) + len(b.member_ids) - shared
    return shared / union if union else 0.0


def _spacing(a: ImageAnnotations | None, b: ImageAnnotations | None) -> Spacing:
    for image in (a, b):
        if image is not None and image.spacing.calibrated:
            return image.spacing
    return Spacing.uncalibrated()


def _clusters(image: ImageAnnotations | None) -> list[Cluster]:
    return [] if image is None else [c for c in image.clusters.values() if not c.rejected]


def _match_clusters(
    a: ImageAnnotations | None, b: ImageAnnotations | None, a_to_b: dict[str, str], min_overlap: float
) -> list[ClusterPair]:
    ca, cb = _clusters(a), _clusters(b)
    if not ca or not cb or a is None or b is None:
        return []
    outlines_a = [cluster_outline(c, a) for c in ca]
    outlines_b = [cluster_outline(c, b) for c in cb]
    iou: list[list[float | None]] = [[None] * len(cb) for _ in ca]
    score = np.zeros((len(ca), len(cb)))
    for i, (cluster_a, pa) in enumerate(zip(ca, outlines_a, strict=True)):
        for j, (cluster_b, pb) in enumerate(zip(cb, outlines_b, strict=True)):
            if polygon_area(pa) > 0 and polygon_area(pb) > 0:
                iou[i][j] = polygon_iou(pa, pb)
                score[i, j] = iou[i][j] or 0.0
            else:
                score[i, j] = _jaccard(cluster_a, cluster_b, a_to_b)
    rows, cols = linear_sum_assignment(-score)
    return [
        ClusterPair(ca[i].id, cb[j].id, iou[i][j], _jaccard(ca[i], cb[j], a_to_b))
        for i, j in zip(rows, cols, strict=True)
        if score[i, j] >= min_overlap
    ]


def compare_images(
    a: ImageAnnotations | None, b: ImageAnnotations | None, options: AgreementOptions = AgreementOptions()
) -> ImageAgreement:
    """Compare two readers' marks on the same image (``None``: that reader has no entry)."""
    present = a if a is not None else b
    if present is None:
        raise ValueError("compare_images needs at least one of the two images")
    spacing = _spacing(a, b)
    calcs_a = list(a.calcifications.values()) if a is not None else []
    calcs_b = list(b.calcifications.values()) if b is not None else []
    centres_a = np.array([c.center for c in calcs_a], dtype=np.float64).reshape(-1, 2)
    centres_b = np.array([c.center for c in calcs_b], dtype=np.float64).reshape(-1, 2)
    if spacing.calibrated:
        unit, threshold = "mm", options.distance_mm
        centres_a, centres_b = spacing.to_mm(centres_a), spacing.to_mm(centres_b)
    else:
        unit, threshold = "px", options.distance_px
    pairs = match_points(centres_a, centres_b, threshold)
    mark_pairs = tuple(MarkPair(calcs_a[i].id, calcs_b[j].id, d) for i, j, d in pairs)
    a_to_b = {p.a_id: p.b_id for p in mark_pairs}
    cluster_pairs = tuple(_match_clusters(a, b, a_to_b, options.min_overlap))
    return ImageAgreement(
        key=present.key,
        laterality=(a.laterality if a is not None else None) or present.laterality,
        view=(a.view if a is not None else None) or present.view,
        unit=unit,
        threshold=threshold,
        calcifications=Score(len(calcs_a), len(calcs_b), len(mark_pairs)),
        clusters=Score(len(_clusters(a)), len(_clusters(b)), len(cluster_pairs)),
        mark_pairs=mark_pairs,
        cluster_pairs=cluster_pairs,
    )


HANGING_ORDER = ("RCC", "LCC", "RMLO", "LMLO")


def _image_keys(a: StudyAnnotations, b: StudyAnnotations) -> list[ImageKey]:
    """Every image either reader has: the four standard views first, then by UID and frame."""
    found: dict[ImageKey, ImageAnnotations] = {**b.images, **a.images}

    def order(key: ImageKey) -> tuple[int, str, int]:
        img = found[key]
        label = f"{img.laterality or '?'}{img.view or '?'}"
        rank = HANGING_ORDER.index(label) if label in HANGING_ORDER else len(HANGING_ORDER)
        return (rank, key[0], key[1])

    return sorted(found, key=order)


def compare(
    a: StudyAnnotations,
    b: StudyAnnotations,
    options: AgreementOptions = AgreementOptions(),
    images: Sequence[ImageKey] | None = None,
) -> StudyAgreement:
    """Compare reader ``a`` (reference) with reader ``b`` (test) on every image either has.

    ``images`` restricts and orders the comparison; by default every image either reader
    has, RCC, LCC, RMLO, LMLO first, then the others by SOP Instance UID and frame.
    """
    keys = list(images) if images is not None else _image_keys(a, b)
    results = tuple(
        compare_images(a.images.get(k), b.images.get(k), options)
        for k in keys
        if k in a.images or k in b.images
    )
    return StudyAgreement(a.reader, b.reader, options, results)
