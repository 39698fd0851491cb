"""The annotation model: calcifications, clusters and calibrations, per image and per study.

All coordinates are ``(x, y)`` pixel coordinates of the stored image: x = column,
y = row, pixel centres at integers (see :mod:`viewer.core.geometry`).

Domain objects are immutable: an edit replaces an object by a new one through
:class:`StudyAnnotations`, which announces every change to its listeners. Widgets never
mutate the model directly; they push commands (:mod:`viewer.core.commands`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from itertools import chain

from viewer.core.geometry import Point, Spacing, SpacingSource, as_points
from viewer.core.mark_sizes import Intensity as Intensity
from viewer.core.mark_sizes import Sizes as Sizes
from viewer.core.reading import StudyReading


def new_id() -> str:
    """A fresh identifier for a mark, cluster or calibration."""
    return uuid.uuid4().hex[:12]


def utc_now() -> str:
    """The current time as ISO 8601 UTC with a ``Z`` suffix, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _check_point(name: str, p: Point) -> Point:
    if len(p) != 2:
        raise ValueError(f"{name} must be a finite (x, y) pair, got {p!r}")
    x, y = float(p[0]), float(p[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"{name} must be a finite (x, y) pair, got {p!r}")
    return (x, y)


def _check_polygon(name: str, points: Iterable[Point]) -> tuple[Point, ...]:
    """``points`` as float pairs, every coordinate finite (JSON holds no infinity or NaN)."""
    polygon = tuple(as_points(list(points)))
    if not all(map(math.isfinite, chain.from_iterable(polygon))):
        bad = next(p for p in polygon if not (math.isfinite(p[0]) and math.isfinite(p[1])))
        raise ValueError(f"{name} vertices must be finite (x, y) pairs, got {bad!r}")
    return polygon


@dataclass(frozen=True)
class Calcification:
    """One marked calcification.

    Parameters
    ----------
    center
        ``(x, y)`` in pixels (x = column, y = row, pixel centres at integers).
    outline
        Closed polygon of ``(x, y)`` vertices, or ``None`` for a point-only mark whose
        size is "not measured" (never 0).
    sizes
        Sizes of the outline with the spacing in force when they were computed; ``None``
        exactly when ``outline`` is ``None``.
    imported
        Where an imported mark came from (``"inbreast:22678622.xml"``); empty for a mark
        made in the viewer.
    """

    id: str
    center: Point
    outline: tuple[Point, ...] | None = None
    sizes: Sizes | None = None
    intensity: Intensity | None = None
    morphology: str | None = None
    reader: str = ""
    created: str = ""
    modified: str = ""
    imported: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Calcification.id must not be empty")
        object.__setattr__(self, "center", _check_point("center", self.center))
        if self.outline is not None:
            if len(self.outline) < 3:
                raise ValueError("outline must have at least 3 vertices (or be None)")
            object.__setattr__(self, "outline", _check_polygon("outline", self.outline))
        if (self.outline is None) != (self.sizes is None):
            raise ValueError("sizes must be given exactly when an outline is given")

    @classmethod
    def create(
        cls,
        center: Point,
        outline: Iterable[Point] | None,
        spacing: Spacing,
        *,
        intensity: Intensity | None = None,
        morphology: str | None = None,
        reader: str = "",
    ) -> Calcification:
        """A new mark with a fresh id and timestamps; sizes computed from ``outline``."""
        now = utc_now()
        poly = _check_polygon("outline", outline) if outline is not None else None
        sizes = Sizes.of_outline(poly, spacing) if poly is not None else None
        return cls(new_id(), center, poly, sizes, intensity, morphology, reader, now, now)

    @property
    def measured(self) -> bool:
        """False for a point-only mark."""
        return self.outline is not None

    def with_outline(self, outline: Iterable[Point] | None, spacing: Spacing) -> Calcification:
        """A copy with a new outline (or point-only when ``None``), re-measured."""
        poly = _check_polygon("outline", outline) if outline is not None else None
        sizes = Sizes.of_outline(poly, spacing) if poly is not None else None
        intensity = self.intensity if poly is not None else None
        return replace(self, outline=poly, sizes=sizes, intensity=intensity, modified=utc_now())

    def moved(self, dx: float, dy: float) -> Calcification:
        """A copy translated by ``(dx, dy)`` pixels; sizes do not change."""
        outline = None
        sizes = self.sizes
        if self.outline is not None:
            outline = tuple((x + dx, y + dy) for x, y in self.outline)
            assert sizes is not None
            (a, b) = sizes.long_axis_endpoints
            sizes = replace(sizes, long_axis_endpoints=((a[0] + dx, a[1] + dy), (b[0] + dx, b[1] + dy)))
        return replace(
            self,
            center=(self.center[0] + dx, self.center[1] + dy),
            outline=outline,
            sizes=sizes,
            modified=utc_now(),
        )

    def with_spacing(self, spacing: Spacing) -> Calcification:
        """A copy whose sizes are recomputed with another spacing (after a calibration)."""
        if self.outline is None:
            return self
        return replace(self, sizes=Sizes.of_outline(self.outline, spacing))


class ClusterState(str, Enum):
    """Whether a cluster was suggested by the program or decided by the reader."""

    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    """The reader decided that these marks do not form a cluster (a dismissed suggestion
    or a dissolved cluster). Kept in ``ImageAnnotations.clusters`` so that automatic
    grouping leaves its members alone; not counted or shown as a cluster."""


@dataclass(frozen=True)
class Cluster:
    """A group of calcifications on one image.

    ``outline`` is a polygon the reader drew, or ``None`` to use the convex hull of the
    members' outlines. Metrics (span, area, count) are derived by
    :mod:`viewer.core.cluster_metrics` from the members, never stored as truth.
    ``morphology`` is the group's morphology where a dataset gives one per group
    (CBIS-DDSM's calc type); ``imported`` is the source of an imported cluster.
    """

    id: str
    member_ids: tuple[str, ...]
    state: ClusterState = ClusterState.SUGGESTED
    outline: tuple[Point, ...] | None = None
    distribution: str | None = None
    assessment: str | None = None
    recommendation: str | None = None
    note: str = ""
    reader: str = ""
    created: str = ""
    modified: str = ""
    morphology: str | None = None
    imported: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Cluster.id must not be empty")
        if len(set(self.member_ids)) != len(self.member_ids):
            raise ValueError("Cluster.member_ids must not repeat")
        if self.outline is not None:
            if len(self.outline) < 3:
                raise ValueError("a drawn cluster outline needs at least 3 vertices")
            object.__setattr__(self, "outline", _check_polygon("cluster outline", self.outline))

    @property
    def confirmed(self) -> bool:
        return self.state is ClusterState.CONFIRMED

    @property
    def rejected(self) -> bool:
        """True for a reader's "not a cluster" decision (see ``ClusterState.REJECTED``)."""
        return self.state is ClusterState.REJECTED


@dataclass(frozen=True)
class Calibration:
    """A manual calibration: a line the reader drew over an object of known length."""

    id: str
    p1: Point
    p2: Point
    length_mm: float
    reader: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "p1", _check_point("p1", self.p1))
        object.__setattr__(self, "p2", _check_point("p2", self.p2))
        if not (math.isfinite(self.length_mm) and self.length_mm > 0):
            raise ValueError(f"length_mm must be positive, got {self.length_mm!r}")
        if self.p1 == self.p2:
            raise ValueError("a calibration line needs two different end points")

    def spacing(self, base: Spacing) -> Spacing:
        """The spacing this calibration implies.

        With a known pixel aspect ratio (from ``base``) the line fixes the scale and
        keeps the ratio; without one, pixels are taken as square.
        """
        dx = self.p2[0] - self.p1[0]
        dy = self.p2[1] - self.p1[1]
        ratio = 1.0
        if base.row_mm is not None and base.col_mm is not None:
            ratio = base.row_mm / base.col_mm
        col_mm = self.length_mm / math.hypot(dx, dy * ratio)
        return Spacing(
            col_mm * ratio,
            col_mm,
            SpacingSource.MANUAL,
            f"mm by manual calibration ({self.length_mm:g} mm line)",
        )


