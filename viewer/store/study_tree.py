"""The annotated studies under a folder: every sidecar in a study folder or a tree of studies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from viewer.core.annotations import StudyAnnotations
from viewer.store.errors import SidecarError
from viewer.store.sidecar import is_sidecar_name, load


@dataclass
class AnnotatedStudy:
    """One reader's annotations of one study, and the folder its DICOM files are in."""

    folder: Path
    sidecar: Path
    model: StudyAnnotations


def find_sidecars(root: Path) -> list[Path]:
    """Sidecar files in ``root`` and below (or ``root`` itself when it is one), sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder) / name for name in sorted(files) if is_sidecar_name(name))
    return found


def load_studies(root: Path) -> tuple[list[AnnotatedStudy], list[str]]:
    """Load every sidecar under ``root``.

    Returns the studies and one message per file that could not be used (it is skipped,
    never changed).
    """
    studies: list[AnnotatedStudy] = []
    problems: list[str] = []
    for path in find_sidecars(root):
        try:
            studies.append(AnnotatedStudy(path.parent, path, load(path)))
        except SidecarError as exc:
            problems.append(f"skipped: {exc}")
    return studies, problems
