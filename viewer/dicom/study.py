"""Opening a study: files, folders (recursively) and DICOMDIRs -> images and problems.

A bad file never stops the others: it becomes a :class:`FileProblem` listed with the
study. Objects that hold no image by design (structured reports, presentation states,
dose reports) are skipped with a note rather than reported as errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from viewer.dicom.dicomdir import DicomdirError, is_dicomdir, read_dicomdir
from viewer.dicom.file_kinds import is_plainly_not_dicom
from viewer.dicom.image import DicomImageError, MammoImage

HANGING_VIEWS = ("RCC", "LCC", "RMLO", "LMLO")
"""The four standard views of a screening mammogram, in hanging order."""


@dataclass
class FileProblem:
    """A file of the study that is not shown, and why.

    ``skipped`` is True for a note (a non-image object, a stray file in a folder),
    False for an error the user should know about (damaged, undecodable, no pixels).
    """

    path: Path
    message: str
    skipped: bool = False


@dataclass
class Study:
    """The images of a study and the problems met while opening it.

    Parameters
    ----------
    images
        The images that can be shown, in the order opened.
    problems
        Every file that is not shown, with the reason.
    folder
        The common folder of the files opened: where the annotations sidecar goes.
    """

    images: list[MammoImage]
    problems: list[FileProblem] = field(default_factory=list)
    folder: Path = field(default_factory=Path.cwd)

    @property
    def study_instance_uid(self) -> str:
        """The first image's Study Instance UID ("" when there is no image)."""
        return self.images[0].study_instance_uid if self.images else ""

    @property
    def errors(self) -> list[FileProblem]:
        """The problems that are errors, not notes."""
        return [p for p in self.problems if not p.skipped]

    def series(self) -> dict[str, list[MammoImage]]:
        """Images grouped by Series Instance UID, in the order first seen."""
        groups: dict[str, list[MammoImage]] = {}
        for image in self.images:
            groups.setdefault(image.series_instance_uid, []).append(image)
        return groups

    def by_view(self) -> dict[str, MammoImage]:
        """The image for each of ``"RCC"``, ``"LCC"``, ``"RMLO"``, ``"LMLO"`` present.

        When several images share a view, a plain (no spot/magnification) For
        Presentation image wins over the others, then the first opened.
        """
        chosen: dict[str, MammoImage] = {}
        for image in sorted(self.images, key=_hanging_preference):
            if image.view_label in HANGING_VIEWS and image.view_label not in chosen:
                chosen[image.view_label] = image
        return {label: chosen[label] for label in HANGING_VIEWS if label in chosen}


def _hanging_preference(image: MammoImage) -> tuple[bool, bool]:
    return (bool(image.view_modifiers), image.for_processing)


def _walk(folder: Path) -> Iterator[Path]:
    """Files under ``folder``, sorted, hidden entries left out."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def expand_paths(paths: Sequence[Path | str], problems: list[FileProblem]) -> Iterator[tuple[Path, bool]]:
    """``(file, found_in_folder)`` for every file to try, each once.

    Folders are walked recursively (sidecar JSON, images, text files and DICOMDIR
    indexes left out); a DICOMDIR given by name yields the files it lists. A DICOMDIR
    that cannot be read is appended to ``problems``.
    """
    seen: set[Path] = set()
    for file, in_folder in _candidates([Path(p) for p in paths], problems):
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            yield file, in_folder


def _candidates(paths: Sequence[Path], problems: list[FileProblem]) -> Iterator[tuple[Path, bool]]:
    """``(file, found_in_folder)`` for every file to try."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path):
                if is_plainly_not_dicom(file.name) or file.name.upper() == "DICOMDIR":
                    continue  # a folder walk opens the files a DICOMDIR lists anyway
                yield file, True
        elif path.is_file() and is_dicomdir(path):
            try:
                listing = read_dicomdir(path)
            except DicomdirError as exc:  # a damaged or unsafe DICOMDIR must not stop the rest
                problems.append(FileProblem(path, str(exc)))
                continue
            for file_id in listing.missing:
                problems.append(FileProblem(path, f"{path.name} lists {file_id}, which does not exist"))
            for file in listing.files:
                yield file, False
        else:
            yield path, False


def _common_folder(paths: Sequence[Path]) -> Path:
    folders = [str(p.resolve().parent) for p in paths]
    if not folders:
        return Path.cwd()
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # different drives on Windows
        return Path(folders[0])


def open_study(paths: Sequence[Path | str]) -> Study:
    """Open files, folders (recursively) and DICOMDIRs as one study. Never raises for a file.

    Files given by name that cannot be shown are errors; non-DICOM files met while
    walking a folder and non-image DICOM objects are notes (``skipped=True``).
    """
    images: list[MammoImage] = []
    problems: list[FileProblem] = []
    for file, in_folder in expand_paths(paths, problems):
        try:
            images.append(MammoImage.open(file))
        except DicomImageError as exc:
            stray = in_folder and exc.reason == "not a DICOM file"
            problems.append(FileProblem(file, str(exc), skipped=exc.not_an_image or stray))
    folder_of = [i.path for i in images] or [p.path for p in problems] or [Path(p) for p in paths]
    return Study(images, problems, _common_folder(folder_of))


def open_studies(paths: Sequence[Path | str]) -> list[Study]:
    """Open like :func:`open_study`, then split the images into exams.

    An exam is one Study Instance UID, or several that share patient and date without
    repeating a view (:func:`viewer.dicom.exams.group_exams`). The problems go with the
    first study.
    """
    from viewer.dicom.exams import group_exams

    whole = open_study(paths)
    groups = group_exams(whole.images)
    if not groups:
        return [whole]
    studies = [Study(images, [], _common_folder([i.path for i in images])) for images in groups]
    studies[0].problems = whole.problems
    return studies
