"""The columns of the marks panel and the texts of a mark's row (sizes with their spacing)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from viewer.core.annotations import Calcification

ROLE_KEY = Qt.ItemDataRole.UserRole
ROLE_ID = Qt.ItemDataRole.UserRole + 1
ROLE_KIND = Qt.ItemDataRole.UserRole + 2

COLUMNS = (
    "Mark",
    "Long axis",
    "Short axis",
    "Area",
    "Morphology",
    "Spacing source",
    "Distribution",
    "Assessment",
    "Recommendation",
    "Note",
)
"""A mark's own fields first, then a cluster's: each field in its own column."""
COLUMN = {name: i for i, name in enumerate(COLUMNS)}


def count_text(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def area_text(calc: Calcification) -> str:
    if calc.sizes is None:
        return "not measured"
    if calc.sizes.area_mm2 is not None:
        return f"{calc.sizes.area_mm2:.3f} mm²"
    return f"{calc.sizes.area_px:.1f} px²"


def short_text(calc: Calcification) -> str:
    if calc.sizes is None:
        return "not measured"
    s = calc.sizes
    return s.spacing.format_length(s.short_axis_mm, s.short_axis_px)


def long_text(calc: Calcification) -> str:
    if calc.sizes is None:
        return "not measured"
    s = calc.sizes
    return s.spacing.format_length(s.long_axis_mm, s.long_axis_px)
