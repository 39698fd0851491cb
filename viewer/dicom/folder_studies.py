"""Which studies the DICOM files directly in one folder belong to (headers only).

The annotation file of a study is named after the study when its folder holds other
studies too (:func:`viewer.store.sidecar.sidecar_path`); when only some files of a folder
were opened, this tells what else the folder holds without decoding anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from viewer.dicom.file_kinds import is_plainly_not_dicom
from viewer.dicom.read_guard import DicomImageError, read_dataset


def folder_studies(folder: Path) -> dict[str, set[str]]:
    """Study Instance UID -> SOP Instance UIDs of the DICOM files directly in ``folder``.

    Files that are not DICOM or cannot be read are left out; never raises for a file.
    """
    found: dict[str, set[str]] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return found
    for name in names:
        path = Path(folder) / name
        if name.startswith(".") or is_plainly_not_dicom(name) or name.upper() == "DICOMDIR":
            continue
        if not path.is_file():
            continue
        try:  # through the one door: a damaged header is a reason there, never an exception here
            ds = read_dataset(
                path,
                stop_before_pixels=True,
                specific_tags=["SOPClassUID", "StudyInstanceUID", "SOPInstanceUID"],
            )
        except DicomImageError:
            continue
        study = str(ds.get("StudyInstanceUID", "") or "")
        sop = str(ds.get("SOPInstanceUID", "") or "")
        if study and sop:
            found.setdefault(study, set()).add(sop)
    return found