ImageKey = tuple[str, int]
"""An image is identified by ``(SOP Instance UID, frame)``; frame is 0-based, 0 for single-frame."""


@dataclass
class ImageAnnotations:
    """Everything marked on one image (one frame of one SOP instance).

    ``view_source`` is where ``laterality`` and ``view`` came from; ``"reader"`` when the
    reader set them, which then wins over the file's header on every later open.
    """

    sop_instance_uid: str
    frame: int = 0
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    rows: int = 0
    columns: int = 0
    laterality: str | None = None
    view: str | None = None
    dicom_spacing: Spacing = field(default_factory=Spacing.uncalibrated)
    calibration: Calibration | None = None
    calcifications: dict[str, Calcification] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    view_source: str | None = None

    @property
    def key(self) -> ImageKey:
        return (self.sop_instance_uid, self.frame)

    @property
    def spacing(self) -> Spacing:
        """The spacing in force: a manual calibration wins over the file's spacing."""
        if self.calibration is not None:
            return self.calibration.spacing(self.dicom_spacing)
        return self.dicom_spacing

    def cluster_of(self, calcification_id: str) -> Cluster | None:
        """The reader's or suggested cluster holding a mark, if any (never a rejected one)."""
        for cluster in self.clusters.values():
            if calcification_id in cluster.member_ids and not cluster.rejected:
                return cluster
        return None


