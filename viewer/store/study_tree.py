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
    """Load every sidecar under ``root``, as the viewer would find it.

    A study folder that cannot be written keeps its reader's newer annotations in the
    fallback folder (:func:`viewer.store.session.fallback_path`): that file is used instead,
    and said so. Returns the studies and one message per file that could not be used (it is
    skipped, never changed) or was replaced by its fallback.
    """
    from viewer.store.session import fallback_path, folder_writable

    studies: list[AnnotatedStudy] = []
    problems: list[str] = []
    writable: dict[Path, bool] = {}
    for path in find_sidecars(root):
        try:
            model = load(path)
        except SidecarError as exc:
            problems.append(f"skipped: {exc}")
            continue
        folder = path.parent
        if folder not in writable:
            writable[folder] = folder_writable(folder)
        if not writable[folder]:
            fallback = fallback_path(folder, model.reader, model.study_instance_uid)
            if fallback.exists():
                try:
                    model, path = load(fallback), fallback
                    problems.append(
                        f"{folder} is read-only: the annotations of {model.reader or 'the reader'} "
                        f"saved since were read from {fallback}"
                    )
                except SidecarError as exc:
                    problems.append(f"the fallback {fallback} was not used: {exc}")
        studies.append(AnnotatedStudy(folder, path, model))
    return studies, problems
