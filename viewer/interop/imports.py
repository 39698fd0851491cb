"""Bring a dataset's labels into a study's annotation file: one entry point for the CLI and the GUI.

:func:`import_labels` reads the source with the format's parser, finds each labelled
image among the study's files (by SOP Instance UID, file name stem, the dataset's own
ids matched against Series/Study UIDs and Patient IDs), and writes the marks and
clusters into the annotation file of the importing reader (default: the format's
name). Each item records where it came from (``imported``: ``format:file``); importing
the same file again replaces what it brought the first time. Every entry that could
not be used is a :class:`~viewer.interop.dataset_labels.Skipped` line with its reason.
The annotation file is written once per study folder, atomically, after everything
was matched: it is never half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    StudyAnnotations,
    new_id,
    utc_now,
)
from viewer.core.geometry import point_in_polygon
from viewer.dicom.image import MammoImage
from viewer.dicom.study import Study, open_studies
from viewer.interop import cbis_import, csv_import, inbreast_import, vindr_import
from viewer.interop.dataset_labels import ParsedLabels, Skipped, SourceImage
from viewer.store.errors import SidecarError
from viewer.store.session import AnnotationStore

HULL_TOLERANCE_PX = 0.5
"""How near a cluster's outline a mark's centre counts as inside: an exported hull passes through
its point marks."""

FORMATS: dict[str, str] = {
    "inbreast": "INbreast (OsiriX ROI XML, one file per image)",
    "cbis-ddsm": "CBIS-DDSM (case-description CSV and ROI mask images)",
    "vindr": "VinDr-Mammo (finding_annotations.csv)",
    "csv": "mammo-viewer CSV export (marks with outlines, clusters)",
}
"""Format name -> what a user reads in a menu."""

PARSERS: dict[str, Callable[[Path], ParsedLabels]] = {
    "inbreast": inbreast_import.parse,
    "cbis-ddsm": cbis_import.parse,
    "vindr": vindr_import.parse,
    "csv": csv_import.parse,
}


Found = tuple[MammoImage, Study]
"""An opened image and the study (exam) it belongs to."""
Match = tuple[SourceImage, MammoImage, Study]
"""A dataset's labelled image, the opened image it names and that image's study."""


class ImportFailedError(Exception):
    """Nothing was written: the study has no image, or an annotation file cannot be written."""


@dataclass
class ImportResult:
    """What an import brought in and what it left out."""

    images: int = 0
    calcifications: int = 0
    clusters: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"images", "calcifications", "clusters", "skipped", "written"}`` in JSON types."""
        return {
            "images": self.images,
            "calcifications": self.calcifications,
            "clusters": self.clusters,
            "skipped": [s.to_dict() for s in self.skipped],
            "written": [str(p) for p in self.written],
        }


def _index(studies: list[Study]) -> dict[str, Found | None]:
    """Identifier -> the one image it names (None when it names several: not usable)."""
    index: dict[str, Found | None] = {}
    for study in studies:
        for image in study.images:
            stem = image.path.stem
            keys = {
                image.sop_instance_uid,
                image.series_instance_uid,
                image.study_instance_uid,
                stem,
                stem.split("_")[0],
                image.patient_id,
            }
            for key in keys - {""}:
                if key not in index:
                    index[key] = (image, study)
                elif index[key] is not None and index[key][0] is not image:  # type: ignore[index]
                    index[key] = None
    return index


def _find(source: SourceImage, index: dict[str, Found | None]) -> Found | None:
    for key in source.ids:
        found = index.get(key)
        if found is not None:
            return found
    return None


def _inside(point: tuple[float, float], img: ImageAnnotations) -> bool:
    x, y = point
    return -0.5 <= x <= img.columns - 0.5 and -0.5 <= y <= img.rows - 0.5


