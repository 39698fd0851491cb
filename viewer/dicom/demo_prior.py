"""The demo study's prior: the same synthetic patient a year earlier, without the new cluster.

The current demo (:mod:`viewer.dicom.demo`) shows, on the left breast, a group of seven
fine calcifications on CC and MLO. This prior exam of the same Patient ID, dated a year
earlier, has the same breasts and the same scattered calcifications but not that group:
reading current against prior, the group is new. UIDs are derived from fixed text, so the
prior is written the same every time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pydicom
from pydicom.uid import UID, generate_uid

from viewer.core.phantom import Phantom, make_mammogram
from viewer.dicom.demo import (
    COLS,
    ROWS,
    SPACING_MM,
    VERSION_MARKER,
    VIEWS,
    _specs,
    demo_dataset,
    demo_file_names,
)

PRIOR_DATE = "20230102"
"""Study Date of the prior: a year before the current demo's 20240101."""
PRIOR_MARKER = f"{VERSION_MARKER} (prior)"
NEW_CLUSTER_SIZE = 7
"""How many calcifications of the current left CC and MLO are not on the prior (the group)."""
_SEED = "mammo-viewer demo prior"


def _prior_specs(laterality: str, view: str) -> list:  # type: ignore[type-arg]
    specs = _specs(laterality, view)
    return specs[NEW_CLUSTER_SIZE:] if laterality == "L" else specs


def prior_phantom(index: int) -> Phantom:
    """One prior view, ``index`` into :data:`viewer.dicom.demo.VIEWS`, with its calcifications' truth."""
    lat, view = VIEWS[index]
    return make_mammogram(
        ROWS,
        COLS,
        (SPACING_MM, SPACING_MM),
        lat,
        view,
        seed=101 + index,
        calcifications=_prior_specs(lat, view),
    )


def _uid(*parts: str) -> UID:
    return generate_uid(entropy_srcs=[_SEED, *parts])


def prior_dataset(index: int) -> pydicom.Dataset:
    """The DICOM dataset of one prior view: the demo's header with the prior's UIDs and date."""
    lat, view = VIEWS[index]
    ds = demo_dataset(prior_phantom(index), index + 1)
    ds.StudyInstanceUID = _uid("study")
    ds.SeriesInstanceUID = _uid("series", lat, view)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = _uid("image", lat, view)
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = PRIOR_DATE
    ds.StudyID = "DEMO-PRIOR"
    ds.StudyDescription = "Synthetic screening mammogram (demo prior, a year earlier)"
    ds.ImageComments = PRIOR_MARKER
    return ds


def _is_current(path: Path) -> bool:
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["ImageComments"])
    except (OSError, pydicom.errors.InvalidDicomError):
        return False
    return bool(ds.get("ImageComments") == PRIOR_MARKER and path.stat().st_size > ROWS * COLS * 2)


def ensure_demo_prior(folder: Path) -> list[Path]:
    """The prior's four files in ``folder``, written only when missing, damaged or from an older version."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, name in enumerate(demo_file_names()):
        path = folder / name
        if not _is_current(path):
            tmp = folder / f".{name}.tmp"
            prior_dataset(index).save_as(tmp, enforce_file_format=True)
            os.replace(tmp, path)
        paths.append(path)
    return paths
