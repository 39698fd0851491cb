"""The marks' outlines drawn as one path per tile (viewer.qt.mark_outlines, viewer.qt.marks_layer)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QPen

from tests.qt.test_label_placement import SPACING, _image, _view
from viewer.core.annotations import Calcification, ImageAnnotations, StudyAnnotations
from viewer.qt.image_view import image_key
from viewer.qt.mark_outlines import TILE_PX, MarkDots, closed_outline, closed_outlines, shapes_path
from viewer.qt.marks_layer import LABEL_MIN_ZOOM_PERCENT, MarksLayer


def _ring(cx: float, cy: float, r: float = 3.0, n: int = 8) -> list[tuple[float, float]]:
    return [
        (cx + r * math.cos(2 * math.pi * t / n), cy + r * math.sin(2 * math.pi * t / n)) for t in range(n)
    ]


def _layer(qtbot: Any, centres: list[tuple[float, float]]) -> tuple[MarksLayer, StudyAnnotations, list[str]]:
    image = _image()
    view = _view(qtbot, image)
    model = StudyAnnotations("tester", image.study_instance_uid)
    img = ImageAnnotations(
        image.sop_instance_uid, 0, image.study_instance_uid, "", image.rows, image.columns, "L", "CC", SPACING
    )
    for cx, cy in centres:
        calc = Calcification.create((cx, cy), _ring(cx, cy), SPACING)
        img.calcifications[calc.id] = calc
    point = Calcification.create((20.0, 20.0), None, SPACING)
    img.calcifications[point.id] = point
    model.images[img.key] = img
    return MarksLayer(view, model, image_key(image)), model, [*img.calcifications]


def _tile_paths(layer: MarksLayer) -> list[Any]:
    return [item.path() for item in layer._outlines._items.values()]


def _drawn_at(layer: MarksLayer, x: float, y: float) -> bool:
    return any(path.contains(QPointF(x, y)) for path in _tile_paths(layer))


class TestClosedOutlines:
    def test_matches_one_by_one(self) -> None:
        """The vectorised closing and boxes equal those of each outline alone."""
        outlines = [_ring(10.0, 10.0, n=5), _ring(50.0, 40.0, 2.0, 9), [(0.0, 0.0), (4.0, 0.0), (0.0, 3.0)]]
        closed, boxes = closed_outlines(outlines)
        for outline, got, box in zip(outlines, closed, boxes, strict=True):
            assert np.array_equal(got, closed_outline(outline))
            xs, ys = [p[0] for p in outline], [p[1] for p in outline]
            assert list(box) == [min(xs), min(ys), max(xs), max(ys)]

    def test_path_holds_each_shape(self) -> None:
        """One path: each outline closed, each point mark a circle, nothing joining them."""
        path = shapes_path(
            [closed_outline(_ring(10.0, 10.0)), closed_outline(_ring(40.0, 10.0)), (70.0, 10.0)]
        )
        for x in (10.0, 40.0, 70.0):
            assert path.contains(QPointF(x, 10.0))
        assert not path.contains(QPointF(25.0, 10.0)) and not path.contains(QPointF(55.0, 10.0))


class TestMarksLayerTiles:
    def test_all_marks_in_few_items(self, qtbot: Any) -> None:
        """Marks spread over the image are drawn by one item per tile, each where it is."""
        centres = [(30.0 + 25.0 * i, 40.0 + 23.0 * j) for i in range(11) for j in range(11)]
        layer, _, ids = _layer(qtbot, centres)
        assert layer.drawn_ids == set(ids)
        tiles = {(int(x // TILE_PX), int(y // TILE_PX)) for x, y in [*centres, (20.0, 20.0)]}
        assert len(layer._outlines._items) == len(tiles)
        assert all(_drawn_at(layer, x, y) for x, y in [*centres, (20.0, 20.0)])

    def test_selected_mark_drawn_apart(self, qtbot: Any) -> None:
        """A selected mark leaves its tile for an item of its own, and goes back when deselected."""
        layer, _, ids = _layer(qtbot, [(100.0, 100.0), (120.0, 100.0)])
        layer.set_selected({ids[0]})
        assert not _drawn_at(layer, 100.0, 100.0) and _drawn_at(layer, 120.0, 100.0)
        assert set(layer._selected_items) == {ids[0]}
        assert layer._selected_items[ids[0]].path().contains(QPointF(100.0, 100.0))
        layer.set_selected(set())
        assert _drawn_at(layer, 100.0, 100.0) and not layer._selected_items

    def test_edit_moves_mark_between_tiles(self, qtbot: Any) -> None:
        """A mark moved into another tile is drawn there only; a removed one is not drawn."""
        layer, model, ids = _layer(qtbot, [(100.0, 100.0), (120.0, 100.0)])
        key = layer.key
        calc = model.images[key].calcifications[ids[0]]
        model.put_calcification(key, calc.moved(200.0, 0.0))
        assert not _drawn_at(layer, 100.0, 100.0) and _drawn_at(layer, 300.0, 100.0)
        model.remove_calcification(key, ids[1])
        assert not _drawn_at(layer, 120.0, 100.0) and ids[1] not in layer.drawn_ids

    def test_preview_hides_the_mark(self, qtbot: Any) -> None:
        """While a drag previews a mark elsewhere its outline is hidden, and shown again after."""
        layer, _, ids = _layer(qtbot, [(100.0, 100.0)])
        layer.set_selected({ids[0]})
        layer.preview_outline(ids[0], _ring(110.0, 100.0))
        assert ids[0] not in layer._selected_items and not _drawn_at(layer, 100.0, 100.0)
        assert layer._preview.isVisible()
        layer.preview_outline(ids[0], None)
        assert not layer._preview.isVisible()
        assert layer._selected_items[ids[0]].path().contains(QPointF(100.0, 100.0))
        layer.set_selected(set())
        layer.preview_outline(ids[0], _ring(110.0, 100.0))
        assert not _drawn_at(layer, 100.0, 100.0)
        layer.preview_outline(ids[0], None)
        assert _drawn_at(layer, 100.0, 100.0)

    def test_zoomed_out_rings_stand_for_the_outlines(self, qtbot: Any) -> None:
        """Below the label zoom the tiles are hidden and an edit's tile waits unmade; zooming in
        draws every mark where it is, the edit included."""
        layer, model, ids = _layer(qtbot, [(100.0, 100.0), (120.0, 100.0)])
        view = layer.view
        assert layer._outlines.shown and _drawn_at(layer, 100.0, 100.0)
        view.resize(90, 90)  # a small cell: the whole image below the label zoom
        view.fit()
        view.set_zoom(0.25)
        qtbot.wait(10)
        assert view.zoom_percent() < LABEL_MIN_ZOOM_PERCENT
        assert not layer._outlines.shown
        assert not any(item.isVisible() for item in layer._outlines._items.values())
        calc = model.images[layer.key].calcifications[ids[0]]
        model.put_calcification(layer.key, calc.moved(200.0, 0.0))
        assert _drawn_at(layer, 100.0, 100.0)  # the old path: not remade while hidden
        view.set_zoom(2.0)
        qtbot.wait(10)
        assert layer._outlines.shown and all(item.isVisible() for item in layer._outlines._items.values())
        assert not _drawn_at(layer, 100.0, 100.0) and _drawn_at(layer, 300.0, 100.0)
        assert _drawn_at(layer, 120.0, 100.0)

    def test_detach_removes_every_item(self, qtbot: Any) -> None:
        """Detaching leaves none of the layer's items in the view."""
        layer, _, _ = _layer(qtbot, [(100.0, 100.0), (300.0, 200.0)])
        items = list(layer._outlines._items.values())
        layer.detach()
        assert all(item.scene() is None for item in items) and not layer._outlines._items


