"""Laterality and view of an image when the header does not say them where it should.

Public datasets and converted films often leave Image Laterality and View Position
empty and put the view somewhere else: CBIS-DDSM writes ``CC`` into Patient
Orientation and ``Mass-Test_P_00173_LEFT_CC`` into Patient ID; other collections name
the file ``RMLO.dcm`` or write ``L CC`` into the Series Description. The sources are
tried in a fixed order, and the weakest one used is recorded so the user sees where a
view came from ("LCC (from file name)"):

1. ``dicom``: Image Laterality / Laterality / Frame Laterality and View Code Sequence /
   View Position (:mod:`viewer.dicom.views`);
2. ``patient_orientation``: a view term written into Patient Orientation (0020,0020);
3. ``description``: Series Description, Protocol Name, Image Comments;
4. ``file_name``: the file name (without its extension), then the Patient ID;
5. ``reader``: set by the reader, saved in the annotation file (applied by the caller).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from viewer.dicom.views import read_laterality, read_view

VIEW_SOURCES = ("dicom", "patient_orientation", "description", "file_name", "reader")
"""Where a view can come from, strongest first (``view_source`` in ``info --json``)."""

SOURCE_CAPTIONS = {
    "patient_orientation": "from Patient Orientation",
    "description": "from the series description",
    "file_name": "from file name",
    "reader": "set by the reader",
}
"""How a source other than the header reads beside the view: ``LCC (from file name)``."""

# Views a free text may name. Short view terms that are also English words or common
# abbreviations (AT, CV, FB) are left out: "at" in a description is not a view.
_TEXT_VIEWS = ("XCCL", "XCCM", "MLO", "LMO", "CC", "ML", "LM")
_SIDES = {"R": "R", "L": "L", "RIGHT": "R", "LEFT": "L", "RT": "R", "LT": "L"}
_COMBINED = re.compile(rf"^(R|L)({'|'.join(_TEXT_VIEWS)})$")
_SPLIT = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class InferredView:
    """Laterality (``"R"``, ``"L"`` or None), view (``"CC"``, ... or None) and their source.

    ``source`` is the weakest source that contributed (None when nothing is known).
    """

    laterality: str | None
    view: str | None
    source: str | None

    @property
    def label(self) -> str | None:
        """``"LCC"`` when both are known, else None."""
        if self.laterality and self.view:
            return f"{self.laterality}{self.view}"
        return None


def view_from_text(text: str) -> tuple[str | None, str | None]:
    """Laterality and view named in a free text (``"LEFT_CC"``, ``"_L_CC_"``, ``"RMLO"``).

    A lone ``R`` or ``L`` counts only beside a view term (``"L CC"``); ``RIGHT`` and
    ``LEFT`` count anywhere. Returns ``(None, None)`` when the text names neither, or
    names both sides or two different views (ambiguous).
    """
    tokens = [t for t in _SPLIT.split(text.upper()) if t]
    sides: set[str] = set()
    views: set[str] = set()
    for i, token in enumerate(tokens):
        combined = _COMBINED.match(token)
        if combined:
            sides.add(combined.group(1))
            views.add(combined.group(2))
        elif token in _TEXT_VIEWS:
            views.add(token)
            for near in (tokens[i - 1] if i > 0 else "", tokens[i + 1] if i + 1 < len(tokens) else ""):
                if near in _SIDES:
                    sides.add(_SIDES[near])
        elif token in ("RIGHT", "LEFT"):
            sides.add(_SIDES[token])
    side = next(iter(sides)) if len(sides) == 1 else None
    view = next(iter(views)) if len(views) == 1 else None
    return side, view


def _orientation_terms(ds: Dataset) -> str:
    """Patient Orientation when it holds view terms rather than directions, else ""."""
    value = ds.get("PatientOrientation")
    if value is None:
        return ""
    parts = [value] if isinstance(value, str) else [str(v) for v in value]
    # A standard Patient Orientation holds only direction letters (A, P, R, L, H, F):
    # those say nothing about the view, and an L there is a direction, not a side.
    if all(set(p.strip().upper()) <= set("APRLHF") for p in parts):
        return ""
    return " ".join(parts)


def _texts(ds: Dataset, path: Path | None) -> list[tuple[str, str]]:
    """(source, text) in the order of trust below the proper attributes."""
    found: list[tuple[str, str]] = [("patient_orientation", _orientation_terms(ds))]
    for keyword in ("SeriesDescription", "ProtocolName", "ImageComments"):
        found.append(("description", str(ds.get(keyword, "") or "")))
    if path is not None:
        found.append(("file_name", path.stem))
    found.append(("file_name", str(ds.get("PatientID", "") or "")))
    return [(source, text) for source, text in found if text.strip()]


def infer_view(ds: Dataset, path: Path | None = None) -> InferredView:
    """Laterality and view of ``ds`` from the first source that names each, and the source used."""
    laterality = read_laterality(ds)
    view = read_view(ds)
    source: str | None = "dicom" if laterality or view else None
    for text_source, text in _texts(ds, path):
        if laterality and view:
            break
        side, named = view_from_text(text)
        used = False
        if laterality is None and side is not None:
            laterality, used = side, True
        if view is None and named is not None:
            view, used = named, True
        if used:
            source = text_source
    return InferredView(laterality, view, source)
