"""Tests for viewer.core.label_layout: size labels placed without covering labels or marks."""

from __future__ import annotations

import doctest
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core import label_layout
from viewer.core.label_layout import Box, Placement, boxes_meet, place_labels, segment_meets

LABEL = (60.0, 14.0)


def _point_box(x: float, y: float, r: float = 3.0) -> Box:
    return (x - r, y - r, x + r, y + r)


def _shown(placed: list[Placement | None]) -> list[Box]:
    return [p.box for p in placed if p is not None]


def _assert_clear(placed: list[Placement | None], marks: list[Box], obstacles: list[Box] = ()) -> None:  # type: ignore[assignment]
    boxes = _shown(placed)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not boxes_meet(a, b), (a, b)
        for m in [*marks, *obstacles]:
            assert not boxes_meet(a, m), (a, m)


class TestPlaceLabels:
    def test_docstring_examples(self) -> None:
        """The module's examples hold."""
        assert doctest.testmod(label_layout).failed == 0

    def test_lone_mark_gets_its_usual_place(self) -> None:
        """One mark: the label right of it, centred on it, not displaced, no leader."""
        (p,) = place_labels([(10.0, 20.0, 20.0, 30.0)], [LABEL], gap=4.0)
        assert p is not None
        assert p.box == (24.0, 18.0, 84.0, 32.0)
        assert not p.displaced and p.leader is None

    def test_obstacle_pushes_label_to_the_left(self) -> None:
        """An obstacle where the usual place is: the label goes left of the mark."""
        mark = (100.0, 100.0, 110.0, 110.0)
        (p,) = place_labels([mark], [LABEL], obstacles=[(112.0, 90.0, 200.0, 120.0)])
        assert p is not None and p.displaced
        assert p.box[2] <= mark[0]

    def test_column_of_marks_keeps_labels_apart(self) -> None:
        """Marks 8 px apart in a column (labels 14 px high): no two labels meet."""
        marks = [_point_box(200.0, 200.0 + 8.0 * i) for i in range(8)]
        placed = place_labels(marks, [LABEL] * len(marks))
        _assert_clear(placed, marks)
        assert sum(p is not None for p in placed) >= 6

    def test_leader_joins_mark_and_label(self) -> None:
        """A label pushed away from its mark has a leader from the mark's box to the label's box."""
        marks = [_point_box(300.0, 300.0 + 5.0 * i) for i in range(6)]
        placed = place_labels(marks, [LABEL] * len(marks))
        led = [(m, p) for m, p in zip(marks, placed, strict=True) if p is not None and p.leader is not None]
        assert led
        for mark, p in led:
            (mx, my), (lx, ly) = p.leader  # type: ignore[misc]
            assert mark[0] <= mx <= mark[2] and mark[1] <= my <= mark[3]
            assert p.box[0] <= lx <= p.box[2] and p.box[1] <= ly <= p.box[3]

    def test_leader_never_crosses_another_mark(self) -> None:
        """A leader runs from its mark to its label without passing through another mark's box."""
        rng = np.random.default_rng(5)
        marks = [_point_box(float(x), float(y)) for x, y in rng.normal(200, 12, size=(25, 2))]
        placed = place_labels(marks, [LABEL] * len(marks))
        leaders = [p.leader for p in placed if p is not None and p.leader is not None]
        assert leaders
        for a, b in leaders:
            assert not any(segment_meets(a, b, m) for m in marks)
            assert not any(segment_meets(a, b, box) for box in _shown(placed))

    def test_segment_meets(self) -> None:
        """A segment meets a box through its inside, not along or from its edge."""
        box = (0.0, 0.0, 10.0, 10.0)
        assert segment_meets((-5.0, 5.0), (15.0, 5.0), box)
        assert segment_meets((5.0, 5.0), (5.0, 6.0), box)
        assert not segment_meets((-5.0, 10.0), (15.0, 10.0), box)  # along the edge
        assert not segment_meets((10.0, 5.0), (20.0, 5.0), box)  # from the edge outwards
        assert not segment_meets((-5.0, -5.0), (-1.0, 20.0), box)

    def test_no_room_hides_the_label(self) -> None:
        """A mark walled in by obstacles within reach gets no label rather than an overlap."""
        mark = (100.0, 100.0, 104.0, 104.0)
        wall = (0.0, 0.0, 400.0, 400.0)
        # everything around the mark is covered except the mark itself
        obstacles = [(wall[0], wall[1], wall[2], 99.0), (wall[0], 105.0, wall[2], wall[3])]
        obstacles += [(wall[0], 99.0, 99.0, 105.0), (105.0, 99.0, wall[2], 105.0)]
        assert place_labels([mark], [LABEL], obstacles=obstacles) == [None]

    def test_bounds_keep_labels_on_screen(self) -> None:
        """A mark at the right edge of the screen: its label goes where it is wholly on screen."""
        bounds = (0.0, 0.0, 400.0, 300.0)
        (p,) = place_labels([(390.0, 150.0, 396.0, 156.0)], [LABEL], bounds=bounds)
        assert p is not None
        assert bounds[0] <= p.box[0] and p.box[2] <= bounds[2]

    def test_first_label_gets_the_best_place(self) -> None:
        """Labels are placed in the order given: the first keeps its usual place."""
        marks = [_point_box(50.0, 50.0), _point_box(52.0, 60.0)]
        for order in (marks, marks[::-1]):
            first = place_labels(order, [LABEL, LABEL])[0]
            assert first is not None and not first.displaced

    def test_above_first(self) -> None:
        """With ``above_first`` the usual place is above the mark, centred; below when above is taken."""
        mark = (100.0, 100.0, 140.0, 120.0)
        (p,) = place_labels([mark], [LABEL], above_first=True)
        assert p is not None and not p.displaced
        assert p.box == (90.0, 82.0, 150.0, 96.0)
        (q,) = place_labels([mark], [LABEL], [(0.0, 0.0, 300.0, 99.0)], above_first=True)
        assert q is not None and q.box[1] >= mark[3]

    def test_tries_bounded(self) -> None:
        """With a budget of tries, far too many labels cost little and still never meet."""
        rng = np.random.default_rng(9)
        marks = [_point_box(float(x), float(y)) for x, y in rng.normal(300, 20, size=(300, 2))]
        sizes = [(120.0, 20.0)] * len(marks)
        start = time.perf_counter()
        bounded = place_labels(marks, sizes, tries_per_label=6)
        elapsed = time.perf_counter() - start
        _assert_clear(bounded, marks)
        unbounded = place_labels(marks, sizes)
        assert sum(p is not None for p in bounded) <= sum(p is not None for p in unbounded)
        assert bounded[0] == unbounded[0]  # the first labels had the whole search
        assert elapsed < 0.1, elapsed

    def test_deterministic(self) -> None:
        """The same input gives the same places."""
        rng = np.random.default_rng(3)
        marks = [_point_box(float(x), float(y)) for x, y in rng.uniform(0, 200, size=(80, 2))]
        sizes = [(float(w), 14.0) for w in rng.uniform(30, 120, size=80)]
        assert place_labels(marks, sizes) == place_labels(marks, sizes)

    def test_bad_arguments_named(self) -> None:
        """Mismatched lengths and non-positive sizes are refused, saying what is wrong."""
        with pytest.raises(ValueError, match="differ in length"):
            place_labels([(0.0, 0.0, 1.0, 1.0)], [])
        with pytest.raises(ValueError, match="sizes must be positive"):
            place_labels([(0.0, 0.0, 1.0, 1.0)], [(0.0, 10.0)])

    def test_huge_obstacle_is_cheap(self) -> None:
        """An obstacle far larger than the marks' area does not fill the grid."""
        start = time.perf_counter()
        place_labels([_point_box(10.0, 10.0)], [LABEL], obstacles=[(-1e7, 500.0, 1e7, 1e7)])
        assert time.perf_counter() - start < 0.05

    def test_hundreds_of_labels_fast(self) -> None:
        """500 labels on a 1920x1080 screen, a third of them in dense clusters: well under a frame."""
        rng = np.random.default_rng(7)
        spread = rng.uniform((0, 0), (1920, 1080), size=(340, 2))
        dense = rng.normal((900, 500), 25, size=(160, 2))
        marks = [_point_box(float(x), float(y)) for x, y in np.vstack([spread, dense])]
        sizes = [(110.0, 16.0)] * len(marks)
        place_labels(marks, sizes)  # warm
        start = time.perf_counter()
        placed = place_labels(marks, sizes, bounds=(0.0, 0.0, 1920.0, 1080.0))
        elapsed = time.perf_counter() - start
        _assert_clear(placed, marks)
        assert elapsed < 0.25, elapsed


