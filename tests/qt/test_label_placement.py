"""Size labels of a dense cluster on screen: none covers another label, a mark or the cluster's label."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsTextItem

from tests.fixtures.dicom_files import make_dataset
from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    StudyAnnotations,
)
from viewer.core.display_transform import DisplayTransform
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.phantom import make_mammogram
from viewer.dicom.image import MammoImage
from viewer.qt.image_view import ImageView, image_key
from viewer.qt.label_placement import LABEL_REACH_PX
from viewer.qt.marks_layer import MarksLayer

SPACING = Spacing(0.1, 0.1, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "mm at the breast plane (ERMF 1.08)")
CENTRE = (150.0, 160.0)
COUNT = 15


def _image() -> MammoImage:
    phantom = make_mammogram(320, 300, (0.1, 0.1), "L", "CC", seed=5)
    ds = make_dataset(phantom.pixels.astype(np.uint16), ImageLaterality="L", ViewPosition="CC")
    return MammoImage.from_dataset(ds)


def _dense_cluster(image: MammoImage, confirmed: bool) -> tuple[StudyAnnotations, Cluster]:
    """15 marks of 0.2-0.6 mm within 5 mm of each other, grouped in one cluster."""
    model = StudyAnnotations("tester", image.study_instance_uid)
    img = ImageAnnotations(
        image.sop_instance_uid, 0, image.study_instance_uid, "", image.rows, image.columns, "L", "CC", SPACING
    )
    rng = np.random.default_rng(11)
    for _ in range(COUNT):
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, 22)  # within 2.2 mm of the centre
        cx, cy = CENTRE[0] + dist * math.cos(angle), CENTRE[1] + dist * math.sin(angle)
        r = rng.uniform(1.0, 3.0)
        outline = [
            (cx + r * math.cos(t * math.pi / 5), cy + r * math.sin(t * math.pi / 5)) for t in range(10)
        ]
        calc = Calcification.create((cx, cy), outline, SPACING)
        img.calcifications[calc.id] = calc
    state = ClusterState.CONFIRMED if confirmed else ClusterState.SUGGESTED
    cluster = Cluster("cluster-1", tuple(img.calcifications), state, note="15 within 4.4 mm: grouped?")
    img.clusters[cluster.id] = cluster
    model.images[img.key] = img
    return model, cluster


def _view(qtbot: Any, image: MammoImage, mirror: bool = False) -> ImageView:
    view = ImageView("LCC")
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    view.set_image(image)
    if mirror:
        view.set_user_turn(DisplayTransform(0, True))
    qtbot.waitExposed(view)
    return view


def _outline_boxes(layer: MarksLayer) -> dict[str, QRectF]:
    """Each outline as drawn on screen: its geometry and half its (cosmetic, 2 px at most) pen."""
    return {cid: box.adjusted(-1, -1, 1, 1) for cid, box in layer.outline_boxes().items()}


def _assert_clear(layer: MarksLayer, cluster_id: str) -> dict[str, QRectF]:
    labels = layer.label_boxes()
    outlines = _outline_boxes(layer)
    cluster_label = layer._cluster_items[cluster_id][1]
    summary = cluster_label.mapRectToScene(cluster_label.boundingRect())
    ids = list(labels)
    for i, a in enumerate(ids):
        box = labels[a]
        for b in ids[i + 1 :]:
            assert not box.intersects(labels[b]), (a, b)
        for cid, outline in outlines.items():
            assert not box.intersects(outline), (a, cid)
        assert not box.intersects(summary), a
    return labels


class TestDenseCluster:
    @pytest.mark.parametrize("mirror", [False, True])
    def test_labels_cover_neither_labels_nor_marks(self, qtbot: Any, mirror: bool) -> None:
        """Zoomed in on 15 marks within 5 mm: the shown labels meet no label, outline or cluster label."""
        image = _image()
        view = _view(qtbot, image, mirror)
        model, cluster = _dense_cluster(image, confirmed=True)
        layer = MarksLayer(view, model, image_key(image))
        view.center_on(*CENTRE, zoom=6.0)
        view.grab()  # a paint: the layout runs before it
        labels = _assert_clear(layer, cluster.id)
        assert len(labels) >= 10, f"only {len(labels)} of {COUNT} labels found room"
        outlines = _outline_boxes(layer)
        for cid, box in labels.items():  # each label near its own mark
            mark = outlines[cid]
            dx = max(mark.left() - box.right(), box.left() - mark.right(), 0.0)
            dy = max(mark.top() - box.bottom(), box.top() - mark.bottom(), 0.0)
            assert math.hypot(dx, dy) <= LABEL_REACH_PX + 2, cid

    def test_zoom_and_pan_keep_labels_apart(self, qtbot: Any) -> None:
        """After zooming out and in and panning, the labels are laid out again and still apart."""
        image = _image()
        view = _view(qtbot, image)
        model, cluster = _dense_cluster(image, confirmed=False)
        layer = MarksLayer(view, model, image_key(image))
        for zoom, dx in ((3.0, 0.0), (8.0, 0.0), (4.0, 30.0), (4.0, -60.0), (12.0, 5.0)):
            view.center_on(CENTRE[0] + dx, CENTRE[1], zoom=zoom)
            view.grab()
            _assert_clear(layer, cluster.id)
        assert layer.label_boxes()

    def test_cluster_summary_drawn_once(self, qtbot: Any) -> None:
        """The cluster's own label is one item in the view, whichever layer redraws happen."""
        image = _image()
        view = _view(qtbot, image)
        model, cluster = _dense_cluster(image, confirmed=True)
        layer = MarksLayer(view, model, image_key(image))
        layer.set_suggestions([])
        layer.set_selected_clusters({cluster.id})
        layer.rebuild()
        view.center_on(*CENTRE, zoom=6.0)
        view.grab()
        texts = [
            item.toPlainText()
            for item in view.scene().items()
            if isinstance(item, QGraphicsTextItem)
            and item.isVisible()
            and item.toPlainText().startswith("cluster (")
        ]
        assert texts == [f"cluster ({COUNT})"]
