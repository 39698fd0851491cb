"""Which opened images belong to one exam.

An exam is normally one Study Instance UID. Public datasets converted from film break
that: every CBIS-DDSM file has its own Study Instance UID, and the view is folded into
the Patient ID (``Mass-Test_P_00173_LEFT_CC``). Images of different studies are taken
as one exam when they share the patient (the Patient ID without its side and view
words) and the Study Date, and no two of them claim the same view: a screening and a
diagnostic study of one morning stay apart when both hold an RCC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from viewer.dicom.image import MammoImage
from viewer.dicom.view_inference import view_from_text

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


def patient_key(patient_id: str) -> str:
    """The Patient ID with side and view words removed, upper case (``"MASS_TEST_P_00173"``)."""
    kept = [t for t in _SEPARATORS.split(patient_id.upper()) if t and view_from_text(t) == (None, None)]
    kept = [t for t in kept if t not in ("L", "R", "LEFT", "RIGHT")]
    return "_".join(kept)


def _views(images: Sequence[MammoImage]) -> set[str]:
    return {i.view_label for i in images if i.laterality and i.view and not i.view_modifiers}


def group_exams(images: Sequence[MammoImage]) -> list[list[MammoImage]]:
    """The images grouped into exams, in the order first opened (see the module text)."""
    by_study: dict[str, list[MammoImage]] = {}
    for image in images:
        by_study.setdefault(image.study_instance_uid, []).append(image)
    exams: list[list[MammoImage]] = []
    keys: list[tuple[str, str] | None] = []
    for group in by_study.values():
        first = group[0]
        key = (patient_key(first.patient_id), first.study_date) if first.patient_id else None
        target = next(
            (
                exam
                for exam, exam_key in zip(exams, keys, strict=True)
                if key is not None and key[0] and exam_key == key and not (_views(exam) & _views(group))
            ),
            None,
        )
        if target is None:
            exams.append(list(group))
            keys.append(key)
        else:
            target.extend(group)
    return exams
