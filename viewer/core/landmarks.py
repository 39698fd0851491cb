"""Where the nipple and the chest wall are on one mammogram: the frame a finding's location is given in.

A finding's place is reported relative to the nipple (DOMAIN.md section 6): its distance
from the nipple in mm, and its depth, the third (anterior, middle, posterior) of the line
from the nipple back to the chest wall it lies in. On CC that line runs from the nipple
perpendicular to the chest wall edge of the image; on MLO it is the posterior nipple
line, from the nipple perpendicular to the pectoral muscle's edge.

Points are ``(x, y)`` pixels of the stored image (x = column, y = row, pixel centres at
integers, :mod:`viewer.core.geometry`). Perpendiculars are taken in millimetres, so they
stay perpendicular on anisotropic pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

import numpy as np

from viewer.core.geometry import Point, Spacing


class LandmarkSource(str, Enum):
    """Who placed a landmark."""

    FOUND = "found"
    """Found by the program from the image (:mod:`viewer.core.nipple_detect`)."""
    READER = "reader"
    """Placed or corrected by the reader (a drag)."""


class ChestWall(str, Enum):
    """What the chest wall line is."""

    IMAGE_EDGE = "image_edge"
    """The image edge on the chest wall side (CC; MLO when no pectoral muscle was found)."""
    PECTORAL = "pectoral_muscle"
    """The pectoral muscle's edge on MLO."""


@dataclass(frozen=True)
class Landmarks:
    """The nipple and the chest wall line of one image.

    Parameters
    ----------
    nipple
        ``(x, y)`` of the nipple.
    chest_wall
        Two distinct points ``(x, y)`` on the chest wall line.
    chest_wall_kind
        The image edge or the pectoral muscle's edge.
    source
        Whether the nipple was found by the program or placed by the reader.
    note
        Why a fallback was taken (e.g. "pectoral muscle not found: the image edge is used"), or "".
    """

    nipple: Point
    chest_wall: tuple[Point, Point]
    chest_wall_kind: ChestWall = ChestWall.IMAGE_EDGE
    source: LandmarkSource = LandmarkSource.FOUND
    note: str = ""

    def __post_init__(self) -> None:
        points = [self.nipple, *self.chest_wall]
        if len(self.chest_wall) != 2 or not all(
            len(p) == 2 and all(math.isfinite(float(v)) for v in p) for p in points
        ):
            raise ValueError(f"nipple and chest_wall must be finite (x, y) points, got {self!r}")
        (ax, ay), (bx, by) = self.chest_wall
        if ax == bx and ay == by:
            raise ValueError(f"chest_wall needs two distinct points, got {self.chest_wall!r}")
        object.__setattr__(self, "nipple", (float(self.nipple[0]), float(self.nipple[1])))

    def with_nipple(self, nipple: Point) -> Landmarks:
        """The same chest wall, the nipple where the reader put it."""
        return replace(self, nipple=(float(nipple[0]), float(nipple[1])), source=LandmarkSource.READER)

    def posterior_point(self, spacing: Spacing) -> Point:
        """Where the nipple's perpendicular meets the chest wall line (the far end of the depth line).

        The perpendicular is taken in mm (``spacing``; pixels when uncalibrated).
        """
        scale = spacing.scale() if spacing.calibrated else np.ones(2)
        n = np.asarray(self.nipple) * scale
        a = np.asarray(self.chest_wall[0]) * scale
        b = np.asarray(self.chest_wall[1]) * scale
        d = b - a
        t = float(np.dot(n - a, d) / np.dot(d, d))
        foot = (a + t * d) / scale
        return (float(foot[0]), float(foot[1]))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: points as ``[x, y]``."""
        return {
            "nipple": [self.nipple[0], self.nipple[1]],
            "chest_wall": [[p[0], p[1]] for p in self.chest_wall],
            "chest_wall_kind": self.chest_wall_kind.value,
            "source": self.source.value,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Landmarks:
        """Inverse of :meth:`to_dict`."""
        a, b = data["chest_wall"]
        return cls(
            (float(data["nipple"][0]), float(data["nipple"][1])),
            ((float(a[0]), float(a[1])), (float(b[0]), float(b[1]))),
            ChestWall(data.get("chest_wall_kind", ChestWall.IMAGE_EDGE.value)),
            LandmarkSource(data.get("source", LandmarkSource.FOUND.value)),
            str(data.get("note", "")),
        )
