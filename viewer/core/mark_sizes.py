"""Sizes and grey-level statistics of one outlined calcification.

Coordinates are ``(x, y)`` pixels of the stored image (x = column, y = row, pixel
centres at integers); millimetres are computed with the spacing named beside them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from viewer.core.geometry import Point, Spacing, feret, polygon_area


@dataclass(frozen=True)
class Sizes:
    """Sizes of one outline, in pixels and (when calibrated) in mm, with the spacing used.

    ``long_axis`` is the greatest diameter (max Feret); ``short_axis`` is the extent
    perpendicular to it. With anisotropic pixels both are judged in mm, so the mm and px
    long axes may come from different directions.
    """

    long_axis_px: float
    short_axis_px: float
    area_px: float
    long_axis_mm: float | None
    short_axis_mm: float | None
    area_mm2: float | None
    long_axis_endpoints: tuple[Point, Point]
    spacing: Spacing

    def __post_init__(self) -> None:
        # an outline of absurd coordinates measures as infinity, which no annotation file holds
        for name in ("long_axis_px", "short_axis_px", "area_px", "long_axis_mm", "short_axis_mm", "area_mm2"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"Sizes.{name} must be a finite number, got {value!r}")
        if not all(math.isfinite(v) for point in self.long_axis_endpoints for v in point):
            raise ValueError(f"Sizes.long_axis_endpoints must be finite, got {self.long_axis_endpoints!r}")

    @classmethod
    def of_outline(cls, outline: Iterable[Point], spacing: Spacing) -> Sizes:
        """Measure a closed outline polygon with the given spacing.

        Raises ``ValueError`` when a size is not a finite number (vertices ~1e308 apart).
        """
        pts = np.asarray(list(outline), dtype=np.float64).reshape(-1, 2)
        if pts.shape[0] == 0:
            raise ValueError("outline must have at least one vertex")
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by __post_init__
            return cls._measure(pts, spacing)

    @classmethod
    def _measure(cls, pts: np.ndarray, spacing: Spacing) -> Sizes:
        px = feret(pts)
        area_px = polygon_area(pts)
        if spacing.calibrated:
            scale = spacing.scale()
            mm = feret(pts * scale)
            ends = (
                (float(mm.p1[0] / scale[0]), float(mm.p1[1] / scale[1])),
                (float(mm.p2[0] / scale[0]), float(mm.p2[1] / scale[1])),
            )
            return cls(
                px.long_axis,
                px.short_axis,
                area_px,
                mm.long_axis,
                mm.short_axis,
                spacing.area_mm2(area_px),
                ends,
                spacing,
            )
        return cls(px.long_axis, px.short_axis, area_px, None, None, None, (px.p1, px.p2), spacing)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; mm values are ``None`` when uncalibrated."""
        return {
            "long_axis_px": self.long_axis_px,
            "short_axis_px": self.short_axis_px,
            "area_px": self.area_px,
            "long_axis_mm": self.long_axis_mm,
            "short_axis_mm": self.short_axis_mm,
            "area_mm2": self.area_mm2,
            "long_axis_endpoints": [list(self.long_axis_endpoints[0]), list(self.long_axis_endpoints[1])],
            "spacing_source": self.spacing.source.value,
            "spacing_label": self.spacing.label,
        }


@dataclass(frozen=True)
class Intensity:
    """Grey-level statistics of a segmented calcification, in modality values."""

    peak: float
    mean: float
    background: float
    contrast: float
    """``mean - background`` in modality units, sign-normalised so that brighter-than-tissue
    on screen is positive whatever the photometric interpretation."""

    def to_dict(self) -> dict[str, float]:
        return {
            "peak": self.peak,
            "mean": self.mean,
            "background": self.background,
            "contrast": self.contrast,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intensity:
        return cls(
            float(data["peak"]), float(data["mean"]), float(data["background"]), float(data["contrast"])
        )
