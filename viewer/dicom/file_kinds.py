"""Which files in a study folder are plainly not DICOM: the one list every folder walk uses."""

from __future__ import annotations

import os

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
"""Media Storage Directory Storage: a DICOMDIR index, not an image."""

NOT_DICOM_SUFFIXES = frozenset(
    {
        # what the viewer itself writes beside the images: annotations, recovery, locks, caches
        ".json",
        ".recovery",
        ".lock",
        ".tmp",
        ".bak",
        ".db",
        ".sqlite3",
        ".log",
        # documents, pictures, archives and configuration people keep with a study
        ".txt",
        ".md",
        ".csv",
        ".xml",
        ".html",
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".tif",
        ".tiff",
        ".zip",
        ".gz",
        ".py",
        ".ini",
        ".cfg",
        ".yaml",
        ".yml",
    }
)
"""Suffixes of files a study folder holds beside its DICOM files: never opened, never "not DICOM"."""


def is_plainly_not_dicom(name: str) -> bool:
    """Whether a file of this name is skipped by its suffix (or is hidden), without opening it."""
    return name.startswith(".") or os.path.splitext(name)[1].lower() in NOT_DICOM_SUFFIXES
