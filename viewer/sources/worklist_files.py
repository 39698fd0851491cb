"""What the worklist reads from the files of a study tree, without ever loading an image.

- :func:`list_folder`: a folder's files sorted into DICOM candidates, annotation files and
  status files, each with its modification time and size (hidden entries and files that
  are plainly not DICOM by their suffix are left out);
- :func:`read_file_record`: the few header tags the worklist shows, read with pydicom's
  ``specific_tags`` and ``stop_before_pixels``; a file without the "DICM" marker is not
  parsed at all;
- :func:`read_sidecar_record`: one reader's calcification and cluster counts, from an
  annotation file validated and migrated as the viewer reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset

from viewer.dicom.file_kinds import DICOMDIR_CLASS, is_plainly_not_dicom
from viewer.dicom.views import read_laterality, read_view
from viewer.sources.worklist_index import FileRecord, SidecarRecord, Stamp
from viewer.sources.worklist_status import STATUS_FILE
from viewer.store import sidecar
from viewer.store.errors import SidecarError

HEADER_TAGS = (
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "PatientID",
    "StudyID",
    "StudyDate",
    "StudyDescription",
    "AccessionNumber",
    "ImageLaterality",
    "Laterality",
    "ViewPosition",
    "ViewCodeSequence",
    "Rows",
    "NumberOfFrames",
)
"""The only tags read from each file (pydicom ``specific_tags``)."""


def read_file_record(path: Path, stamp: Stamp) -> FileRecord:
    """Read the header of one file (never its pixels) into an index record.

    Files without the "DICM" marker at byte 128 are "other" without being parsed.
    """
    where = (str(path), str(path.parent), stamp[0], stamp[1])
    try:
        with open(path, "rb") as fh:
            fh.seek(128)
            if fh.read(4) != b"DICM":
                return FileRecord(*where, kind="other")
        ds = dcmread(path, stop_before_pixels=True, specific_tags=list(HEADER_TAGS))
        if "SOPClassUID" not in ds and _meta_class(ds) != DICOMDIR_CLASS:
            # pydicom stops quietly where a header breaks off: nothing past the file meta
            return FileRecord(
                *where, kind="error", error="truncated or damaged DICOM header (no SOP Class UID)"
            )
        if "Rows" not in ds:  # structured reports, presentation states, DICOMDIR
            return FileRecord(*where, kind="other", sop_uid=_text(ds, "SOPInstanceUID"))
        return FileRecord(
            *where,
            kind="image",
            study_uid=_text(ds, "StudyInstanceUID"),
            series_uid=_text(ds, "SeriesInstanceUID"),
            sop_uid=_text(ds, "SOPInstanceUID"),
            patient_id=_text(ds, "PatientID"),
            study_id=_text(ds, "StudyID") or _text(ds, "AccessionNumber"),
            study_date=_text(ds, "StudyDate"),
            study_description=_text(ds, "StudyDescription"),
            laterality=read_laterality(ds),
            view=read_view(ds),
            frames=max(int(ds.get("NumberOfFrames") or 1), 1),
        )
    except OSError as exc:
        return FileRecord(*where, kind="error", error=f"cannot read the file ({exc.strerror or exc})")
    except Exception as exc:  # pydicom raises many kinds on a damaged header
        return FileRecord(*where, kind="error", error=f"damaged DICOM header ({exc})")


def _meta_class(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    return str(meta.get("MediaStorageSOPClassUID", "")) if meta is not None else ""


def _text(ds: Dataset, keyword: str) -> str:
    return str(ds.get(keyword, "") or "").strip()


def read_sidecar_record(path: Path, stamp: Stamp) -> SidecarRecord:
    """Count one annotation file's marks (validated and migrated like the viewer reads it)."""
    fallback_reader = sidecar.reader_of_name(path.name)
    try:
        doc, _version = sidecar.parse(path.read_bytes(), path)
    except (SidecarError, OSError) as exc:
        message = str(exc) if isinstance(exc, SidecarError) else f"cannot read {path}: {exc}"
        return SidecarRecord(str(path), str(path.parent), *stamp, fallback_reader, "", None, None, message)
    images = doc["images"]
    calcifications = sum(len(img["calcifications"]) for img in images)
    clusters = sum(c["state"] != "rejected" for img in images for c in img["clusters"])
    return SidecarRecord(
        str(path),
        str(path.parent),
        *stamp,
        str(doc.get("reader") or fallback_reader),
        str(doc.get("study_instance_uid") or ""),
        calcifications,
        clusters,
    )


def _stamp(entry: os.DirEntry[str]) -> Stamp | None:
    try:
        st = entry.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


@dataclass
class Listing:
    """The files of a tree by kind, ``path -> (mtime_ns, size)``, and the folders listed."""

    dicom: dict[str, Stamp] = field(default_factory=dict)
    sidecars: dict[str, Stamp] = field(default_factory=dict)
    status_files: dict[str, Stamp] = field(default_factory=dict)
    folders: int = 0


def list_folder(folder: str, listing: Listing, subfolders: list[str]) -> None:
    """Add one folder's files to ``listing`` (by kind, with their stamps) and its subfolders."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return  # an unreadable folder holds nothing we can show
    listing.folders += 1
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(entry.path)
                continue
            if not entry.is_file():
                continue
        except OSError:
            continue
        if sidecar.is_sidecar_name(name):
            target = listing.sidecars
        elif name == STATUS_FILE:
            target = listing.status_files
        elif is_plainly_not_dicom(name):
            continue
        else:
            target = listing.dicom
        stamp = _stamp(entry)
        if stamp is not None:
            target[entry.path] = stamp
