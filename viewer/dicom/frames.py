"""The functional group macros that apply to one frame of an enhanced multi-frame image.

Enhanced images (Breast Tomosynthesis, Enhanced MG, ...) move per-frame attributes out
of the top level into functional groups (PS3.3 C.7.6.16): each item of Per-frame
Functional Groups Sequence (5200,9230) describes one frame, the single item of Shared
Functional Groups Sequence (5200,9229) all of them. A macro (Pixel Measures, Pixel Value
Transformation, Frame VOI LUT, Frame Anatomy) found in the frame's own item wins over
the shared one, which wins over the top level of a file that is not really enhanced.

Attributes that an enhanced IOD files in a macro this module does not name (Imager Pixel
Spacing, the magnification, the source distances of the X-Ray geometry and acquisition
macros) are found by :func:`frame_value`, which looks through every macro of the frame.
"""

from __future__ import annotations

from pydicom.dataset import Dataset


def functional_groups(ds: Dataset, frame: int) -> list[Dataset]:
    """The functional group items that describe ``frame`` (0-based): its own, then the shared one."""
    groups = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and 0 <= frame < len(per_frame):
        groups.append(per_frame[frame])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    return groups


def frame_macro(ds: Dataset, frame: int, sequence: str, keyword: str | None = None) -> Dataset | None:
    """The first item of functional group ``sequence`` for ``frame``, or None.

    Parameters
    ----------
    ds
        The image's dataset.
    frame
        0-based frame number.
    sequence
        The macro's sequence keyword, e.g. ``"PixelMeasuresSequence"``.
    keyword
        When given, an item counts only if it holds this attribute (a per-frame item
        without it falls back to the shared one).
    """
    for group in functional_groups(ds, frame):
        items = group.get(sequence)
        if items and (keyword is None or keyword in items[0]):
            item: Dataset = items[0]
            return item
    return None


def frame_value(ds: Dataset, frame: int, keyword: str) -> object | None:
    """``keyword``'s value for ``frame``: in any macro of the frame's own functional groups,
    then of the shared ones, then at the top level; None when none has it.

    A macro is a sequence attribute of a functional group item (PS3.3 C.7.6.16); its first
    item is searched, one level deep, as the standard nests these attributes.
    """
    for group in functional_groups(ds, frame):
        for element in group:
            if element.VR != "SQ" or not element.value:
                continue
            found: object = element.value[0].get(keyword)
            if found not in (None, ""):
                return found
    value: object = ds.get(keyword)
    return None if value in (None, "") else value


def has_functional_groups(ds: Dataset) -> bool:
    """True for an enhanced image (per-frame or shared functional groups present)."""
    return bool(ds.get("PerFrameFunctionalGroupsSequence") or ds.get("SharedFunctionalGroupsSequence"))
