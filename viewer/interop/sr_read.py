"""TID 1500 Measurement Reports read back: ours, and other tools' (a ruler from dwv, a region).

A report becomes another reader's marks, read-only: each measurement group whose finding is an
Individual Calcification is a calcification (its outline, or its point), each Calcification
Cluster a confirmed cluster of the calcifications inside its outline, on the image and frame
its region references, with its morphology, distribution and BI-RADS category where coded (CID
6010, 6012, 6027). A group with any other finding (or none, as a viewer's ruler has) is
kept as a :class:`ReportShape`: its points and what was measured ("Length 4.03 mm"), drawn as
a line. Lengths and areas keep the spacing source our reports name (:data:`SPACING_METHODS`).

The content tree is walked with pydicom rather than highdicom's strict parser, so that a
report another tool wrote with small departures from the templates still reads; what cannot
be used (3D coordinates, a region without an image) is listed in ``skipped`` with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    ImageKey,
    StudyAnnotations,
)
from viewer.core.geometry import Point, Spacing, SpacingSource, point_in_polygon, polygon_centroid
from viewer.core.mark_sizes import Sizes
from viewer.dicom.read_guard import DicomImageError, read_dataset, read_whole_dataset
from viewer.interop.sr import (
    ASSESSMENT_CATEGORY,
    ASSESSMENT_CODES,
    CALCIFICATION_DISTRIBUTION,
    CALCIFICATION_TYPE,
    DISTRIBUTION_CODES,
    MORPHOLOGY_CODES,
    SCOORD_SHIFT,
    spacing_source_of,
)

SR_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
}


class ReportError(ValueError):
    """A file that is not a measurement report this viewer can read; the message names it."""


@dataclass(frozen=True)
class ReportMeasurement:
    """One numeric value of a group: "Length", 4.03, "mm", and the spacing source if named."""

    name: str
    value: float
    unit: str
    spacing_source: SpacingSource | None = None

    @property
    def text(self) -> str:
        unit = "" if self.unit in ("", "1", "no units") else f" {self.unit}"
        return f"{self.name} {self.value:.2f}{unit}"


@dataclass(frozen=True)
class ReportShape:
    """A measured region that is not a calcification or cluster, on one image."""

    key: ImageKey
    graphic_type: str
    points: tuple[Point, ...]
    finding: str
    label: str
    measurements: tuple[ReportMeasurement, ...]

    @property
    def text(self) -> str:
        """What the shape says beside it: its label or finding, then its values."""
        words = [self.label or self.finding, *(m.text for m in self.measurements)]
        return "  ".join(w for w in words if w)


@dataclass
class ReportReading:
    """What one report file holds, as another reader's marks."""

    path: Path
    reader: str
    study_instance_uid: str
    model: StudyAnnotations
    shapes: list[ReportShape] = field(default_factory=list)
    measurements: dict[tuple[ImageKey, str], tuple[ReportMeasurement, ...]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """How menus name it: the reader and the file ("Dr A (report x.sr.dcm)")."""
        return f"{self.reader} (report {self.path.name})"

    def image_keys(self) -> set[ImageKey]:
        return set(self.model.images) | {s.key for s in self.shapes}


def _code(item: Dataset, keyword: str = "ConceptNameCodeSequence") -> tuple[str, str, str]:
    seq = item.get(keyword)
    if not seq:
        return ("", "", "")
    c = seq[0]
    return (
        str(c.get("CodeValue", "")),
        str(c.get("CodingSchemeDesignator", "")),
        str(c.get("CodeMeaning", "")),
    )


def _is(item: Dataset, code: object) -> bool:
    value, scheme, _ = _code(item)
    return (value, scheme) == (getattr(code, "value", None), getattr(code, "scheme_designator", None))


def _children(item: Dataset) -> list[Dataset]:
    return list(item.get("ContentSequence", []) or [])


def _walk(items: list[Dataset]) -> Iterator[Dataset]:
    for item in items:
        yield item
        yield from _walk(_children(item))


def _observer(ds: Dataset) -> str:
    for item in _walk(_children(ds)):
        if item.get("ValueType") == "PNAME" and _is(item, codes.DCM.PersonObserverName):
            name = str(item.get("PersonName", "")).strip("^ ")
            if name:
                return name.replace("^", " ").strip()
    maker = str(ds.get("Manufacturer", "") or "").strip()
    return maker or str(ds.get("SeriesDescription", "") or "").strip() or "report"


def _measurement(item: Dataset) -> ReportMeasurement | None:
    values = item.get("MeasuredValueSequence")
    if not values:
        return None
    value = values[0]
    try:
        number = float(value.NumericValue)
    except (AttributeError, TypeError, ValueError):
        return None
    unit = _code(value, "MeasurementUnitsCodeSequence")
    source = None
    for child in _children(item):
        if child.get("ValueType") == "CODE" and _code(child)[0] == "370129005":  # Measurement Method
            method_value, scheme, _ = _code(child, "ConceptCodeSequence")
            source = spacing_source_of(method_value, scheme) or source
    return ReportMeasurement(_code(item)[2], number, unit[0] or unit[2], source)


def _region(item: Dataset) -> tuple[ImageKey, str, tuple[Point, ...]] | str:
    """The image, graphic type and points of a SCOORD item, or why it cannot be used."""
    refs = [c for c in _children(item) if c.get("ValueType") == "IMAGE" and c.get("ReferencedSOPSequence")]
    if not refs:
        return "a region with no image reference"
    ref = refs[0].ReferencedSOPSequence[0]
    uid = str(ref.get("ReferencedSOPInstanceUID", ""))
    frames = ref.get("ReferencedFrameNumber")  # 1-based; one value, several, or absent
    frame = int(frames[0]) if isinstance(frames, MultiValue) else int(frames or 1)
    data = [float(v) for v in item.get("GraphicData", [])]
    if not uid or len(data) < 2 or len(data) % 2:
        return "a region without an image or points"
    points = tuple((data[i] - SCOORD_SHIFT, data[i + 1] - SCOORD_SHIFT) for i in range(0, len(data), 2))
    return (uid, max(frame - 1, 0)), str(item.get("GraphicType", "")), points


def _groups(ds: Dataset) -> Iterator[Dataset]:
    for item in _walk(_children(ds)):
        if item.get("ValueType") == "CONTAINER" and _is(item, codes.DCM.MeasurementGroup):
            yield item


def _lexicon_id(children: list[Dataset], concept: object, table: dict[str, Code]) -> str | None:
    """The lexicon id of a coded evaluation ``concept`` among a group's items, if one we know."""
    for item in children:
        if item.get("ValueType") == "CODE" and _is(item, concept):
            value, scheme, _ = _code(item, "ConceptCodeSequence")
            return next(
                (i for i, c in table.items() if (c.value, c.scheme_designator) == (value, scheme)), None
            )
    return None


def _uncalibrated(key: ImageKey) -> Spacing:
    return Spacing.uncalibrated()


def _load(path: Path) -> Dataset:
    """The whole dataset of the measurement report in ``path``; ReportError if it is not one."""
    try:
        ds = read_whole_dataset(path)
    except DicomImageError as exc:
        raise ReportError(str(exc)) from None
    if str(ds.get("SOPClassUID", "")) not in SR_SOP_CLASSES:
        raise ReportError(f"{path.name}: not a structured report (SOP Class {ds.get('SOPClassUID', '?')})")
    template = ds.get("ContentTemplateSequence")
    value, _, _ = _code(ds)
    is_1500 = bool(template) and str(template[0].get("TemplateIdentifier", "")) == "1500"
    if not is_1500 and value != "126000":  # Imaging Measurement Report
        raise ReportError(f"{path.name}: a structured report, but not a measurement report (TID 1500)")
    return ds


def _reading(path: Path, ds: Dataset, spacing_of: Callable[[ImageKey], Spacing]) -> ReportReading:
    try:
        return _read_content(path, ds, spacing_of)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        # a content item missing a value its type needs, or a value of the wrong kind
        raise ReportError(
            f"{path.name}: the report's content cannot be read ({type(exc).__name__})"
        ) from None


def read_report(path: Path, spacing_of: Callable[[ImageKey], Spacing] = _uncalibrated) -> ReportReading:
    """Read the measurement report in ``path``; :class:`ReportError` names the file and the reason.

    Outlines are measured again with ``spacing_of(image)`` (the spacing of the image in the
    open study); the report's own values stay in :attr:`ReportReading.measurements`.
    """
    return _reading(path, _load(path), spacing_of)


def _read_content(path: Path, ds: Dataset, spacing_of: Callable[[ImageKey], Spacing]) -> ReportReading:
    study_uid = str(ds.get("StudyInstanceUID", ""))
    reader = _observer(ds)
    reading = ReportReading(path, reader, study_uid, StudyAnnotations(reader, study_uid))
    clusters: list[tuple[ImageKey, str, tuple[Point, ...], dict[str, str | None]]] = []
    source = f"sr:{path.name}"
    for number, group in enumerate(_groups(ds), start=1):
        children = _children(group)
        finding = next(
            (c for c in children if c.get("ValueType") == "CODE" and _is(c, codes.DCM.Finding)), None
        )
        finding_code = _code(finding, "ConceptCodeSequence") if finding is not None else ("", "", "")
        ident = next(
            (
                str(c.TextValue)
                for c in children
                if c.get("ValueType") == "TEXT" and _is(c, codes.DCM.TrackingIdentifier)
            ),
            f"group {number}",
        )
        label = next(
            (str(c.TextValue) for c in children if c.get("ValueType") == "TEXT" and _code(c)[0] == "125309"),
            "",
        )
        if "{" in label:  # a viewer's template ("{length}"), not words for a reader
            label = ""
        if any(c.get("ValueType") == "SCOORD3D" for c in children):
            reading.skipped.append(f"{path.name}: {ident}: 3D coordinates, not drawn on a 2D image")
            continue
        scoords = [c for c in children if c.get("ValueType") == "SCOORD"]
        if not scoords:
            reading.skipped.append(f"{path.name}: {ident}: no image region")
            continue
        region = _region(scoords[0])
        if isinstance(region, str):
            reading.skipped.append(f"{path.name}: {ident}: {region}")
            continue
        key, graphic, points = region
        morphology = _lexicon_id(children, CALCIFICATION_TYPE, MORPHOLOGY_CODES)
        distribution = _lexicon_id(children, CALCIFICATION_DISTRIBUTION, DISTRIBUTION_CODES)
        found = tuple(
            m for c in children if c.get("ValueType") == "NUM" if (m := _measurement(c)) is not None
        )
        kind, _, rest = ident.partition(" ")
        mark_id = rest if kind in ("calcification", "cluster") and rest else ident  # ours: "cluster k1"
        closed = len(points) > 2 and points[0] == points[-1]
        outline = points[:-1] if closed else points
        if (finding_code[0], finding_code[1]) == (codes.SCT.IndividualCalcification.value, "SCT"):
            image = reading.model.images.setdefault(key, ImageAnnotations(key[0], key[1], study_uid))
            if graphic == "POINT" or len(outline) < 3:
                calc = Calcification(
                    id=mark_id,
                    center=outline[0],
                    morphology=morphology,
                    reader=reading.reader,
                    imported=source,
                )
            else:
                sizes = Sizes.of_outline(outline, spacing_of(key))
                calc = Calcification(
                    mark_id,
                    polygon_centroid(outline),
                    outline,
                    sizes,
                    morphology=morphology,
                    reader=reading.reader,
                    imported=source,
                )
            image.calcifications[mark_id] = calc
            reading.measurements[(key, mark_id)] = found
        elif (finding_code[0], finding_code[1]) == (codes.SCT.CalcificationCluster.value, "SCT") and len(
            outline
        ) >= 3:
            descriptors = {
                "morphology": morphology,
                "distribution": distribution,
                "assessment": _lexicon_id(children, ASSESSMENT_CATEGORY, ASSESSMENT_CODES),
            }
            clusters.append((key, mark_id, outline, descriptors))
            reading.measurements[(key, mark_id)] = found
        else:
            reading.shapes.append(ReportShape(key, graphic, points, finding_code[2], label, found))
    for key, mark_id, outline, descriptors in clusters:
        image = reading.model.images.setdefault(key, ImageAnnotations(key[0], key[1], study_uid))
        members = tuple(
            c.id for c in image.calcifications.values() if point_in_polygon(c.center[0], c.center[1], outline)
        )
        image.clusters[mark_id] = Cluster(
            id=mark_id,
            member_ids=members,
            state=ClusterState.CONFIRMED,
            outline=outline,
            distribution=descriptors["distribution"],
            assessment=descriptors["assessment"],
            reader=reading.reader,
            morphology=descriptors["morphology"],
        )
    return reading


def is_report(ds: Dataset) -> bool:
    """Whether a header (read without pixels) is a structured report."""
    return str(ds.get("SOPClassUID", "")) in SR_SOP_CLASSES


FileIdentity = tuple[int, int]
"""A file as last seen: its size in bytes and its modification time in nanoseconds."""


@dataclass(frozen=True)
class FoundReport:
    """A structured report found among a study's files: its study, and its dataset or why not."""

    study_instance_uid: str
    dataset: Dataset | None
    problem: str = ""


class ReportFiles:
    """What each file of a study folder was found to be, kept while the file stays the same.

    A file is looked at again only when its identity (path, size, modification time) changed:
    reopening the "Show another reader's marks" menu reads no header it has read before. Kept
    for each file: None (not a report, or not DICOM) or a :class:`FoundReport`. Outlines are
    measured again on each use, with the spacing of the moment (a calibration changes it).
    """

    def __init__(self) -> None:
        self._known: dict[Path, tuple[FileIdentity, FoundReport | None]] = {}
        self.reads = 0
        """How many files were opened so far."""

    def found(self, path: Path) -> FoundReport | None:
        """The report in ``path``, or None when it is not one (or no longer there)."""
        try:
            st = path.stat()
        except OSError:
            self._known.pop(path, None)
            return None
        identity = (st.st_size, st.st_mtime_ns)
        known = self._known.get(path)
        if known is not None and known[0] == identity:
            return known[1]
        self.reads += 1
        found = self._look(path)
        self._known[path] = (identity, found)
        return found

    @staticmethod
    def _look(path: Path) -> FoundReport | None:
        try:
            head = read_dataset(path, stop_before_pixels=True, accept_without_preamble=False)
        except DicomImageError:
            return None
        if not is_report(head):
            return None
        study_uid = str(head.get("StudyInstanceUID", ""))
        try:
            return FoundReport(study_uid, _load(path))
        except ReportError as exc:
            return FoundReport(study_uid, None, str(exc))


def reports_in(
    folder: Path,
    study_uid: str,
    spacing_of: Callable[[ImageKey], Spacing] = _uncalibrated,
    skip: frozenset[Path] = frozenset(),
    files: ReportFiles | None = None,
) -> tuple[list[ReportReading], list[str]]:
    """Every measurement report of the study ``study_uid`` in ``folder`` and below, and problems.

    Below, because a server's study sits in the cache as one folder per series. ``skip``: files
    known not to be reports (the study's images), whose headers need not be read again.
    ``files``: what earlier calls found, so that only new or changed files are read.
    """
    files = files if files is not None else ReportFiles()
    readings: list[ReportReading] = []
    problems: list[str] = []
    paths = (
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(s.startswith(".") for s in p.relative_to(folder).parts)
    )
    for path in sorted(p for p in paths if p not in skip):
        found = files.found(path)
        if found is None or (study_uid and found.study_instance_uid != study_uid):
            continue
        if found.dataset is None:
            problems.append(found.problem)
            continue
        try:
            readings.append(_reading(path, found.dataset, spacing_of))
        except ReportError as exc:
            problems.append(str(exc))
    return readings, problems
