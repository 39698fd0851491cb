"""Where a finding is in the breast: nipple distance, depth third, clock face and quadrant.

DOMAIN.md section 6. On one view a finding has a distance from the nipple (mm, with the
spacing it was computed with) and a depth: where its projection falls on the line from
the nipple to the chest wall (:meth:`viewer.core.landmarks.Landmarks.posterior_point`),
as a fraction (0 at the nipple, 1 at the chest wall) and as a third (anterior, middle,
posterior). A clock position needs two views: CC shows how far towards the patient's
left or right the finding lies from the nipple, MLO (roughly) how far up or down.

The clock is read as the radiologist faces the patient: 12 o'clock superior, 6 inferior,
3 o'clock towards the patient's left, 9 towards the patient's right. So on the right
breast 9 o'clock is lateral and 3 medial; on the left breast 3 is lateral and 9 medial.

Image directions come from Patient Orientation (0020,0020): the patient direction of
increasing column and of increasing row, letters of ``A P R L H F`` (PS3.3 C.7.6.1.1.1);
an oblique direction (``"FR"``) shares the offset between its letters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from viewer.core.geometry import Point, Spacing
from viewer.core.landmarks import Landmarks

BAND_MM = 10.0
"""Half width of the band on the other view where the same finding should be (+-1 cm)."""
CENTRAL_RADIUS_MM = 10.0
"""A finding this close to the nipple axis is central or retroareolar, not in a quadrant."""
RETROAREOLAR_MM = 30.0
"""Central findings within this distance of the nipple are retroareolar."""


class Depth(str, Enum):
    """The third of the nipple-to-chest-wall line a finding lies in."""

    ANTERIOR = "anterior"
    MIDDLE = "middle"
    POSTERIOR = "posterior"

    @classmethod
    def of_fraction(cls, fraction: float) -> Depth:
        """The third of a depth fraction (0 at the nipple, 1 at the chest wall)."""
        if fraction < 1.0 / 3.0:
            return cls.ANTERIOR
        if fraction < 2.0 / 3.0:
            return cls.MIDDLE
        return cls.POSTERIOR


@dataclass(frozen=True)
class ViewLocation:
    """Where a point lies on one view, relative to that view's nipple."""

    nipple_distance_px: float
    nipple_distance_mm: float | None
    depth_fraction: float
    depth: Depth
    spacing: Spacing

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; the mm value carries the spacing's source and label."""
        return {
            "nipple_distance_mm": self.nipple_distance_mm,
            "nipple_distance_px": self.nipple_distance_px,
            "depth": self.depth.value,
            "depth_fraction": self.depth_fraction,
            "spacing_source": self.spacing.source.value,
            "spacing_label": self.spacing.label,
        }


def _scale(spacing: Spacing) -> np.ndarray[Any, np.dtype[np.float64]]:
    return spacing.scale() if spacing.calibrated else np.ones(2, dtype=np.float64)


def locate(point: Point, landmarks: Landmarks, spacing: Spacing) -> ViewLocation:
    """Nipple distance and depth of ``point`` on the view whose landmarks these are.

    The depth fraction is the projection of nipple->point on nipple->chest wall, in mm,
    clipped to [0, 1] (a finding beside the nipple is anterior, one behind the
    pectoral edge posterior).
    """
    scale = _scale(spacing)
    n = np.asarray(landmarks.nipple) * scale
    p = np.asarray(point, dtype=np.float64) * scale
    back = np.asarray(landmarks.posterior_point(spacing)) * scale - n
    length = float(np.hypot(*back))
    fraction = float(np.dot(p - n, back) / length**2) if length > 0 else 0.0
    fraction = min(max(fraction, 0.0), 1.0)
    px = float(math.hypot(point[0] - landmarks.nipple[0], point[1] - landmarks.nipple[1]))
    return ViewLocation(
        px, spacing.distance_mm(landmarks.nipple, point), fraction, Depth.of_fraction(fraction), spacing
    )


def patient_offset(delta_mm: tuple[float, float], orientation: tuple[str, str]) -> dict[str, float]:
    """An image offset ``(dx, dy)`` in mm as patient directions ``{"left", "up", "anterior"}`` in mm.

    ``orientation`` is Patient Orientation: the directions of increasing column and row.
    """
    out = {"left": 0.0, "up": 0.0, "anterior": 0.0}
    signs = {"L": ("left", 1.0), "R": ("left", -1.0), "H": ("up", 1.0), "F": ("up", -1.0)}
    signs |= {"A": ("anterior", 1.0), "P": ("anterior", -1.0)}
    for component, letters in zip(delta_mm, orientation, strict=True):
        known = [c for c in letters.upper() if c in signs]
        for letter in known:
            axis, sign = signs[letter]
            out[axis] += sign * component / math.sqrt(len(known))
    return out


