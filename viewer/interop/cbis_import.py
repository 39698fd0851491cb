"""CBIS-DDSM import: the case-description CSV and one ROI mask image per abnormality.

Columns used (``calc_case_description_*.csv``): ``patient_id``, ``left or right
breast``, ``image view``, ``abnormality id``, ``abnormality type``, ``calc type``,
``calc distribution``, ``assessment``, ``pathology``, ``subtlety``, ``image file path``
and ``ROI mask file path``. The image file path starts with the full mammogram's folder,
``Calc-Training_P_00005_RIGHT_CC``, which is also its Patient ID, then its Study and
Series Instance UIDs: those are what the image is matched by.

Each calcification abnormality becomes a cluster whose outline is the largest region of
its mask; calc type -> morphology and calc distribution -> distribution through the
lexicon's ``cbis_ddsm`` codes, assessment -> BI-RADS category, pathology and subtlety
kept in the note. The mask is looked for at its path below the CSV's folder, else among
the files of its own folder (``..._CC_1``) as the one with the image's size (the
cropped image beside it is smaller). Mass abnormalities are listed as skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from viewer.core.contour import iso_contour
from viewer.core.geometry import Point
from viewer.core.lexicon import Lexicon
from viewer.interop.dataset_labels import (
    MaskLoader,
    ParsedLabels,
    Skipped,
    SourceCluster,
    SourceImage,
    read_table,
)
from viewer.store.lexicon_file import load_lexicon

REQUIRED = ("patient_id", "abnormality type", "image file path", "ROI mask file path")
MAX_OUTLINE_VERTICES = 400


def _code_map(lexicon: Lexicon, set_name: str) -> dict[str, str]:
    labels = lexicon.morphology if set_name == "morphology" else lexicon.distribution
    return {label.codes["cbis_ddsm"]: label.id for label in labels if "cbis_ddsm" in label.codes}


def _lookup(value: str, codes: dict[str, str]) -> str | None:
    """The first part of a compound CBIS value (``PLEOMORPHIC-FINE_LINEAR_BRANCHING``) we know."""
    for part in value.strip().upper().split("-"):
        if part in codes:
            return codes[part]
    return None


PICTURE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"})
"""ROI masks stored as pictures (read with Pillow); any other mask file is read as DICOM."""


def read_mask(path: Path) -> NDArray[np.bool_]:
    """A mask image (DICOM, PNG, JPEG) as booleans, True where it is not black."""
    if path.suffix.lower() in PICTURE_SUFFIXES:
        from PIL import Image

        with Image.open(path) as img:
            return np.asarray(img.convert("L")) > 127
    from viewer.dicom.image import MammoImage

    mask = MammoImage.open(path)
    values = mask.pixels()
    return np.asarray(values > (int(values.max()) + int(values.min())) / 2)


def _image_size(path: Path) -> tuple[int, int] | None:
    try:
        if path.suffix.lower() in PICTURE_SUFFIXES:
            from PIL import Image

            with Image.open(path) as img:
                return (img.height, img.width)
        from viewer.dicom.image import MammoImage

        image = MammoImage.open(path)
        return (image.rows, image.columns)
    except Exception:  # a candidate that cannot be read is simply not the mask
        return None


def _candidates(root: Path, relative: str) -> Iterator[Path]:
    exact = root / relative
    if exact.is_file():
        yield exact
    folder = root / relative.split("/")[0]
    if folder.is_dir():
        yield from sorted(p for p in folder.rglob("*") if p.is_file() and p != exact)


def mask_loader(root: Path, relative: str) -> MaskLoader:
    """A loader that finds the mask of ``relative`` for an image of the given size."""

    def load(rows: int, columns: int) -> NDArray[np.bool_] | str:
        sizes: list[str] = []
        for candidate in _candidates(root, relative):
            size = _image_size(candidate)
            if size is None:
                continue
            if size == (rows, columns):
                try:
                    return read_mask(candidate)
                except Exception as exc:  # a damaged mask is reported, the rest imported
                    return f"mask {candidate.name} cannot be read ({exc})"
            sizes.append(f"{candidate.name} is {size[0]}x{size[1]}")
        if not sizes:
            return f"mask {relative} not found below {root.name}"
        return f"no mask of the image's size {rows}x{columns} ({'; '.join(sizes)})"

    return load


def mask_outline(mask: NDArray[np.bool_]) -> tuple[Point, ...] | None:
    """The outline of the largest region of a mask, at most MAX_OUTLINE_VERTICES vertices."""
    labels, count = ndimage.label(mask)
    if count == 0:
        return None
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=range(1, count + 1))
    region = labels == int(np.argmax(sizes)) + 1
    ys, xs = np.nonzero(region)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    field = region[y0:y1, x0:x1].astype(np.float64) - 0.5
    contour = iso_contour(field)
    if len(contour) < 3:
        return ((x0 - 0.5, y0 - 0.5), (x1 - 0.5, y0 - 0.5), (x1 - 0.5, y1 - 0.5), (x0 - 0.5, y1 - 0.5))
    step = max(1, len(contour) // MAX_OUTLINE_VERTICES)
    return tuple((x + x0, y + y0) for x, y in contour[::step])


def _ids(row: dict[str, str]) -> tuple[str, ...]:
    parts = [p.strip() for p in (row.get("image file path") or "").strip().split("/") if p.strip()]
    ids = parts[:3]
    side = (row.get("left or right breast") or "").strip().upper()
    view = (row.get("image view") or "").strip().upper()
    patient = (row.get("patient_id") or "").strip()
    if patient and side and view:
        ids.append(f"{patient}_{side}_{view}")
    return tuple(ids)


def parse(source: Path, lexicon: Lexicon | None = None) -> ParsedLabels:
    """The calcification abnormalities of a case-description CSV (``source``)."""
    lexicon = lexicon or load_lexicon()
    morphologies, distributions = _code_map(lexicon, "morphology"), _code_map(lexicon, "distribution")
    parsed = ParsedLabels()
    rows = read_table(source, REQUIRED, "a CBIS-DDSM case description", parsed)
    if rows is None:
        return parsed
    images: dict[tuple[str, ...], SourceImage] = {}
    for n, row in enumerate(rows, start=2):
        where = f"{source.name} line {n}"
        kind = (row.get("abnormality type") or "").strip().lower()
        if kind != "calcification":
            parsed.skipped.append(
                Skipped(where, f"abnormality type '{kind or 'missing'}': not a calcification")
            )
            continue
        ids = _ids(row)
        mask = (row.get("ROI mask file path") or "").strip()
        if not ids or not mask:
            parsed.skipped.append(Skipped(where, "no image file path or no ROI mask file path"))
            continue
        calc_type = (row.get("calc type") or "").strip()
        distribution = (row.get("calc distribution") or "").strip()
        assessment = (row.get("assessment") or "").strip() or None
        pathology = (row.get("pathology") or "").strip()
        subtlety = (row.get("subtlety") or "").strip()
        note = (
            f"CBIS-DDSM abnormality {(row.get('abnormality id') or '?').strip()}: "
            f"calc type {calc_type or 'none'}, distribution {distribution or 'none'}, "
            f"pathology {pathology or 'unknown'}, subtlety {subtlety or 'unknown'}"
        )
        cluster = SourceCluster(
            outline=None,
            members=(),
            distribution=_lookup(distribution, distributions),
            assessment=assessment,
            morphology=_lookup(calc_type, morphologies),
            note=note,
        )
        image = images.get(ids)
        if image is None:
            image = SourceImage(ids=ids, source_file=source, where=where)
            images[ids] = image
        image.masks.append((cluster, mask_loader(source.parent, mask)))
    parsed.images = list(images.values())
    return parsed
