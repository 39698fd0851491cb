"""Tests for viewer.core.geometry's polygon tests: the one point-in-polygon of the program."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from viewer.core import geometry
from viewer.core.geometry import convex_hull, distance_to_edges, point_in_polygon, points_in_polygon


def _edge_sides(points: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """Signed distance of each point (rows) to the line of each edge (columns)."""
    a, b = hull, np.roll(hull, -1, axis=0)
    dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    cross = dx * (points[:, None, 1] - a[:, 1]) - dy * (points[:, None, 0] - a[:, 0])
    return np.asarray(cross / np.maximum(np.hypot(dx, dy), 1e-12))


class TestPointsInPolygon:
    def test_square_and_concave(self) -> None:
        """Ray casting agrees with a square and an L-shaped (concave) polygon."""
        square = [(0, 0), (10, 0), (10, 10), (0, 10)]
        got = points_in_polygon([(5, 5), (11, 5), (-1, -1), (9.9, 0.1)], square)
        assert got.tolist() == [True, False, False, True]
        ell = [(0, 0), (10, 0), (10, 2), (2, 2), (2, 10), (0, 10)]
        assert points_in_polygon([(1, 9), (5, 5), (5, 1)], ell).tolist() == [True, False, True]

    def test_degenerate(self) -> None:
        """Fewer than three vertices enclose nothing; no points give an empty answer."""
        assert points_in_polygon([(0, 0)], [(0, 0), (1, 1)]).tolist() == [False]
        assert points_in_polygon(np.zeros((0, 2)), [(0, 0), (1, 0), (0, 1)]).shape == (0,)

    def test_one_point(self) -> None:
        """The scalar form answers as the array form does."""
        tri = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)]
        assert point_in_polygon(1.0, 1.0, tri) and not point_in_polygon(3.0, 3.0, tri)

    def test_edge_tolerance(self) -> None:
        """With a tolerance, a point on or near an edge is inside; farther out it is not."""
        square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
        assert point_in_polygon(10.0, 10.0, square, edge_tolerance=0.0)  # a vertex
        assert point_in_polygon(10.4, 5.0, square, edge_tolerance=0.5)
        assert not point_in_polygon(10.6, 5.0, square, edge_tolerance=0.5)
        assert not point_in_polygon(10.4, 5.0, square)
        assert distance_to_edges(13.0, 14.0, square) == pytest.approx(5.0)  # to the corner (10, 10)
        assert distance_to_edges(5.0, 6.0, square) == pytest.approx(4.0)  # inside, to the top edge

    @settings(max_examples=60, deadline=None)
    @given(
        vertices=st.lists(
            st.tuples(st.floats(-50, 50), st.floats(-50, 50)), min_size=3, max_size=25, unique=True
        ),
        seed=st.integers(0, 2**31 - 1),
    )
    @example(vertices=[(0.0, 0.0), (0.0, 1.0), (1.0, 1e-308)], seed=0)  # a nearly horizontal edge
    def test_agrees_with_convex_oracle(self, vertices: list[tuple[float, float]], seed: int) -> None:
        """On convex polygons the even-odd rule agrees with the same-side-of-every-edge test."""
        hull = convex_hull(vertices)
        if len(hull) < 3:
            return
        rng = np.random.default_rng(seed)
        pts = rng.uniform(-60, 60, size=(300, 2))
        side = _edge_sides(pts, hull)
        # the oracle for a convex polygon: on the same side of every edge
        expected = np.all(side > 0, axis=1) | np.all(side < 0, axis=1)
        clear = np.all(np.abs(side) > 1e-6, axis=1)  # a point on an edge may fall either way
        got = points_in_polygon(pts, hull)
        assert np.array_equal(got[clear], expected[clear])

    def test_chunks_give_the_same_answer(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Many points are compared in chunks; the answer does not depend on the chunk size."""
        angles = np.linspace(0, 2 * np.pi, 14, endpoint=False)
        radii = np.where(np.arange(14) % 2 == 0, 10.0, 20.0)  # a concave star
        star = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
        pts = np.random.default_rng(3).uniform(-25, 25, size=(5000, 2))
        whole = points_in_polygon(pts, star)
        monkeypatch.setattr(geometry, "_PIP_CELLS", 50)
        chunked = points_in_polygon(pts, star)
        assert np.array_equal(whole, chunked)
        assert 0 < whole.sum() < len(pts)
