"""Workstations of the PACS tests: each with its own user data and cache folders, as on two machines."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from viewer.core.annotations import Calcification, StudyAnnotations
from viewer.dicom.study import Study, open_study
from viewer.sources.dicomweb import DicomwebServer
from viewer.sources.pacs_cache import StudyCache
from viewer.sources.server_store import ServerAnnotationStore


@contextlib.contextmanager
def machine(folder: Path) -> Iterator[Path]:
    """Run the block as a workstation whose user data folder is ``folder``."""
    old = os.environ.get("MAMMO_VIEWER_DATA_DIR")
    os.environ["MAMMO_VIEWER_DATA_DIR"] = str(folder)
    try:
        yield folder
    finally:
        if old is None:
            os.environ.pop("MAMMO_VIEWER_DATA_DIR", None)
        else:
            os.environ["MAMMO_VIEWER_DATA_DIR"] = old


def open_from_server(base: str, study_uid: str, cache_folder: Path) -> Study:
    """Retrieve a study into a cache and open it as the viewer does."""
    folder = DicomwebServer(base).retrieve_study(study_uid, StudyCache(cache_folder))
    return open_study([folder])


def add_mark(model: StudyAnnotations, study: Study, index: int, view: str = "RCC") -> Calcification:
    """A measured square mark (3 px side) at a place set by ``index``, on ``view``."""
    image = study.by_view()[view]
    record = model.ensure_image(image.annotation_record(0))
    x = 200.0 + 7 * (index % 150)
    y = 300.0 + 7 * (index // 150)
    outline = [(x - 1.5, y - 1.5), (x + 1.5, y - 1.5), (x + 1.5, y + 1.5), (x - 1.5, y + 1.5)]
    mark = Calcification.create((x, y), outline, record.spacing, reader=model.reader)
    model.put_calcification(record.key, mark)
    return mark


def mark_ids(model: StudyAnnotations) -> set[str]:
    return {calc.id for _key, calc in model.iter_calcifications()}


def open_store(data_folder: Path, base: str, study_uid: str, reader: str) -> ServerAnnotationStore:
    with machine(data_folder):
        return ServerAnnotationStore.open(base, study_uid, reader)
