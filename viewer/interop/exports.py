"""One entry point for every export format, shared by the ``export`` command and the GUI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from viewer.interop.coco import export_coco
from viewer.interop.csv_export import export_csv
from viewer.interop.gsps import export_gsps
from viewer.interop.inbreast import export_inbreast
from viewer.interop.options import ExportOptions
from viewer.interop.sr import export_sr
from viewer.store.study_tree import AnnotatedStudy, load_studies

FORMATS: dict[str, str] = {
    "csv": "CSV (one row per calcification and per cluster)",
    "coco": "COCO detection JSON",
    "inbreast": "INbreast / OsiriX ROI XML (one file per image)",
    "sr": "DICOM SR TID 1500 measurement report (one per study and reader)",
    "gsps": "DICOM presentation state with the outlines as graphics (one per study and reader)",
}
"""Format name -> what a user reads in a menu."""

SINGLE_FILE_DEFAULTS = {"csv": "annotations.csv", "coco": "annotations.coco.json"}
"""Formats written to one file, and the file name used when the output is a folder."""


@dataclass
class ExportResult:
    written: list[Path]
    calcifications: int
    annotation_files: int
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """'Exported 1 calcification of 1 annotation file to 2 files', in numbers that agree."""
        return (
            f"Exported {_counted(self.calcifications, 'calcification')} of "
            f"{_counted(self.annotation_files, 'annotation file')} "
            f"to {_counted(len(self.written), 'file')}"
        )


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class NothingToExportError(Exception):
    """No annotation file was found under the path."""


def output_file(out: Path, fmt: str) -> Path:
    """The file a single-file format writes: ``out`` itself, or a default name inside a folder."""
    if out.is_dir() or not out.suffix:
        out.mkdir(parents=True, exist_ok=True)
        return out / SINGLE_FILE_DEFAULTS[fmt]
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def export_path(path: Path, fmt: str, out: Path, options: ExportOptions) -> ExportResult:
    """Export every annotation file under ``path`` (a study folder, a tree, or one file).

    Raises NothingToExportError when there is none, SidecarError/OSError on failure.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    studies, problems = load_studies(path)
    if not studies:
        raise NothingToExportError(f"no annotation files (mammo-annotations.*.json) in {path}")
    return export_studies(studies, fmt, out, options, problems)


def export_studies(
    studies: list[AnnotatedStudy], fmt: str, out: Path, options: ExportOptions, problems: list[str]
) -> ExportResult:
    """Export annotated studies however they were found (folders, a server's annotations)."""
    messages = list(problems)
    if fmt == "csv":
        written = export_csv(studies, output_file(out, fmt), options)
    elif fmt == "coco":
        written = export_coco(studies, output_file(out, fmt), options)
    elif fmt == "inbreast":
        written = export_inbreast(studies, out, options)
    elif fmt == "gsps":
        written, gsps_messages = export_gsps(studies, out, options)
        messages += gsps_messages
    else:
        written, sr_messages = export_sr(studies, out, options)
        messages += sr_messages
    marks = sum(s.model.count()[0] for s in studies)
    return ExportResult(written, marks, len(studies), messages)
