"""Laterality, view and orientation of a mammogram, and how to hang it.

A mammography hanging puts the breasts back to back: the right breast on the left of
the screen with its chest wall on the right of its cell, the left breast on the right
with its chest wall on the left (DOMAIN.md section 1). Patient Orientation (0020,0020)
names the patient direction of increasing column (first value) and increasing row
(second value) (PS3.3 C.7.6.1.1.1): for a right breast the columns should run towards
Posterior, for a left breast towards Anterior; otherwise the image is mirrored, or turned
when it was stored a quarter turn from that (:func:`viewer.core.display_transform.reading_transform`).
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

MAMMO_VIEWS = ("CC", "MLO", "ML", "LM", "XCCL", "XCCM", "FB", "SIO", "ISO", "LMO", "AT", "CV")
"""View Position (0018,5101) defined terms of mammography (PS3.3 C.8.11.7)."""

# View Code Sequence codes (CID 4014) in SNOMED CT and the legacy SNOMED RT form.
_VIEW_CODES = {
    "399162004": "CC",
    "R-10242": "CC",
    "399368009": "MLO",
    "R-10226": "MLO",
    "399260004": "ML",
    "R-10224": "ML",
    "399352003": "LM",
    "R-10228": "LM",
    "399192008": "XCCL",
    "R-1024A": "XCCL",
    "399101009": "XCCM",
    "R-1024B": "XCCM",
    "399196006": "FB",
    "399188001": "SIO",
    "441555000": "ISO",
    "399099002": "LMO",
}

_VIEW_MEANINGS = {
    "cranio-caudal": "CC",
    "medio-lateral oblique": "MLO",
    "medio-lateral": "ML",
    "medial-lateral": "ML",
    "latero-medial": "LM",
    "cranio-caudal exaggerated laterally": "XCCL",
    "cranio-caudal exaggerated medially": "XCCM",
    "caudo-cranial": "FB",
    "latero-medial oblique": "LMO",
    "superolateral to inferomedial oblique": "SIO",
    "inferomedial to superolateral oblique": "ISO",
}

# View Modifier Code Sequence (CID 4015): what the viewer marks beside the view.
_MODIFIER_CODES = {
    "399055006": "SPOT",
    "R-102D2": "SPOT",
    "399163009": "MAG",
    "R-102D6": "MAG",
    "399209000": "ID",
    "R-102D3": "ID",
}


def _text(value: Any) -> str:
    return str(value or "").strip().upper()


def read_laterality(ds: Dataset) -> str | None:
    """``"R"`` or ``"L"`` from Image Laterality, Laterality or Frame Laterality; else None."""
    candidates = [ds.get("ImageLaterality"), ds.get("Laterality")]
    for group in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        groups = ds.get(group)
        if groups:
            anatomy = groups[0].get("FrameAnatomySequence")
            if anatomy:
                candidates.append(anatomy[0].get("FrameLaterality"))
    for value in candidates:
        text = _text(value)
        if text in ("R", "L"):
            return text
    return None


def read_frame_laterality(ds: Dataset, frame: int) -> str | None:
    """``"R"`` or ``"L"`` from the Frame Anatomy of ``frame``'s own Per-frame Functional
    Groups item; None when that frame says nothing of its own (the image's laterality
    applies).
    """
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if not per_frame or not 0 <= frame < len(per_frame):
        return None
    anatomy = per_frame[frame].get("FrameAnatomySequence")
    text = _text(anatomy[0].get("FrameLaterality")) if anatomy else ""
    return text if text in ("R", "L") else None


def read_view(ds: Dataset) -> str | None:
    """The mammographic view (``"CC"``, ``"MLO"``, ...) from View Position or View Code."""
    position = _text(ds.get("ViewPosition"))
    if position in MAMMO_VIEWS:
        return position
    for item in ds.get("ViewCodeSequence") or []:
        code = str(item.get("CodeValue", "") or "").strip()
        if code in _VIEW_CODES:
            return _VIEW_CODES[code]
        meaning = str(item.get("CodeMeaning", "") or "").strip().lower()
        if meaning in _VIEW_MEANINGS:
            return _VIEW_MEANINGS[meaning]
    return None


def read_view_modifiers(ds: Dataset) -> tuple[str, ...]:
    """View modifiers worth showing: ``"SPOT"`` (spot compression), ``"MAG"``, ``"ID"``."""
    found: list[str] = []
    for view in ds.get("ViewCodeSequence") or []:
        for item in view.get("ViewModifierCodeSequence") or []:
            code = str(item.get("CodeValue", "") or "").strip()
            if code in _MODIFIER_CODES and _MODIFIER_CODES[code] not in found:
                found.append(_MODIFIER_CODES[code])
    return tuple(found)


def read_patient_orientation(ds: Dataset) -> tuple[str, str] | None:
    """Patient Orientation as (column direction, row direction), or None when absent."""
    value = ds.get("PatientOrientation")
    if value is None or isinstance(value, str):
        parts = str(value or "").split("\\")
    else:
        parts = [str(v) for v in value]
    parts = [p.strip().upper() for p in parts]
    if len(parts) != 2 or not all(parts):
        return None
    return (parts[0], parts[1])


def view_label(laterality: str | None, view: str | None) -> str:
    """``"RCC"``, ``"LMLO"``; unknown parts as ``"?"`` (``"R?"``, ``"?CC"``)."""
    return f"{laterality or '?'}{view or '?'}"


def mirror_from_tissue(laterality: str | None, left_tissue: float, right_tissue: float) -> bool:
    """Whether to mirror, guessed from where the tissue is: the chest wall side has more.

    ``left_tissue`` and ``right_tissue`` are the fractions of tissue in the left and
    right parts of the stored image.
    """
    if laterality not in ("R", "L") or abs(left_tissue - right_tissue) < 0.05:
        return False
    chest_wall_on_right = right_tissue > left_tissue
    return chest_wall_on_right != (laterality == "R")