def clock_hour(to_left_mm: float, up_mm: float) -> float:
    """The clock position (in hours, ``0 < h <= 12``) of an offset from the nipple, facing the patient."""
    degrees = math.degrees(math.atan2(to_left_mm, up_mm)) % 360.0
    hour = degrees / 30.0
    return 12.0 if hour == 0.0 else hour


def clock_label(hour: float) -> str:
    """``"2 o'clock"``: the nearest whole hour."""
    whole = round(hour) % 12
    return f"{whole or 12} o'clock"


def quadrant(laterality: str, to_left_mm: float, up_mm: float, nipple_distance_mm: float) -> str:
    """``"UOQ"``, ``"UIQ"``, ``"LOQ"``, ``"LIQ"``, ``"central"`` or ``"retroareolar"``."""
    if laterality not in ("R", "L"):
        raise ValueError(f"laterality must be 'R' or 'L', got {laterality!r}")
    if math.hypot(to_left_mm, up_mm) < CENTRAL_RADIUS_MM:
        return "retroareolar" if nipple_distance_mm <= RETROAREOLAR_MM else "central"
    outer = to_left_mm > 0 if laterality == "L" else to_left_mm < 0
    return ("U" if up_mm >= 0 else "L") + ("O" if outer else "I") + "Q"


@dataclass(frozen=True)
class FindingPosition:
    """One finding seen on CC and MLO: where a radiologist says it is."""

    laterality: str
    clock_hour: float
    quadrant: str
    nipple_distance_mm: float | None
    depth: Depth
    cc: ViewLocation
    mlo: ViewLocation

    @property
    def description(self) -> str:
        """``"left breast, 2 o'clock, 6.1 cm from the nipple, middle depth"``."""
        side = {"R": "right", "L": "left"}[self.laterality]
        parts = [f"{side} breast", clock_label(self.clock_hour)]
        if self.quadrant in ("central", "retroareolar"):
            parts[1] = self.quadrant
        if self.nipple_distance_mm is not None:
            parts.append(f"{self.nipple_distance_mm / 10.0:.1f} cm from the nipple")
        parts.append(f"{self.depth.value} depth")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "laterality": self.laterality,
            "clock_hour": self.clock_hour,
            "clock": clock_label(self.clock_hour),
            "quadrant": self.quadrant,
            "nipple_distance_mm": self.nipple_distance_mm,
            "depth": self.depth.value,
            "description": self.description,
            "cc": self.cc.to_dict(),
            "mlo": self.mlo.to_dict(),
        }


@dataclass(frozen=True)
class ViewPoint:
    """A finding's centre on one view with what is needed to place it."""

    point: Point
    landmarks: Landmarks
    spacing: Spacing
    orientation: tuple[str, str]


def _offset_mm(v: ViewPoint) -> tuple[float, float]:
    d = np.subtract(v.point, v.landmarks.nipple) * _scale(v.spacing)
    return (float(d[0]), float(d[1]))


def finding_position(laterality: str, cc: ViewPoint, mlo: ViewPoint) -> FindingPosition:
    """Clock face, quadrant, nipple distance and depth of a finding linked across CC and MLO.

    Left-right comes from CC, up-down from MLO; the nipple distance is the mean of the two
    views' (mm when both are calibrated), the depth the third of the mean depth fraction.
    """
    to_left = patient_offset(_offset_mm(cc), cc.orientation)["left"]
    up = patient_offset(_offset_mm(mlo), mlo.orientation)["up"]
    at_cc = locate(cc.point, cc.landmarks, cc.spacing)
    at_mlo = locate(mlo.point, mlo.landmarks, mlo.spacing)
    both = (at_cc.nipple_distance_mm, at_mlo.nipple_distance_mm)
    distance = None if None in both else (float(both[0] or 0.0) + float(both[1] or 0.0)) / 2.0
    fraction = (at_cc.depth_fraction + at_mlo.depth_fraction) / 2.0
    radial = distance if distance is not None else (at_cc.nipple_distance_px + at_mlo.nipple_distance_px) / 2
    return FindingPosition(
        laterality,
        clock_hour(to_left, up),
        quadrant(laterality, to_left, up, radial),
        distance,
        Depth.of_fraction(fraction),
        at_cc,
        at_mlo,
    )


def nipple_band(distance_mm: float, band_mm: float = BAND_MM) -> tuple[float, float]:
    """Inner and outer radius (mm from the nipple) of the band to look in for a finding at ``distance_mm``."""
    return (max(distance_mm - band_mm, 0.0), distance_mm + band_mm)