def _apply(
    source: SourceImage, img: ImageAnnotations, reader: str, origin: str, result: ImportResult
) -> None:
    """Replace what ``origin`` brought to ``img`` before by the marks and clusters of ``source``."""
    img.clusters = {k: c for k, c in img.clusters.items() if c.imported != origin}
    img.calcifications = {k: c for k, c in img.calcifications.items() if c.imported != origin}
    spacing = img.spacing
    marks: list[Calcification | None] = []
    for n, mark in enumerate(source.marks):
        points = [mark.center, *(mark.outline or ())]
        if not all(_inside(p, img) for p in points):
            result.skipped.append(
                Skipped(
                    f"{source.where} mark {n + 1}", f"outside the image ({img.columns}x{img.rows} pixels)"
                )
            )
            marks.append(None)
            continue
        calc = Calcification.create(
            mark.center, mark.outline, spacing, morphology=mark.morphology, reader=reader
        )
        calc = replace(calc, imported=origin)
        img.calcifications[calc.id] = calc
        marks.append(calc)
    clusters = list(source.clusters)
    for cluster, load in source.masks:
        mask = load(img.rows, img.columns)
        if isinstance(mask, str):
            result.skipped.append(Skipped(source.where, mask))
            continue
        outline = cbis_import.mask_outline(mask)
        if outline is None:
            result.skipped.append(Skipped(source.where, "the ROI mask is empty"))
            continue
        clusters.append(replace(cluster, outline=outline))
    taken: set[str] = set()
    now = utc_now()
    for n, group in enumerate(clusters):
        if group.outline is not None and not any(_inside(p, img) for p in group.outline):
            result.skipped.append(Skipped(f"{source.where} cluster {n + 1}", "outline outside the image"))
            continue
        if group.members is not None:
            members = [m.id for i, m in enumerate(marks) if i in group.members and m is not None]
        else:
            assert group.outline is not None
            members = [
                m.id
                for m in marks
                if m is not None
                and m.id not in taken
                and point_in_polygon(*m.center, group.outline, edge_tolerance=HULL_TOLERANCE_PX)
            ]
        taken.update(members)
        made = Cluster(
            new_id(),
            tuple(members),
            ClusterState.CONFIRMED,
            group.outline,
            group.distribution,
            group.assessment,
            None,
            group.note,
            reader,
            now,
            now,
            morphology=group.morphology,
            imported=origin,
        )
        img.clusters[made.id] = made
        result.clusters += 1
    result.calcifications += sum(m is not None for m in marks)
    result.images += 1


def _save(folder: Path, reader: str, study_uid: str, edit: Callable[[StudyAnnotations], None]) -> Path:
    try:
        store = AnnotationStore.open(folder, reader, study_uid)
    except SidecarError as exc:
        raise ImportFailedError(str(exc)) from None
    with store:
        if store.read_only_reason is not None:
            raise ImportFailedError(f"cannot write {store.path}: {store.read_only_reason}")
        model = store.load()
        model.reader = model.reader or reader
        model.study_instance_uid = model.study_instance_uid or study_uid
        edit(model)
        try:
            store.save(model)
        except SidecarError as exc:
            raise ImportFailedError(str(exc)) from None
    return store.path


def import_labels(study: Path, fmt: str, source: Path, reader: str | None = None) -> ImportResult:
    """Import ``source`` (in format ``fmt``) into the annotation files of the study at ``study``.

    Raises ImportFailedError when nothing can be written (no image in the study, an
    annotation file that is locked, corrupt or cannot be written); ValueError for an
    unknown format.
    """
    if fmt not in PARSERS:
        raise ValueError(f"unknown import format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not source.exists():
        raise ImportFailedError(f"{source} does not exist")
    reader = reader or fmt
    studies = [s for s in open_studies([study]) if s.images]
    if not studies:
        raise ImportFailedError(f"no image that can be shown in {study}")
    parsed = PARSERS[fmt](source)
    result = ImportResult(skipped=list(parsed.skipped))
    index = _index(studies)
    by_folder: dict[Path, list[Match]] = {}
    for labelled in parsed.images:
        found = _find(labelled, index)
        if found is None:
            result.skipped.append(
                Skipped(labelled.where, f"no image of {study.name} matches {' or '.join(labelled.ids)}")
            )
            continue
        image, owner = found
        by_folder.setdefault(owner.folder, []).append((labelled, image, owner))
    for folder, entries in by_folder.items():

        def edit(
            model: StudyAnnotations, entries: list[tuple[SourceImage, MammoImage, Study]] = entries
        ) -> None:
            for labelled, image, _ in entries:
                img = model.ensure_image(image.annotation_record(0))
                _apply(labelled, img, reader, f"{fmt}:{labelled.source_file.name}", result)

        result.written.append(_save(folder, reader, entries[0][2].study_instance_uid, edit))
    return result
