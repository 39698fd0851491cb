"""Tests for viewer.core.display_transform: the eight turns and mirrors, and the reading orientation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.core.display_transform import (
    DisplayTransform,
    opposite_direction,
    reading_note,
    reading_transform,
)
from viewer.core.phantom import patient_orientation

transforms = st.builds(DisplayTransform, st.integers(0, 3), st.booleans())
shapes = st.tuples(st.integers(1, 40), st.integers(1, 40))
coords = st.floats(-100, 100, allow_nan=False)


class TestDisplayTransform:
    def test_validates(self) -> None:
        """A turn outside 0-3 or a mirror that is not a bool is refused, naming the argument."""
        with pytest.raises(ValueError, match="turns"):
            DisplayTransform(4)
        with pytest.raises(ValueError, match="mirrored"):
            DisplayTransform(0, 1)  # type: ignore[arg-type]

    def test_eight_distinct(self) -> None:
        """The eight transforms have eight different matrices."""
        assert len({t.matrix for t in DisplayTransform.all()}) == 8

    def test_clockwise_on_screen(self) -> None:
        """A quarter turn clockwise: the top-left pixel goes top right, the top-right one bottom right."""
        t = DisplayTransform(1)
        assert t.map_point((0, 0), (3, 5)) == (2.0, 0.0)
        assert t.map_point((4, 0), (3, 5)) == (2.0, 4.0)

    @given(transforms, transforms, transforms)
    def test_group_laws(self, a: DisplayTransform, b: DisplayTransform, c: DisplayTransform) -> None:
        """Composition is associative, the identity is neutral and every transform has an inverse."""
        assert a.then(b).then(c) == a.then(b.then(c))
        assert a.then(DisplayTransform()) == a == DisplayTransform().then(a)
        assert a.then(a.inverse()).is_identity and a.inverse().then(a).is_identity

    @given(transforms, transforms, shapes, coords, coords)
    def test_composed_maps_compose(
        self, a: DisplayTransform, b: DisplayTransform, shape: tuple[int, int], x: float, y: float
    ) -> None:
        """Mapping by ``a.then(b)`` is mapping by ``a``, then by ``b`` on what ``a`` shows."""
        shown = b.map_point(a.map_point((x, y), shape), a.display_shape(shape))
        assert a.then(b).map_point((x, y), shape) == pytest.approx(shown)

    @given(transforms, shapes, coords, coords)
    def test_round_trip(self, t: DisplayTransform, shape: tuple[int, int], x: float, y: float) -> None:
        """A point mapped to the screen and back is the stored point."""
        assert t.unmap_point(t.map_point((x, y), shape), shape) == pytest.approx((x, y))
        many = np.array([[x, y], [y, x]])
        assert t.map_points(many, shape) == pytest.approx(
            np.array([t.map_point(tuple(p), shape) for p in many])
        )

    @given(transforms, shapes)
    def test_array_agrees_with_points(self, t: DisplayTransform, shape: tuple[int, int]) -> None:
        """Each stored pixel shows where :meth:`map_point` puts its centre."""
        rows, cols = shape
        array = np.arange(rows * cols).reshape(shape)
        shown = t.apply_to_array(array)
        assert shown.shape == t.display_shape(shape)
        for y, x in [(0, 0), (rows - 1, 0), (0, cols - 1), (rows // 2, cols // 3)]:
            dx, dy = t.map_point((x, y), shape)
            assert shown[int(round(dy)), int(round(dx))] == array[y, x]

    @given(transforms)
    def test_display_orientation_follows_points(self, t: DisplayTransform) -> None:
        """The screen's +x and +y carry the patient directions of the stored steps that show there."""
        shape = (5, 7)
        orientation = ("A", "FR")
        shown = t.display_orientation(orientation)
        origin = np.array(t.map_point((3, 2), shape))
        for stored_step, letters in (((1, 0), "A"), ((0, 1), "FR")):
            step = np.array(t.map_point((3 + stored_step[0], 2 + stored_step[1]), shape)) - origin
            axis = 0 if abs(step[0]) > 0.5 else 1
            want = letters if step[axis] > 0 else opposite_direction(letters)
            assert shown[axis] == want

    def test_user_commands(self) -> None:
        """Four quarter turns, two flips or a flip both ways and a half turn give back where one started."""
        t = DisplayTransform(0, True)
        assert t.rotated_clockwise().rotated_clockwise().rotated_clockwise().rotated_clockwise() == t
        assert t.rotated_clockwise().rotated_counterclockwise() == t
        assert t.flipped_horizontally().flipped_horizontally() == t
        assert DisplayTransform().flipped_horizontally().flipped_vertically() == DisplayTransform(2)

    def test_describe(self) -> None:
        """The transform reads as words."""
        assert DisplayTransform().describe() == "as stored"
        assert DisplayTransform(1, True).describe() == "turned 90° clockwise and mirrored left-right"


class TestReadingTransform:
    @pytest.mark.parametrize("laterality", ["R", "L"])
    @pytest.mark.parametrize("view", ["CC", "MLO"])
    @given(stored=transforms)
    def test_any_stored_orientation_hangs_the_same(
        self, laterality: str, view: str, stored: DisplayTransform
    ) -> None:
        """However the phantom's image was turned or mirrored when stored, it hangs as the phantom hangs."""
        reading = patient_orientation(laterality, view)  # the phantom is stored in the reading orientation
        on_disk = stored.display_orientation(reading)  # written to disk turned by ``stored``
        t = reading_transform(laterality, view, on_disk)
        assert t is not None
        assert t.display_orientation(on_disk) == reading
        assert t.then(stored).is_identity

    @pytest.mark.parametrize(
        ("laterality", "view", "orientation", "want"),
        [
            ("R", "CC", ("P", "L"), DisplayTransform()),
            ("L", "CC", ("P", "L"), DisplayTransform(2)),
            ("L", "MLO", ("P", "F"), DisplayTransform(0, True)),
            ("L", "CC", ("R", "P"), DisplayTransform(1)),  # the Siemens stereo file
            ("L", None, ("P", "F"), DisplayTransform(0, True)),
            (
                "R",
                "MLO",
                ("P", "H"),
                DisplayTransform(2, True),
            ),  # a left-right mirror would leave the head down
        ],
    )
    def test_known_cases(
        self, laterality: str, view: str | None, orientation: tuple[str, str], want: DisplayTransform
    ) -> None:
        """Columns towards P (right) or A (left); rows towards the feet, or medially on CC."""
        assert reading_transform(laterality, view, orientation) == want

    def test_undecided(self) -> None:
        """No side, no Patient Orientation or no anterior-posterior direction: nothing decided."""
        assert reading_transform(None, "CC", ("P", "L")) is None
        assert reading_transform("R", "CC", None) is None
        assert reading_transform("R", "CC", ("R", "F")) is None

    def test_note(self) -> None:
        """A quarter or half turn is said; a mirror alone (the usual hanging) is not."""
        assert reading_note(("R", "P"), DisplayTransform(1)) == (
            "Patient Orientation R\\P: stored a quarter turn from the reading orientation; "
            "turned 90° clockwise to read"
        )
        assert reading_note(("P", "L"), DisplayTransform(0, True)) is None
        assert reading_note(None, DisplayTransform(1)) is None