_coord = st.floats(0, 300, allow_nan=False)


@st.composite
def _scene(draw: st.DrawFn) -> tuple[list[Box], list[tuple[float, float]], list[Box]]:
    n = draw(st.integers(1, 40))
    marks = []
    for _ in range(n):
        x, y = draw(_coord), draw(_coord)
        w, h = draw(st.floats(0, 30)), draw(st.floats(0, 30))
        marks.append((x, y, x + w, y + h))
    sizes = [(draw(st.floats(1, 150)), draw(st.floats(1, 30))) for _ in range(n)]
    obstacles = []
    for _ in range(draw(st.integers(0, 4))):
        x, y = draw(_coord), draw(_coord)
        obstacles.append((x, y, x + draw(st.floats(0, 200)), y + draw(st.floats(0, 80))))
    return marks, sizes, obstacles


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(_scene(), st.floats(0, 10), st.floats(0, 3))
    def test_placed_labels_never_meet(
        self, scene: tuple[list[Box], list[tuple[float, float]], list[Box]], gap: float, margin: float
    ) -> None:
        """Any marks, sizes and obstacles: no placed label meets another label, a mark or an obstacle."""
        marks, sizes, obstacles = scene
        placed = place_labels(marks, sizes, obstacles, gap=gap, margin=margin)
        assert len(placed) == len(marks)
        _assert_clear(
            place_labels(marks, sizes, obstacles, gap=gap, margin=margin, tries_per_label=3), marks, obstacles
        )
        _assert_clear(placed, marks, obstacles)
        for (w, h), p in zip(sizes, placed, strict=True):
            if p is not None:
                assert p.box[2] - p.box[0] == pytest.approx(w) and p.box[3] - p.box[1] == pytest.approx(h)
