"""The convex hull's pruning of interior points changes no hull (viewer.core.geometry)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from viewer.core import geometry
from viewer.core.geometry import convex_hull


def _chain_only(points: np.ndarray) -> np.ndarray:
    """The hull without pruning (the monotone chain on every point)."""
    original = geometry._outside_octagon
    try:
        geometry._outside_octagon = lambda pts: pts
        return convex_hull(points)
    finally:
        geometry._outside_octagon = original


coords = st.floats(min_value=-5000, max_value=5000, allow_nan=False, width=32)


@settings(max_examples=150, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(64, 600), st.just(2)), elements=coords))
def test_same_hull_as_without_pruning(points: np.ndarray) -> None:
    """Random clouds, with repeats and collinear runs hypothesis finds: the same vertices, same order."""
    np.testing.assert_array_equal(convex_hull(points), _chain_only(points))


def test_grid_of_outlines() -> None:
    """A cluster of 2500 marks of 16-vertex outlines: a tiny hull, equal to the unpruned one."""
    turns = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    centres = np.stack(np.meshgrid(np.arange(50) * 40.0, np.arange(50) * 38.0), axis=-1).reshape(-1, 2)
    ring = np.stack([3 * np.cos(turns), 3 * np.sin(turns)], axis=1)
    points = (centres[:, None, :] + ring[None, :, :]).reshape(-1, 2)
    assert len(geometry._outside_octagon(points)) < len(points) / 20
    np.testing.assert_array_equal(convex_hull(points), _chain_only(points))


def test_square_with_interior_points() -> None:
    """Points inside a square are gone; its corners are the hull."""
    rng = np.random.default_rng(1)
    corners = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    points = np.vstack([corners, rng.uniform(1, 9, (200, 2))])
    hull = convex_hull(points)
    assert {tuple(p) for p in hull} == {tuple(p) for p in corners}
