"""Worklist indexing speed: a tree of 1,000 synthetic studies of 4 tiny DICOM files each.

Targets (issue 7): first index <= 60 s, reopening <= 2 s. Run alone with
``python benchmarks/worklist_bench.py [N_STUDIES]``; the main benchmark script calls
:func:`bench_worklist`. The files are freshly written, so they sit in the operating
system's file cache: a first index over a network share will be slower than measured here.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from viewer.sources.worklist import Worklist

MG_FOR_PRESENTATION = UID("1.2.840.10008.5.1.4.1.1.1.2")
VIEWS = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))
TARGETS = {"first_index_s": 60.0, "reopen_s": 2.0}


def write_tiny_image(path: Path, study_uid: str, patient: str, lat: str, view: str) -> None:
    """An 8x8 For Presentation mammogram with a realistic set of identifying tags."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = MG_FOR_PRESENTATION
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = MG_FOR_PRESENTATION
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, generate_uid()
    ds.PatientID, ds.StudyID, ds.StudyDate = patient, patient, "20240101"
    ds.StudyDescription = "bench"
    ds.Modality, ds.ImageLaterality, ds.ViewPosition = "MG", lat, view
    ds.ImagerPixelSpacing = [0.085, 0.085]
    ds.Rows = ds.Columns = 8
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = np.zeros((8, 8), "<u2").tobytes()
    ds.save_as(path, enforce_file_format=True)


def write_tree(root: Path, n_studies: int) -> None:
    """``n_studies`` folders of four views each under ``root``."""
    for i in range(n_studies):
        folder = root / f"{i // 100:02d}" / f"study-{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        uid = generate_uid()
        for lat, view in VIEWS:
            write_tiny_image(folder / f"{lat}{view}.dcm", uid, f"P{i:05d}", lat, view)


@contextmanager
def _private_data_dir(folder: Path) -> Iterator[None]:
    old = os.environ.get("MAMMO_VIEWER_DATA_DIR")
    os.environ["MAMMO_VIEWER_DATA_DIR"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MAMMO_VIEWER_DATA_DIR", None)
        else:
            os.environ["MAMMO_VIEWER_DATA_DIR"] = old


def _timed_open(root: Path, index: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    worklist = Worklist(root, index)
    summary = worklist.refresh()
    studies = worklist.studies()
    return time.perf_counter() - start, summary.read, len(studies)


def bench_worklist(n_studies: int = 1000) -> dict[str, float]:
    """Index a fresh synthetic tree, reopen it, reopen after one study changed.

    Returns seconds for each step (``*_s``), the files read and studies found.
    """
    with tempfile.TemporaryDirectory(prefix="mammo-worklist-bench-") as tmp:
        base = Path(tmp)
        root, index = base / "tree", base / "index.sqlite3"
        start = time.perf_counter()
        write_tree(root, n_studies)
        build = time.perf_counter() - start
        with _private_data_dir(base / "userdata"):
            first, read_first, studies = _timed_open(root, index)
            reopen, read_reopen, _ = _timed_open(root, index)
            changed = root / "00" / "study-00000"
            write_tiny_image(changed / "RCC.dcm", generate_uid(), "P-new", "R", "CC")
            after_edit, read_edit, studies_after = _timed_open(root, index)
        if studies != n_studies or studies_after != n_studies + 1 or read_reopen != 0:
            raise RuntimeError(
                f"worklist benchmark: unexpected result (studies {studies}, "
                f"after edit {studies_after}, re-read {read_reopen})"
            )
        return {
            "studies": float(studies),
            "files": float(read_first),
            "write_tree_s": build,
            "first_index_s": first,
            "first_index_ms_per_file": 1000.0 * first / max(read_first, 1),
            "reopen_s": reopen,
            "reopen_after_one_change_s": after_edit,
            "files_read_after_change": float(read_edit),
        }


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1000
    result = bench_worklist(n)
    print(f"worklist: {n} studies x 4 files")
    for key, value in result.items():
        target = TARGETS.get(key)
        verdict = "" if target is None else (" ok" if value <= target else " OVER TARGET")
        limit = "" if target is None else f"  (target <= {target:g} s){verdict}"
        print(f"  {key:<28}{value:10.3f}{limit}")
    print(json.dumps({"worklist": result}))
    return 0 if all(result[k] <= t for k, t in TARGETS.items()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
