"""Finding a patient's earlier exams (priors) near an open study.

A prior is a study of the same patient (the Patient ID with side and view words removed,
:func:`viewer.dicom.exams.patient_key`) with an earlier Study Date. Two places are searched:

- the folders beside the open study's folder (its parent's tree, a few levels deep, at most
  :data:`MAX_FILES` files), reading headers only, so it stays quick on a big archive share;
  files that are plainly not DICOM are skipped (:func:`find_priors`);
- the worklist's index, when the study was opened from a worklist: every image of the whole
  tree is there already, so a prior filed far from the study (another year's folder, another
  drive letter of the same share) is found without reading a file (:func:`priors_in_index`).

:func:`combine` merges the two, one exam per Study Instance UID.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

from viewer.dicom.exams import patient_key
from viewer.dicom.file_kinds import is_plainly_not_dicom
from viewer.sources.worklist_index import FileRecord

MAX_FILES = 2000
MAX_DEPTH = 3
_TAGS = ["PatientID", "StudyDate", "StudyInstanceUID", "StudyDescription", "Modality"]


@dataclass
class PriorExam:
    """One earlier study of the patient: where its files are."""

    study_instance_uid: str
    study_date: str
    description: str
    files: list[Path] = field(default_factory=list)

    @property
    def title(self) -> str:
        """``"2023-01-02 Synthetic screening mammogram (4 images)"``."""
        d = self.study_date
        date = f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else d or "undated"
        return f"{date} {self.description or 'study'} ({len(self.files)} images)"


def _walk(root: Path, depth: int = 0) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()  # a link loop or a dead share raises here
        except OSError:
            continue
        if is_dir:
            if depth < MAX_DEPTH:
                yield from _walk(Path(entry.path), depth + 1)
        elif is_file and not is_plainly_not_dicom(entry.name):
            yield Path(entry.path)


def find_priors(
    patient_id: str, study_date: str, study_uid: str, roots: Sequence[Path], max_files: int = MAX_FILES
) -> list[PriorExam]:
    """The patient's studies dated before ``study_date`` under ``roots``, most recent first.

    Nothing is found for an empty Patient ID or Study Date (a prior cannot be told then).
    """
    key = patient_key(patient_id)
    if not key or not study_date:
        return []
    found: dict[str, PriorExam] = {}
    seen = 0
    for root in roots:
        for path in _walk(Path(root)):
            seen += 1
            if seen > max_files:
                break
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_TAGS)
            except Exception:  # any file beside the study (damaged, truncated, not DICOM) is skipped
                continue
            uid = str(ds.get("StudyInstanceUID", "") or "")
            date = str(ds.get("StudyDate", "") or "")
            if not uid or uid == study_uid or not date or date >= study_date:
                continue
            if patient_key(str(ds.get("PatientID", "") or "")) != key:
                continue
            exam = found.setdefault(uid, PriorExam(uid, date, str(ds.get("StudyDescription", "") or "")))
            exam.files.append(path)
    return sorted(found.values(), key=lambda e: e.study_date, reverse=True)


def priors_in_index(
    records: Iterable[FileRecord], patient_id: str, study_date: str, study_uid: str
) -> list[PriorExam]:
    """The patient's studies dated before ``study_date`` among a worklist index's image records."""
    key = patient_key(patient_id)
    if not key or not study_date:
        return []
    found: dict[str, PriorExam] = {}
    for record in records:
        uid, date = record.study_uid, record.study_date
        if record.kind != "image" or not uid or uid == study_uid or not date or date >= study_date:
            continue
        if patient_key(record.patient_id) != key:
            continue
        exam = found.setdefault(uid, PriorExam(uid, date, record.study_description))
        exam.files.append(Path(record.path))
    return sorted(found.values(), key=lambda e: e.study_date, reverse=True)


def combine(*searches: Sequence[PriorExam]) -> list[PriorExam]:
    """One exam per Study Instance UID over several searches (their files joined), most recent first."""
    merged: dict[str, PriorExam] = {}
    for search in searches:
        for exam in search:
            into = merged.setdefault(
                exam.study_instance_uid, PriorExam(exam.study_instance_uid, exam.study_date, exam.description)
            )
            known = {p.resolve() for p in into.files}
            into.files.extend(p for p in exam.files if p.resolve() not in known)
            into.description = into.description or exam.description
    return sorted(merged.values(), key=lambda e: e.study_date, reverse=True)