class ChangeKind(str, Enum):
    CALCIFICATION_ADDED = "calcification_added"
    CALCIFICATION_CHANGED = "calcification_changed"
    CALCIFICATION_REMOVED = "calcification_removed"
    CLUSTER_ADDED = "cluster_added"
    CLUSTER_CHANGED = "cluster_changed"
    CLUSTER_REMOVED = "cluster_removed"
    CALIBRATION_CHANGED = "calibration_changed"
    VIEW_CHANGED = "view_changed"
    RESET = "reset"


@dataclass(frozen=True)
class Change:
    """What changed in the model: listeners redraw just that."""

    kind: ChangeKind
    image: ImageKey | None
    item_id: str | None = None


Listener = Callable[[Change], None]


class StudyAnnotations:
    """All annotations of one reader on one study; the single place edits go through.

    Mutating methods are called by commands (:mod:`viewer.core.commands`) and announce each
    change to the listeners added with :meth:`subscribe`.
    """

    def __init__(self, reader: str = "", study_instance_uid: str = "") -> None:
        self.reader = reader
        self.study_instance_uid = study_instance_uid
        now = utc_now()
        self.created = now
        self.modified = now
        self.images: dict[ImageKey, ImageAnnotations] = {}
        self.reading = StudyReading()  # landmarks, CC/MLO links, assessment (viewer.core.reading)
        self._listeners: list[Listener] = []

    # -- listeners -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, change: Change) -> None:
        if change.kind is not ChangeKind.RESET:
            self.modified = utc_now()
        for listener in list(self._listeners):
            listener(change)

    # -- images ----------------------------------------------------------------------
    def image(self, key: ImageKey) -> ImageAnnotations:
        """The annotations of an image; raise KeyError naming the image if unknown."""
        try:
            return self.images[key]
        except KeyError:
            raise KeyError(f"no image {key[0]} frame {key[1]} in this study") from None

    def ensure_image(self, image: ImageAnnotations) -> ImageAnnotations:
        """Register an image (idempotent); refresh its header facts if already present."""
        existing = self.images.get(image.key)
        if existing is None:
            self.images[image.key] = image
            return image
        existing.study_instance_uid = image.study_instance_uid or existing.study_instance_uid
        existing.series_instance_uid = image.series_instance_uid or existing.series_instance_uid
        existing.rows, existing.columns = image.rows or existing.rows, image.columns or existing.columns
        if existing.view_source != "reader":  # a reader's correction outlives the header
            existing.laterality = image.laterality or existing.laterality
            existing.view = image.view or existing.view
            existing.view_source = image.view_source or existing.view_source
        existing.dicom_spacing = image.dicom_spacing
        return existing

    def iter_calcifications(self) -> Iterator[tuple[ImageKey, Calcification]]:
        for key, img in self.images.items():
            for calc in img.calcifications.values():
                yield key, calc

    def snapshot(self) -> StudyAnnotations:
        """A copy that later edits leave alone, for saving on another thread.

        Marks, clusters and calibrations are immutable, so only the containers are copied
        (about a millisecond for 10,000 marks). The copy has no listeners.
        """
        copy = StudyAnnotations(self.reader, self.study_instance_uid)
        copy.created, copy.modified = self.created, self.modified
        copy.images = {
            key: replace(img, calcifications=dict(img.calcifications), clusters=dict(img.clusters))
            for key, img in self.images.items()
        }
        copy.reading = self.reading.copy()
        return copy

    def count(self) -> tuple[int, int]:
        """(calcifications, clusters) over the whole study; rejected groups are not clusters."""
        return (
            sum(len(i.calcifications) for i in self.images.values()),
            sum(not c.rejected for i in self.images.values() for c in i.clusters.values()),
        )

    # -- calcifications --------------------------------------------------------------
    def put_calcification(self, key: ImageKey, calc: Calcification) -> None:
        """Add or replace a mark (matched by id)."""
        img = self.image(key)
        kind = (
            ChangeKind.CALCIFICATION_CHANGED
            if calc.id in img.calcifications
            else ChangeKind.CALCIFICATION_ADDED
        )
        img.calcifications[calc.id] = calc
        self._emit(Change(kind, key, calc.id))

    def remove_calcification(self, key: ImageKey, calc_id: str) -> Calcification:
        """Remove a mark that no cluster holds (:class:`~viewer.core.commands.RemoveCalcifications`
        takes it out of its clusters first).

        Raises ``ValueError`` for a cluster's member: a cluster naming a mark that is gone
        would make the saved file one that no longer loads.
        """
        img = self.image(key)
        holders = [c.id for c in img.clusters.values() if calc_id in c.member_ids]
        if holders:
            raise ValueError(f"mark {calc_id} is a member of cluster {', '.join(holders)}: take it out first")
        calc = img.calcifications.pop(calc_id)
        self._emit(Change(ChangeKind.CALCIFICATION_REMOVED, key, calc_id))
        return calc

    # -- clusters --------------------------------------------------------------------
    def put_cluster(self, key: ImageKey, cluster: Cluster) -> None:
        img = self.image(key)
        missing = [m for m in cluster.member_ids if m not in img.calcifications]
        if missing:
            raise ValueError(f"cluster {cluster.id} names unknown marks: {', '.join(missing)}")
        kind = ChangeKind.CLUSTER_CHANGED if cluster.id in img.clusters else ChangeKind.CLUSTER_ADDED
        img.clusters[cluster.id] = cluster
        self._emit(Change(kind, key, cluster.id))

    def remove_cluster(self, key: ImageKey, cluster_id: str) -> Cluster:
        img = self.image(key)
        cluster = img.clusters.pop(cluster_id)
        self._emit(Change(ChangeKind.CLUSTER_REMOVED, key, cluster_id))
        return cluster

    # -- calibration -----------------------------------------------------------------
    def set_calibration(self, key: ImageKey, calibration: Calibration | None) -> None:
        """Set or clear a manual calibration and re-measure every mark of the image."""
        img = self.image(key)
        img.calibration = calibration
        spacing = img.spacing
        img.calcifications = {cid: c.with_spacing(spacing) for cid, c in img.calcifications.items()}
        self._emit(Change(ChangeKind.CALIBRATION_CHANGED, key))

    # -- view --------------------------------------------------------------------------
    def set_view(self, key: ImageKey, laterality: str | None, view: str | None, source: str | None) -> None:
        """Set an image's laterality, view and their source (``"reader"`` for a correction)."""
        img = self.image(key)
        img.laterality, img.view, img.view_source = laterality, view, source
        self._emit(Change(ChangeKind.VIEW_CHANGED, key))

    def announce_reset(self) -> None:
        """Tell listeners that everything may have changed (after a load)."""
        self._emit(Change(ChangeKind.RESET, None))
