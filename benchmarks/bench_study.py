"""The benchmark study: four 4096x5120 12-bit synthetic mammograms (RCC, LCC, RMLO, LMLO), in
JPEG 2000 lossless and uncompressed, made once and cached; and the screen they are shown on.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROWS, COLS = 5120, 4096
SCREEN = (1920, 1080)
STUDY_VERSION = "mammo-viewer benchmark study v1"
VIEWS = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))


def _write_view(folder: str, index: int) -> list[str]:
    """Make view ``index`` and write it uncompressed and in JPEG 2000 lossless (a worker job)."""
    from pydicom.uid import JPEG2000Lossless, generate_uid

    from viewer.core.phantom import make_mammogram
    from viewer.dicom.demo import demo_dataset

    lat, view = VIEWS[index]
    phantom = make_mammogram(ROWS, COLS, (0.07, 0.07), lat, view, seed=200 + index)
    ds = demo_dataset(phantom, index + 1)
    study = generate_uid(entropy_srcs=[STUDY_VERSION])
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[STUDY_VERSION, lat, view])
    ds.ImageComments = STUDY_VERSION
    paths = []
    for kind in ("raw", "j2k"):
        uid = generate_uid(entropy_srcs=[STUDY_VERSION, lat, view, kind])
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
        if kind == "j2k":
            ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
        path = Path(folder) / kind / f"{lat}{view}.dcm"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        ds.save_as(tmp, enforce_file_format=True)
        os.replace(tmp, path)
        paths.append(str(path))
    return paths


def _is_current(path: Path) -> bool:
    from pydicom import dcmread

    try:
        ds = dcmread(path, stop_before_pixels=True, specific_tags=["ImageComments"])
    except Exception:  # missing or half-written: make it again
        return False
    return bool(ds.get("ImageComments") == STUDY_VERSION)


def ensure_study(cache: Path) -> dict[str, list[Path]]:
    """The benchmark study's files, ``{"raw": [...], "j2k": [...]}`` in RCC, LCC, RMLO, LMLO order.

    Made on the first run (about half a minute, two processes) and reused afterwards.
    """
    names = [f"{lat}{view}.dcm" for lat, view in VIEWS]
    files = {kind: [cache / kind / n for n in names] for kind in ("raw", "j2k")}
    missing = [i for i, n in enumerate(names) if not all(_is_current(files[k][i]) for k in files)]
    if missing:
        print(f"making the benchmark study in {cache} (once) ...", file=sys.stderr)
        import multiprocessing

        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(_write_view, [str(cache)] * len(missing), missing))
    return files
