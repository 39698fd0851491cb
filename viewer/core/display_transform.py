"""How an image is turned and mirrored on screen: the eight symmetries of its pixel grid.

A :class:`DisplayTransform` maps stored image coordinates to display coordinates, both
in the convention of :mod:`viewer.core.geometry` (``(x, y)``, x = column, y = row, pixel
centres at integers, rows growing downwards on screen). It is ``turns`` quarter turns
clockwise as seen on screen, then, when ``mirrored``, a left-right mirror. Marks,
outlines and landmarks stay in stored coordinates; only the screen uses display ones.

>>> t = DisplayTransform(turns=1)                      # a quarter turn clockwise
>>> t.display_shape((4, 6))                            # (rows, columns) on screen
(6, 4)
>>> t.map_point((0.0, 0.0), (4, 6))                    # the top-left pixel goes top right
(3.0, 0.0)
>>> t.unmap_point(t.map_point((5.0, 2.0), (4, 6)), (4, 6))
(5.0, 2.0)

:func:`reading_transform` finds the transform that shows a mammogram in the reading
orientation from its Patient Orientation (0020,0020) (PS3.3 C.7.6.1.1.1: the patient
directions of increasing column and of increasing row): the columns run towards
Posterior for a right breast and towards Anterior for a left one, so that the chest
walls meet in the middle of the hanging (DOMAIN.md section 1); the rows run towards the
feet on MLO and lateral views and towards the medial side on CC views (the lateral side
at the top), as :func:`viewer.core.phantom.patient_orientation` stores them. An image
stored a quarter turn from that (e.g. ``R\\P``) is turned, not only mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

Point = tuple[float, float]
Shape = tuple[int, int]
"""``(rows, columns)`` of the stored pixel matrix."""

_OPPOSITE = str.maketrans("APRLHF", "PALRFH")
_Scalar = TypeVar("_Scalar", bound=np.generic)

CC_VIEWS = frozenset({"CC", "XCCL", "XCCM", "FB"})
"""Views whose rows run medial-lateral (the breast seen from above or below)."""


def opposite_direction(direction: str) -> str:
    """The opposite patient direction of a Patient Orientation value (``"AR"`` -> ``"PL"``)."""
    return direction.upper().translate(_OPPOSITE)


def _matrix(turns: int, mirrored: bool) -> tuple[int, int, int, int]:
    """``(a, b, c, d)`` of the linear part: ``(dx', dy') = (a dx + b dy, c dx + d dy)``."""
    a, b, c, d = 1, 0, 0, 1
    for _ in range(turns):
        # clockwise on screen with rows growing downwards: right goes down, down goes left
        a, b, c, d = -c, -d, a, b
    if mirrored:
        a, b = -a, -b
    return (a, b, c, d)


@dataclass(frozen=True)
class DisplayTransform:
    """A quarter-turn rotation and mirror of an image's pixel grid, as shown on screen.

    Parameters
    ----------
    turns
        Quarter turns clockwise on screen, 0-3.
    mirrored
        After the turn, mirrored left-right on screen.
    """

    turns: int = 0
    mirrored: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.turns, bool) or not isinstance(self.turns, int) or not 0 <= self.turns <= 3:
            raise ValueError(f"turns must be an integer 0-3, got {self.turns!r}")
        if not isinstance(self.mirrored, bool):
            raise ValueError(f"mirrored must be a bool, got {self.mirrored!r}")

    @staticmethod
    def all() -> tuple[DisplayTransform, ...]:
        """The eight transforms."""
        return tuple(DisplayTransform(t, m) for m in (False, True) for t in range(4))

    @property
    def is_identity(self) -> bool:
        return self.turns == 0 and not self.mirrored

    @property
    def swaps_axes(self) -> bool:
        """True when the stored rows run along the screen's x axis (an odd number of turns)."""
        return self.turns % 2 == 1

    @property
    def matrix(self) -> tuple[int, int, int, int]:
        """The linear part ``(a, b, c, d)``: a stored step ``(dx, dy)`` shows as
        ``(a dx + b dy, c dx + d dy)``."""
        return _matrix(self.turns, self.mirrored)

    @classmethod
    def from_matrix(cls, matrix: tuple[int, int, int, int]) -> DisplayTransform:
        """The transform with the linear part ``matrix``; ValueError if it is none of the eight."""
        for t in cls.all():
            if t.matrix == tuple(matrix):
                return t
        raise ValueError(f"matrix must be a quarter turn or mirror of the grid, got {matrix!r}")

    def then(self, after: DisplayTransform) -> DisplayTransform:
        """``self`` followed by ``after`` (``after`` acts on what ``self`` shows)."""
        a, b, c, d = self.matrix
        p, q, r, s = after.matrix
        return DisplayTransform.from_matrix((p * a + q * c, p * b + q * d, r * a + s * c, r * b + s * d))

    def inverse(self) -> DisplayTransform:
        """The transform that undoes this one."""
        a, b, c, d = self.matrix
        return DisplayTransform.from_matrix((a, c, b, d))  # orthogonal: the transpose

    def rotated_clockwise(self) -> DisplayTransform:
        """This, then a quarter turn clockwise on screen."""
        return self.then(DisplayTransform(1))

    def rotated_counterclockwise(self) -> DisplayTransform:
        """This, then a quarter turn counter-clockwise on screen."""
        return self.then(DisplayTransform(3))

    def flipped_horizontally(self) -> DisplayTransform:
        """This, then mirrored left-right on screen."""
        return self.then(DisplayTransform(0, True))

    def flipped_vertically(self) -> DisplayTransform:
        """This, then mirrored top-bottom on screen (a half turn and a left-right mirror)."""
        return self.then(DisplayTransform(2, True))

    # -- points --------------------------------------------------------------------------
    def display_shape(self, shape: Shape) -> Shape:
        """``(rows, columns)`` of the picture on screen for a stored ``(rows, columns)``."""
        rows, cols = shape
        return (cols, rows) if self.swaps_axes else (rows, cols)

    def map_point(self, point: Point, shape: Shape) -> Point:
        """The display position of stored ``point`` of an image of ``shape``."""
        rows, cols = shape
        out_rows, out_cols = self.display_shape(shape)
        dx, dy = point[0] - (cols - 1) / 2, point[1] - (rows - 1) / 2
        a, b, c, d = self.matrix
        return (a * dx + b * dy + (out_cols - 1) / 2, c * dx + d * dy + (out_rows - 1) / 2)

    def unmap_point(self, point: Point, shape: Shape) -> Point:
        """The stored position of display ``point`` of an image stored with ``shape``."""
        return self.inverse().map_point(point, self.display_shape(shape))

    def map_points(self, points: np.ndarray, shape: Shape) -> np.ndarray:
        """:meth:`map_point` of an N x 2 array of ``(x, y)``."""
        rows, cols = shape
        out_rows, out_cols = self.display_shape(shape)
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        dx, dy = p[:, 0] - (cols - 1) / 2, p[:, 1] - (rows - 1) / 2
        a, b, c, d = self.matrix
        return np.column_stack([a * dx + b * dy + (out_cols - 1) / 2, c * dx + d * dy + (out_rows - 1) / 2])

    def apply_to_array(self, array: NDArray[_Scalar]) -> NDArray[_Scalar]:
        """The pixel matrix as shown: ``out[y', x']`` is ``array[y, x]`` at the mapped position.

        A view (no copy) when numpy can give one.
        """
        out: NDArray[_Scalar] = np.rot90(array, k=-self.turns)  # np.rot90 turns counter-clockwise for k > 0
        return out[:, ::-1] if self.mirrored else out

    # -- patient directions ----------------------------------------------------------------
    def display_orientation(self, orientation: tuple[str, str]) -> tuple[str, str]:
        """Patient Orientation as shown: the directions of the screen's +x and +y.

        ``orientation`` is the stored one (direction of increasing column, of increasing row).
        """
        col, row = orientation[0].upper(), orientation[1].upper()
        a, b, c, d = self.matrix
        # the stored step that shows as +x is the first row of the inverse (the transpose)

        def along(sx: int, sy: int) -> str:
            return (
                (col if sx > 0 else opposite_direction(col))
                if sx
                else (row if sy > 0 else opposite_direction(row))
            )

        return (along(a, b), along(c, d))

    def describe(self) -> str:
        """The transform in words: "turned 90° clockwise and mirrored", or "as stored"."""
        turned = {0: "", 1: "turned 90° clockwise", 2: "turned 180°", 3: "turned 90° counter-clockwise"}
        words = [w for w in (turned[self.turns], "mirrored left-right" if self.mirrored else "") if w]
        return " and ".join(words) if words else "as stored"


