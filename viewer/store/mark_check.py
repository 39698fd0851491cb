"""A check of one mark of a sidecar, written out for the schema's ``calcification`` definition.

The compiled validator (:mod:`viewer.store.schema`) takes ~35 us a mark, most of it naming
each of the ~20 points it looks at; :func:`plain_mark` takes a few, with whole outlines
checked by C loops (``map``, ``set``). It is one-sided: True only for a mark the schema
accepts as parsed JSON (lists, ``int``/``float``/``str``/``None``, no ``bool`` where a number
is wanted); anything else, including what the schema would accept in another form (tuples,
numpy numbers), is False and goes to the compiled validator. ``tests/store/test_mark_check.py``
holds it to jsonschema on every mark one change from the shipped example's, and fails when the
definition changes (:data:`DEFINITION_DIGEST`), so that the two are revised together.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any

DEFINITION_DIGEST = "24399a956159ceaa666d8c730e83f41e74073fea2775d7941a050fd06eae422f"
"""SHA-256 of the ``calcification`` definition and those it refers to, as this check reads them."""

_NUMBER = frozenset({int, float})
_MARK_KEYS = frozenset(
    {
        "id",
        "center",
        "outline",
        "sizes",
        "intensity",
        "morphology",
        "reader",
        "created",
        "modified",
        "imported",
    }
)
_MARK_REQUIRED = frozenset({"id", "center", "outline", "sizes"})
_SIZES_KEYS = frozenset(
    {
        "long_axis_px",
        "short_axis_px",
        "area_px",
        "long_axis_mm",
        "short_axis_mm",
        "area_mm2",
        "long_axis_endpoints",
        "spacing",
    }
)
_SPACING_KEYS = frozenset({"row_mm", "col_mm", "source", "label", "ermf", "calibration_type", "note"})
_SPACING_REQUIRED = frozenset({"row_mm", "col_mm", "source", "label"})
_SOURCES = frozenset(
    {
        "pixel_spacing",
        "imager_pixel_spacing_ermf",
        "imager_pixel_spacing_sid_sod",
        "imager_pixel_spacing",
        "manual",
        "none",
    }
)
_INTENSITY_KEYS = frozenset({"peak", "mean", "background", "contrast"})
# the schema's timestamp pattern; jsonschema and fastjsonschema both apply it with re.search
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00))?$")


def _point(p: Any) -> bool:
    return type(p) is list and len(p) == 2 and type(p[0]) in _NUMBER and type(p[1]) in _NUMBER


def _points(v: Any, least: int) -> bool:
    """A list of at least ``least`` points, each checked by C loops over the whole list."""
    return (
        type(v) is list
        and len(v) >= least
        and set(map(type, v)) == {list}
        and set(map(len, v)) == {2}
        and set(map(type, chain.from_iterable(v))) <= _NUMBER
    )


def _size(v: Any) -> bool:
    return type(v) in _NUMBER and v >= 0


def _optional_size(v: Any) -> bool:
    return v is None or (type(v) in _NUMBER and v >= 0)


def _spacing_value(v: Any) -> bool:
    return v is None or (type(v) in _NUMBER and v > 0)


def _spacing(d: Any) -> bool:
    if type(d) is not dict:
        return False
    keys = d.keys()
    if not (keys >= _SPACING_REQUIRED and keys <= _SPACING_KEYS):
        return False
    ermf, kind, note = d.get("ermf"), d.get("calibration_type"), d.get("note", "")
    return (
        _spacing_value(d["row_mm"])
        and _spacing_value(d["col_mm"])
        and type(d["source"]) is str
        and d["source"] in _SOURCES
        and type(d["label"]) is str
        and (ermf is None or type(ermf) in _NUMBER)
        and (kind is None or type(kind) is str)
        and type(note) is str
    )


def _sizes(d: Any) -> bool:
    if type(d) is not dict or d.keys() != _SIZES_KEYS:
        return False
    ends = d["long_axis_endpoints"]
    return (
        _size(d["long_axis_px"])
        and _size(d["short_axis_px"])
        and _size(d["area_px"])
        and _optional_size(d["long_axis_mm"])
        and _optional_size(d["short_axis_mm"])
        and _optional_size(d["area_mm2"])
        and type(ends) is list
        and len(ends) == 2
        and _point(ends[0])
        and _point(ends[1])
        and _spacing(d["spacing"])
    )


def _intensity(d: Any) -> bool:
    return d is None or (
        type(d) is dict and d.keys() == _INTENSITY_KEYS and set(map(type, d.values())) <= _NUMBER
    )


def _timestamp(v: Any, seen: set[str]) -> bool:
    if type(v) is not str:
        return False
    if v in seen:
        return True
    if _TIMESTAMP.search(v) is None:
        return False
    seen.add(v)
    return True


def plain_mark(mark: Any, seen: set[str]) -> bool:
    """True only when ``mark`` (parsed JSON) is valid against ``#/definitions/calcification``.

    ``seen`` holds timestamps already found well-formed (most marks of a file share a few);
    the caller keeps one set for a document.
    """
    if type(mark) is not dict:
        return False
    keys = mark.keys()
    if not (keys >= _MARK_REQUIRED and keys <= _MARK_KEYS):
        return False
    ident, outline, sizes = mark["id"], mark["outline"], mark["sizes"]
    morphology = mark.get("morphology")
    return (
        type(ident) is str
        and len(ident) >= 1
        and _point(mark["center"])
        and (outline is None or _points(outline, 3))
        and (sizes is None or _sizes(sizes))
        and _intensity(mark.get("intensity"))
        and (morphology is None or type(morphology) is str)
        and type(mark.get("reader", "")) is str
        and _timestamp(mark.get("created", ""), seen)
        and _timestamp(mark.get("modified", ""), seen)
        and type(mark.get("imported", "")) is str
    )
