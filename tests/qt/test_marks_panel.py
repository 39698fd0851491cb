"""The marks panel updates only what an edit touched, and ends as a full rebuild would."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    ImageKey,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing, SpacingSource
from viewer.qt.marks_panel import ROLE_ID, MarksPanel

SPACING = Spacing(0.07, 0.07, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector (overestimates)")
VIEWS = ("RCC", "LCC")


def _calc(n: int, dx: float = 0.0) -> Calcification:
    cx, cy = 100.0 + (n % 10) * 30.0 + dx, 100.0 + (n // 10) * 30.0
    outline = [(cx + 3 * math.cos(t * math.pi / 4), cy + 3 * math.sin(t * math.pi / 4)) for t in range(8)]
    return Calcification.create((cx, cy), outline, SPACING, morphology="punctate", reader="r")


def _model() -> tuple[StudyAnnotations, list[ImageKey]]:
    model = StudyAnnotations("r", "1.2.3")
    keys = []
    for k, view in enumerate(VIEWS):
        img = ImageAnnotations(f"1.2.3.{k}", 0, "1.2.3", "1.2.3.9", 2000, 1600, view[0], view[1:], SPACING)
        model.images[img.key] = img
        keys.append(img.key)
    return model, keys


def tree_state(panel: MarksPanel) -> list[tuple[str, list[tuple[str, frozenset[str]]], frozenset[str]]]:
    """Per image row: its text, its cluster rows (text, member ids) in order, its loose mark ids."""
    out = []
    for i in range(panel.tree.topLevelItemCount()):
        image = panel.tree.topLevelItem(i)
        assert image is not None
        clusters, loose = [], set()
        for j in range(image.childCount()):
            child = image.child(j)
            assert child is not None
            if child.childCount() or child.data(0, ROLE_ID) in _cluster_ids(panel):
                leaves = [child.child(m) for m in range(child.childCount())]
                members = frozenset(
                    str(leaf.data(0, ROLE_ID)) + "|" + leaf.text(1) for leaf in leaves if leaf is not None
                )
                assert len(members) == len(leaves)
                clusters.append((child.text(0), members))
            else:
                loose.add(str(child.data(0, ROLE_ID)) + "|" + child.text(1))
        out.append((image.text(0), clusters, frozenset(loose)))
    return out


def _cluster_ids(panel: MarksPanel) -> set[str]:
    assert panel.model is not None
    return {c for img in panel.model.images.values() for c in img.clusters}


edits = st.lists(
    st.tuples(st.sampled_from(["add", "move", "remove", "group", "ungroup", "reject"]), st.integers(0, 40)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=edits, batch=st.booleans())
def test_updates_match_a_full_rebuild(qtbot: Any, steps: list[tuple[str, int]], batch: bool) -> None:
    """After any edits (one update per edit, or several in one turn) the tree equals a fresh rebuild."""
    model, keys = _model()
    for n in range(12):
        calc = _calc(n)
        model.images[keys[n % 2]].calcifications[calc.id] = calc
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    counter = 100
    for op, n in steps:
        key = keys[n % 2]
        img = model.images[key]
        ids = list(img.calcifications)
        if op == "add":
            counter += 1
            model.put_calcification(key, _calc(counter))
        elif op == "move" and ids:
            calc = img.calcifications[ids[n % len(ids)]]
            model.put_calcification(key, dataclasses.replace(calc.moved(5.0, 0.0), morphology="amorphous"))
        elif op == "remove" and ids:
            held = {m for c in img.clusters.values() for m in c.member_ids}
            free = [i for i in ids if i not in held]  # the model refuses a cluster's member
            if free:
                model.remove_calcification(key, free[n % len(free)])
        elif op == "group" and len(ids) >= 2:
            members = tuple(ids[n % len(ids) :][:3]) or tuple(ids[:2])
            model.put_cluster(key, Cluster(f"c{n % 4}", members, ClusterState.CONFIRMED))
        elif op == "ungroup" and img.clusters:
            model.remove_cluster(key, next(iter(img.clusters)))
        elif op == "reject" and img.clusters:
            cluster = next(iter(img.clusters.values()))
            members = tuple(m for m in cluster.member_ids if m in img.calcifications)
            if members:
                model.put_cluster(
                    key, dataclasses.replace(cluster, member_ids=members, state=ClusterState.REJECTED)
                )
        if not batch:
            panel._apply_changes()
            assert tree_state(panel) == _rebuilt(qtbot, model, keys)
    panel._apply_changes()
    assert tree_state(panel) == _rebuilt(qtbot, model, keys)


def _rebuilt(qtbot: Any, model: StudyAnnotations, keys: list[ImageKey]) -> Any:
    fresh = MarksPanel()
    qtbot.addWidget(fresh)
    fresh.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    state = tree_state(fresh)
    model.unsubscribe(fresh._on_change)
    return state


def test_an_edit_keeps_other_rows_and_the_selection(qtbot: Any) -> None:
    """Moving one mark touches its row only: the other rows are the same objects, the selection stays."""
    model, keys = _model()
    for n in range(30):
        calc = _calc(n)
        model.images[keys[0]].calcifications[calc.id] = calc
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    ids = list(model.images[keys[0]].calcifications)
    rows = {i: panel.item_for(i) for i in ids}
    panel.select_ids({ids[3]})
    calc = model.images[keys[0]].calcifications[ids[5]]
    model.put_calcification(keys[0], calc.moved(2.0, 0.0))
    qtbot.waitUntil(lambda: not panel._refresh_timer.isActive())
    assert all(panel.item_for(i) is rows[i] for i in ids)
    assert panel.selected_ids() == {ids[3]}
    model.put_cluster(keys[0], Cluster("c1", (ids[3], ids[4]), ClusterState.CONFIRMED))
    qtbot.waitUntil(lambda: not panel._refresh_timer.isActive())
    assert panel.selected_ids() == {ids[3]}
    cluster_row = panel.item_for("c1")
    assert cluster_row is not None and cluster_row.childCount() == 2
    assert panel.summary.text() == "Study: 30 calcifications, 1 confirmed cluster, 0 suggested"