_LEAST_CHANGE = tuple(
    DisplayTransform(t, m == 1) for t, m in ((0, 0), (0, 1), (2, 0), (2, 1), (1, 0), (3, 0), (1, 1), (3, 1))
)
"""The eight transforms from the least change of the picture to the most (a mirror is the usual hanging)."""


def reading_transform(
    laterality: str | None, view: str | None, orientation: tuple[str, str] | None
) -> DisplayTransform | None:
    """The transform that hangs an image in the reading orientation, from Patient Orientation.

    The columns must run towards Posterior for a right breast, Anterior for a left one
    (the chest wall on the cell's side facing the other breast). Of the two transforms
    that do that, the one whose rows run towards the feet (MLO, lateral and other views)
    or towards the medial side (CC views: the lateral side at the top) is taken; when the
    rows say neither, the one that changes the image least. None when the side is unknown,
    Patient Orientation is absent or names no anterior-posterior direction.
    """
    if laterality not in ("R", "L") or orientation is None:
        return None
    if not any(d[:1] in ("A", "P") for d in orientation):
        return None
    wanted_col = "P" if laterality == "R" else "A"
    head_foot = any(letter in d for d in orientation for letter in "HF")
    cc_like = view in CC_VIEWS or (view is None and not head_foot)
    wanted_row = ("R" if laterality == "L" else "L") if cc_like else "F"

    def score(t: DisplayTransform) -> tuple[int, int]:
        row = t.display_orientation(orientation)[1]
        fit = 2 if row[:1] == wanted_row else 1 if wanted_row in row else 0
        return (fit, -_LEAST_CHANGE.index(t))

    fitting = [t for t in DisplayTransform.all() if t.display_orientation(orientation)[0][:1] == wanted_col]
    if not fitting:
        return None
    return max(fitting, key=score)


def reading_note(orientation: tuple[str, str] | None, transform: DisplayTransform) -> str | None:
    """What the screen says when the hanging turns the image, not only mirrors it; else None."""
    if orientation is None or transform.turns == 0:
        return None
    stored = f"Patient Orientation {orientation[0]}\\{orientation[1]}"
    if transform.swaps_axes:
        return f"{stored}: stored a quarter turn from the reading orientation; {transform.describe()} to read"
    return f"{stored}: stored upside down; {transform.describe()} to read"
