"""The outlines of many marks drawn as a few paths: one per tile of the image.

10,000 marks as 10,000 ``QGraphicsPathItem`` cost ~0.7 s to make and ~0.3 s a paint, the
scene walking every item. Here the marks of each square of :data:`TILE_PX` image pixels (by
centre) are one path, made from a numpy array of their vertices
(:func:`pyqtgraph.arrayToQPath`); an edit remakes the one or two tiles it touches, and the
scene's index still skips the tiles off screen. Zoomed out, where the layer draws a ring
per mark, an outline is a speck under its ring: the tiles are hidden then, and the paths of
the tiles changed meanwhile are made only when they are shown again (opening 10,000 marks
makes none). Picking is not the items' job: the tools find marks in the model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsPathItem

from viewer.core.geometry import Point

TILE_PX = 256.0
"""Side of a tile in image pixels (a few dozen tiles for a mammogram)."""
POINT_MARK_RADIUS = 3.0
"""Radius of the circle drawn for a mark without an outline (image pixels)."""

Tile = tuple[int, int]
Box = tuple[float, float, float, float]
"""A box in image coordinates: left, top, right, bottom."""
Shape = np.ndarray | Point
"""A mark's shape: its closed outline (k + 1 vertices, the first repeated last) or its centre."""


def cosmetic_pen(color: QColor, width: float = 1.5, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen as wide on screen at every zoom."""
    pen = QPen(color)
    pen.setCosmetic(True)
    pen.setWidthF(width)
    pen.setStyle(style)
    return pen


def polygon_path(points: Iterable[Sequence[float]] | np.ndarray) -> QPainterPath:
    """One closed polygon through ``points`` (x, y)."""
    poly = QPolygonF([QPointF(float(x), float(y)) for x, y in points])
    path = QPainterPath()
    path.addPolygon(poly)
    path.closeSubpath()
    return path


def closed_outlines(outlines: Sequence[Sequence[Point]]) -> tuple[list[np.ndarray], np.ndarray]:
    """Each outline as a closed (k + 1) x 2 array, and every outline's box (N x 4: x0, y0, x1, y1).

    All in a few numpy operations over every vertex at once (10,000 outlines: ~20 ms).
    """
    if not outlines:
        return [], np.empty((0, 4))
    counts = np.fromiter(map(len, outlines), dtype=np.intp, count=len(outlines))
    chain = itertools.chain.from_iterable  # in C: 2.4x a generator's speed
    flat = np.fromiter(chain(chain(outlines)), dtype=np.float64, count=2 * int(counts.sum())).reshape(-1, 2)
    starts = np.zeros(len(counts), dtype=np.intp)
    np.cumsum(counts[:-1], out=starts[1:])
    boxes = np.hstack([np.minimum.reduceat(flat, starts), np.maximum.reduceat(flat, starts)])
    # vertex indices of the closed outlines: each outline's own, then its first again
    closed_counts = counts + 1
    closed_starts = np.zeros(len(counts), dtype=np.intp)
    np.cumsum(closed_counts[:-1], out=closed_starts[1:])
    within = np.arange(int(closed_counts.sum())) - np.repeat(closed_starts, closed_counts)
    within[within == np.repeat(counts, closed_counts)] = 0
    closed = flat[np.repeat(starts, closed_counts) + within]
    return np.split(closed, closed_starts[1:]), boxes


def closed_outline(outline: Sequence[Point]) -> np.ndarray:
    """One outline as a closed (k + 1) x 2 array."""
    points = np.asarray(outline, dtype=np.float64).reshape(-1, 2)
    return np.vstack([points, points[:1]])


def mark_shape(
    outline: Sequence[Point] | None, centre: Point
) -> tuple[Shape, tuple[float, float, float, float]]:
    """A mark's shape (its closed outline, or its centre if it has none) and its box (x0, y0, x1, y1)."""
    if outline is None:
        x, y = centre
        r = POINT_MARK_RADIUS
        return (x, y), (x - r, y - r, x + r, y + r)
    closed = closed_outline(outline)
    lo, hi = closed.min(axis=0), closed.max(axis=0)
    return closed, (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def shape_path(shape: Shape, radius: float = POINT_MARK_RADIUS) -> QPainterPath:
    """One mark's path: its outline, or a circle of ``radius`` round its centre."""
    if isinstance(shape, np.ndarray):
        return polygon_path(shape[:-1] if len(shape) > 1 and (shape[0] == shape[-1]).all() else shape)
    path = QPainterPath()
    path.addEllipse(QPointF(*shape), radius, radius)
    return path


def shapes_path(shapes: Iterable[Shape]) -> QPainterPath:
    """One path of closed outlines and of circles for the marks without one."""
    outlines: list[np.ndarray] = []
    centres: list[Point] = []
    for shape in shapes:
        if isinstance(shape, np.ndarray):
            outlines.append(shape)
        else:
            centres.append(shape)
    if outlines:
        points = np.concatenate(outlines)
        connect = np.ones(len(points), dtype=np.int32)
        connect[np.cumsum([len(o) for o in outlines]) - 1] = 0
        path = pg.arrayToQPath(points[:, 0], points[:, 1], connect=connect, finiteCheck=False)
    else:
        path = QPainterPath()
    r = POINT_MARK_RADIUS
    for x, y in centres:
        path.addEllipse(QPointF(x, y), r, r)
    return path


class OutlineTiles:
    """The marks' outlines in one pen, one path item per tile; :meth:`flush` redraws what changed."""

    def __init__(self, vb: pg.ViewBox, pen: QPen, z: float) -> None:
        self._vb = vb
        self._pen = pen
        self._z = z
        self._tile_of: dict[str, Tile] = {}
        self._shapes: dict[Tile, dict[str, Shape]] = {}
        self._items: dict[Tile, QGraphicsPathItem] = {}
        self._dirty: set[Tile] = set()
        self._shown = True

    def __contains__(self, mark_id: str) -> bool:
        return mark_id in self._tile_of

    def put(self, mark_id: str, shape: Shape, centre: Point) -> None:
        """Draw (or redraw) a mark; seen at the next :meth:`flush`."""
        tile = (int(centre[0] // TILE_PX), int(centre[1] // TILE_PX))
        old = self._tile_of.get(mark_id)
        if old is not None and old != tile:
            del self._shapes[old][mark_id]
            self._dirty.add(old)
        self._tile_of[mark_id] = tile
        self._shapes.setdefault(tile, {})[mark_id] = shape
        self._dirty.add(tile)

    def drop(self, mark_id: str) -> None:
        """Stop drawing a mark (nothing if it is not drawn here)."""
        tile = self._tile_of.pop(mark_id, None)
        if tile is not None:
            del self._shapes[tile][mark_id]
            self._dirty.add(tile)

    def clear(self) -> None:
        self._tile_of.clear()
        self._dirty |= set(self._shapes)
        self._shapes.clear()

    @property
    def shown(self) -> bool:
        return self._shown

    def set_shown(self, on: bool) -> None:
        """Show or hide the outlines; hidden, changes wait (unmade) until they are shown."""
        if on == self._shown:
            return
        self._shown = on
        if on:
            self.flush()
        for item in self._items.values():
            item.setVisible(on)

    def flush(self) -> None:
        """Remake the paths of the tiles that changed since the last flush (once shown)."""
        if not self._shown:
            return
        for tile in self._dirty:
            shapes = self._shapes.get(tile)
            item = self._items.get(tile)
            if not shapes:
                self._shapes.pop(tile, None)
                if item is not None:
                    self._vb.removeItem(self._items.pop(tile))
                continue
            if item is None:
                item = self._items[tile] = QGraphicsPathItem()
                item.setPen(self._pen)
                item.setZValue(self._z)
                self._vb.addItem(item, ignoreBounds=True)
            item.setPath(shapes_path(shapes.values()))
        self._dirty.clear()

    def detach(self) -> None:
        self.clear()
        self.set_shown(True)
        self.flush()


class MarkDots:
    """Fixed-size rings at the marks' centres (zoomed out), cheap to keep up with edits.

    Setting 2,500 points of a ``ScatterPlotItem`` costs ~10 ms, too much for every edit; so
    the marks are one scatter as last set whole, and the marks edited or selected since are
    hidden there and drawn by a second, small scatter on top. Past :data:`MAX_APART` of
    those, :meth:`move` asks for the whole to be set again.
    """

    MAX_APART = 200

    def __init__(self, vb: pg.ViewBox, pen: QPen, selected_pen: QPen, z: float) -> None:
        self._pen, self._selected_pen = pen, selected_pen
        self._scatters = []
        for dz in (0.0, 0.1):
            scatter = pg.ScatterPlotItem(
                pxMode=True, size=11, symbol="o", brush=QBrush(Qt.BrushStyle.NoBrush)
            )
            scatter.setZValue(z + dz)
            scatter.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            vb.addItem(scatter, ignoreBounds=True)
            self._scatters.append(scatter)
        self._all, self._apart = self._scatters
        self._rows: dict[str, int] = {}
        self._apart_points: dict[str, tuple[float, float, bool]] = {}

    @property
    def items(self) -> list[pg.ScatterPlotItem]:
        return list(self._scatters)

    def show(self, centres: dict[str, Point], selected: set[str]) -> None:
        """Draw a ring at each centre, the ``selected`` ones in their own pen, on top."""
        ids = [cid for cid in centres if cid not in selected]
        self._all.setData(x=[centres[c][0] for c in ids], y=[centres[c][1] for c in ids], pen=self._pen)
        self._rows = {cid: i for i, cid in enumerate(ids)}
        self._apart_points = {cid: (*centres[cid], True) for cid in centres if cid in selected}
        self._draw_apart()

    def clear(self) -> None:
        for scatter in self._scatters:
            scatter.setData([])
        self._rows, self._apart_points = {}, {}

    def move(self, mark_id: str, centre: Point | None, selected: bool) -> bool:
        """A mark moved, was selected or deselected, or is gone (``centre`` None).

        False when too many marks are drawn apart: then :meth:`show` them all again.
        """
        row = self._rows.pop(mark_id, None)
        if row is not None:
            self._all.setPointsVisible(False, dataSet=self._all.data[row : row + 1])
        if centre is None:
            self._apart_points.pop(mark_id, None)
        else:
            self._apart_points[mark_id] = (centre[0], centre[1], selected)
        if len(self._apart_points) > self.MAX_APART:
            return False
        self._draw_apart()
        return True

    def _draw_apart(self) -> None:
        # selected last: drawn on top of the others
        points = sorted(self._apart_points.values(), key=lambda p: p[2])
        pens = [self._selected_pen if p[2] else self._pen for p in points]
        self._apart.setData(x=[p[0] for p in points], y=[p[1] for p in points], pen=pens)
