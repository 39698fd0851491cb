"""A DICOMDIR (PS3.10 File-set) -> the files it lists, read with :class:`pydicom.fileset.FileSet`.

A File ID is a list of path components relative to the DICOMDIR's folder (PS3.10 8.5:
upper-case letters, digits and underscore only). One that is absolute or holds ``..``
could point anywhere on the machine, so a DICOMDIR with such a record is refused as a
whole, naming the record; open its folder instead. A listed file that does not exist is
reported and the others are opened.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from viewer.dicom.file_kinds import DICOMDIR_CLASS


class DicomdirError(ValueError):
    """A DICOMDIR that cannot be used; the message names the file and the reason."""


@dataclass
class DicomdirListing:
    """The existing files a DICOMDIR lists, in its record order, and what was wrong."""

    files: list[Path]
    missing: list[str] = field(default_factory=list)
    """File IDs (``A/B/C``) of listed files that do not exist."""


def is_dicomdir(path: Path) -> bool:
    """True for a file named DICOMDIR, or a DICOM file of the Media Storage Directory class."""
    if path.name.upper() == "DICOMDIR":
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return head[128:132] == b"DICM" and DICOMDIR_CLASS.encode() in head


def _components(value: object) -> list[str]:
    """A Referenced File ID's components (one value, or several: a MultiValue)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


def _unsafe(parts: list[str]) -> bool:
    """A File ID that could leave the DICOMDIR's folder: absolute, ``..``, or a hidden separator."""
    for part in parts:
        if part in ("..", ".") or PurePosixPath(part).is_absolute() or PureWindowsPath(part).anchor:
            return True
        if len(PurePosixPath(part).parts) > 1 or len(PureWindowsPath(part).parts) > 1:
            return True
    return False


def read_dicomdir(path: Path) -> DicomdirListing:
    """The files the DICOMDIR at ``path`` lists.

    Raises
    ------
    DicomdirError
        When the file is not a readable DICOMDIR, or a record's File ID points outside
        its folder (``..`` or an absolute path): the message names the file and the record.
    """
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError
    from pydicom.fileset import FileSet

    path = Path(path)
    try:
        ds = dcmread(path)
    except (OSError, InvalidDicomError) as exc:
        raise DicomdirError(f"{path.name}: cannot read this DICOMDIR ({exc})") from None
    root = path.resolve().parent
    missing: list[str] = []
    for record in ds.get("DirectoryRecordSequence") or []:
        parts = _components(record.get("ReferencedFileID"))
        if not parts:
            continue
        file_id = "/".join(parts)
        if _unsafe(parts):
            raise DicomdirError(
                f"{path.name}: refused, a record's File ID {file_id!r} points outside the DICOMDIR's "
                "folder ('..' and absolute paths are not allowed in a DICOM File ID); "
                "open the folder instead"
            )
        if not root.joinpath(*parts).is_file():
            missing.append(file_id)
    with warnings.catch_warnings():
        # pydicom warns about the missing files (reported above) and about a DICOMDIR
        # written with another transfer syntax (read as it is: nothing is written)
        warnings.simplefilter("ignore")
        try:
            fileset = FileSet(ds)
        except (ValueError, KeyError, AttributeError, PermissionError) as exc:
            raise DicomdirError(f"{path.name}: not a usable DICOMDIR ({exc})") from None
    files = [Path(instance.path) for instance in fileset]
    # A FileSet opens a staging TemporaryDirectory (for edits we never make) and leaves it
    # to the garbage collector; remove it now rather than leave a folder per DICOMDIR read.
    staging = getattr(fileset, "_stage", {}).get("t")
    if staging is not None:
        staging.cleanup()
    return DicomdirListing(files, missing)