class TestMarkDots:
    def _dots(self, qtbot: Any) -> tuple[MarkDots, pg.GraphicsLayoutWidget]:
        widget = pg.GraphicsLayoutWidget()
        qtbot.addWidget(widget)
        return MarkDots(widget.addViewBox(), QPen(), QPen(), 10), widget

    @staticmethod
    def _shown(dots: MarkDots) -> set[tuple[float, float]]:
        out = set()
        for scatter in dots.items:
            data = scatter.data
            out |= {
                (float(x), float(y))
                for x, y, v in zip(data["x"], data["y"], data["visible"], strict=True)
                if v
            }
        return out

    def test_edits_move_single_rings(self, qtbot: Any) -> None:
        """A moved, selected or removed mark's ring follows it; the others stay put."""
        dots, _widget = self._dots(qtbot)
        dots.show({"a": (1.0, 1.0), "b": (2.0, 2.0), "c": (3.0, 3.0)}, {"c"})
        assert self._shown(dots) == {(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)}
        assert dots.move("a", (5.0, 1.0), False)
        assert dots.move("b", None, False)
        assert self._shown(dots) == {(5.0, 1.0), (3.0, 3.0)}
        assert dots.move("a", (5.0, 1.0), True)
        assert self._shown(dots) == {(5.0, 1.0), (3.0, 3.0)}

    def test_many_apart_asks_for_all(self, qtbot: Any) -> None:
        """Past MAX_APART marks drawn apart, move() says the whole is to be set again."""
        dots, _widget = self._dots(qtbot)
        centres = {str(i): (float(i), 0.0) for i in range(MarkDots.MAX_APART + 2)}
        dots.show(centres, set())
        answers = [dots.move(cid, (c[0], 1.0), False) for cid, c in centres.items()]
        assert all(answers[: MarkDots.MAX_APART]) and not answers[-1]
