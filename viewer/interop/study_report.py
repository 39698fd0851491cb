"""A study folder's report: its images, one reader's annotations, landmarks found where the file has none.

Used by ``mammo-viewer report`` and File > Report. Reads the annotation file (never writes it).
"""

from __future__ import annotations

from pathlib import Path

from viewer.core.annotations import StudyAnnotations
from viewer.core.nipple_detect import LandmarkError
from viewer.dicom.breast_landmarks import image_landmarks
from viewer.dicom.image import MammoImage
from viewer.dicom.study import open_study
from viewer.interop.report_html import Report, build_report
from viewer.store.errors import SidecarError
from viewer.store.lexicon_file import load_lexicon
from viewer.store.sidecar import is_sidecar_name, load, sidecar_path


class ReportError(Exception):
    """The report cannot be made; the message says why and what to do."""


def find_annotations(folder: Path, reader: str | None) -> Path:
    """The annotation file of ``reader`` in ``folder``; without a reader, the only one there."""
    if reader:
        path = sidecar_path(folder, reader)
        if not path.is_file():
            raise ReportError(f"{folder}: no annotations of reader {reader!r} ({path.name} not found)")
        return path
    found = sorted(p for p in folder.iterdir() if is_sidecar_name(p.name)) if folder.is_dir() else []
    if not found:
        raise ReportError(f"{folder}: no annotation file (mammo-annotations.<reader>.json) in this folder")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ReportError(f"{folder}: several readers' files ({names}); choose one with --reader")
    return found[0]


def add_missing_landmarks(model: StudyAnnotations, images: dict[str, MammoImage]) -> list[str]:
    """Find landmarks for every image of ``model`` that has none; the problems met, one line each."""
    problems = []
    for key, record in model.images.items():
        image = images.get(key[0])
        if key in model.reading.landmarks or image is None:
            continue
        try:
            model.reading.landmarks[key] = image_landmarks(image, key[1])
        except LandmarkError as exc:
            problems.append(f"{record.laterality or '?'}{record.view or '?'}: {exc}")
    return problems


def study_report(
    folder: Path, reader: str | None = None, *, identify: bool = False, model: StudyAnnotations | None = None
) -> tuple[Report, list[str]]:
    """The report of the study in ``folder`` and the problems met (landmarks not found, ...).

    ``model`` gives the annotations directly (the viewer's unsaved ones); otherwise the
    reader's file in ``folder`` is read.
    """
    study = open_study([folder])
    if not study.images:
        reasons = "; ".join(p.message for p in study.problems) or "no DICOM images found"
        raise ReportError(f"{folder}: {reasons}")
    if model is None:
        path = find_annotations(Path(folder), reader)
        try:
            model = load(path)
        except SidecarError as exc:
            raise ReportError(str(exc)) from None
    images = {img.sop_instance_uid: img for img in study.images}
    for img in study.images:
        model.ensure_image(img.annotation_record())
    problems = add_missing_landmarks(model, images)
    return build_report(model, images, load_lexicon(), identify=identify), problems
