"""The marks panel updates only what an edit touched, and ends as a full rebuild would."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    ImageKey,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing, SpacingSource
from viewer.qt.marks_panel import ROLE_ID, ROLE_KIND, MarksPanel
from viewer.qt.marks_rows import ROLE_DEPTH
from viewer.qt.marks_table import INDENT_PX

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
    """Per image row: its text, its cluster rows (text, member ids) in order, its loose mark ids,
    read from the rows in order by their depth (a cluster's members follow it, one level deeper)."""
    rows = panel.rows
    out: list[Any] = []
    members: set[str] | None = None
    for i in range(rows.rowCount()):
        row = rows.index(i, 0)
        kind, depth = row.data(ROLE_KIND), row.data(ROLE_DEPTH)
        text = str(row.data(ROLE_ID)) + "|" + row.siblingAtColumn(1).data()
        if kind == "image":
            assert depth == 0
            out.append((row.data(), [], set()))
        elif kind == "cluster":
            assert depth == 1
            members = set()
            out[-1][1].append((row.data(), members))
        elif depth == 2:
            assert members is not None and text not in members
            members.add(text)
        else:
            assert depth == 1 and kind == "calcification"
            members = None
            out[-1][2].add(text)
    return [
        (image, [(c, frozenset(m)) for c, m in clusters], frozenset(loose)) for image, clusters, loose in out
    ]


def _cluster_ids(panel: MarksPanel) -> set[str]:
    assert panel.model is not None
    return {c for img in panel.model.images.values() for c in img.clusters}


edits = st.lists(
    st.tuples(
        st.sampled_from(["add", "add_grouped", "move", "remove", "group", "ungroup", "reject"]),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=edits, batch=st.booleans())
def test_updates_match_a_full_rebuild(
    qtbot: Any, qtmodeltester: Any, steps: list[tuple[str, int]], batch: bool
) -> None:
    """After any edits (one update per edit, or several in one turn) the tree equals a fresh rebuild,
    and every change the rows announced is one Qt's model tester accepts."""
    model, keys = _model()
    for n in range(12):
        calc = _calc(n)
        model.images[keys[n % 2]].calcifications[calc.id] = calc
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    qtmodeltester.check(panel.rows)
    counter = 100
    for op, n in steps:
        key = keys[n % 2]
        img = model.images[key]
        ids = list(img.calcifications)
        if op == "add":
            counter += 1
            model.put_calcification(key, _calc(counter))
        elif op == "add_grouped" and ids:  # a new mark and a new cluster holding it, in one turn
            counter += 1
            calc = _calc(counter)
            model.put_calcification(key, calc)
            model.put_cluster(
                key, Cluster(f"g{counter}", (calc.id, ids[n % len(ids)]), ClusterState.CONFIRMED)
            )
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
    """Moving one mark announces its row only (no row inserted, removed or moved); the selection stays."""
    model, keys = _model()
    for n in range(30):
        calc = _calc(n)
        model.images[keys[0]].calcifications[calc.id] = calc
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    ids = list(model.images[keys[0]].calcifications)
    before = tree_state(panel)  # every row's texts asked for, as a view showing them would
    rows = panel.rows
    structural: list[object] = []
    for signal in (rows.rowsInserted, rows.rowsRemoved, rows.rowsMoved, rows.layoutChanged, rows.modelReset):
        signal.connect(lambda *args: structural.append(args))
    announced: list[tuple[str, str]] = []

    def note(first: Any, last: Any, *_: Any) -> None:
        for row in range(first.row(), last.row() + 1):
            index = first.siblingAtRow(row)
            announced.append((index.data(ROLE_KIND), str(index.data(ROLE_ID))))

    rows.dataChanged.connect(note)
    panel.select_ids({ids[3]})
    calc = model.images[keys[0]].calcifications[ids[5]]
    model.put_calcification(keys[0], calc.moved(2.0, 0.0))
    qtbot.waitUntil(lambda: not panel._refresh_timer.isActive())
    assert structural == []
    assert {(kind, i) for kind, i in announced if kind != "image"} == {("calcification", ids[5])}
    assert tree_state(panel) == before
    assert panel.selected_ids() == {ids[3]}
    model.put_cluster(keys[0], Cluster("c1", (ids[3], ids[4]), ClusterState.CONFIRMED))
    qtbot.waitUntil(lambda: not panel._refresh_timer.isActive())
    assert panel.selected_ids() == {ids[3]}
    assert [(c, len(m)) for c, m in tree_state(panel)[0][1]] == [("cluster 1 (2)", 2)]
    assert panel.summary.text() == "Study: 30 calcifications, 1 confirmed cluster, 0 suggested"


def test_rows_out_of_sight_make_no_texts(qtbot: Any) -> None:
    """Opening 2,000 marks asks the texts of the rows on screen only, and the tree scrolls to the last."""
    model, keys = _model()
    for n in range(2000):
        calc = _calc(n)
        model.images[keys[n % 2]].calcifications[calc.id] = calc
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    qtbot.wait(20)
    made = [node for node in panel.rows._nodes.values() if node.texts is not None]
    assert 10 < len(made) < 200
    last = list(model.images[keys[1]].calcifications)[-1]
    panel.select_ids({last})
    qtbot.wait(20)
    index = panel.index_for(last)
    assert panel.tree.visualRect(index).intersects(panel.tree.viewport().rect())
    assert index.siblingAtColumn(0).data() == "calcification"


def test_a_header_row_closes_and_opens(qtbot: Any) -> None:
    """A click on a cluster row's arrow hides its members; Right on it shows them again, selection kept."""
    model, keys = _model()
    for n in range(6):
        calc = _calc(n)
        model.images[keys[0]].calcifications[calc.id] = calc
    ids = list(model.images[keys[0]].calcifications)
    model.images[keys[0]].clusters["c1"] = Cluster("c1", tuple(ids[:3]), ClusterState.CONFIRMED)
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    before = tree_state(panel)
    panel.select_ids({ids[4]})
    cluster = panel.index_for("c1")
    arrow = panel.tree.visualRect(cluster).topLeft() + QPoint(INDENT_PX + INDENT_PX // 2, 6)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=arrow)
    assert not panel.index_for(ids[0]).isValid() and panel.index_for(ids[4]).isValid()
    assert tree_state(panel)[0][1] == [("cluster 1 (3)", frozenset())]
    assert panel.selected_ids() == {ids[4]}
    panel.tree.setCurrentIndex(panel.index_for("c1"))
    qtbot.keyClick(panel.tree, Qt.Key.Key_Right)
    assert tree_state(panel) == before


def _fits(panel: MarksPanel) -> list[str]:
    """The texts that do not fit their column (each row's texts, the branch arrow and indentation
    counted in the first column)."""
    advance = panel.tree.fontMetrics().horizontalAdvance
    indent = panel.tree.indentation()
    cut = []
    rows = panel.rows

    def walk(parent: Any, depth: int) -> None:
        for r in range(rows.rowCount(parent)):
            for c in range(rows.columnCount(parent)):
                index = rows.index(r, c, parent)
                text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
                room = panel.tree.columnWidth(c) - ((depth + 1) * indent if c == 0 else 0)
                if text and advance(text) > room:
                    cut.append(text)
            walk(rows.index(r, 0, parent), depth + 1)

    walk(rows.index(-1, -1).parent(), 0)
    return cut


def test_columns_fit_their_texts_after_load_and_edits(qtbot: Any) -> None:
    """Opened empty, then marks added one by one and a cluster made: no text of any row (the
    image rows "RCC: 12 marks, 1 cluster" included) is cut, as the user saw "RC..." and "1.705 ...")."""
    model, keys = _model()
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    assert _fits(panel) == []
    ids = []
    for n in range(12):
        calc = _calc(n)
        ids.append(calc.id)
        model.put_calcification(keys[0], calc)
        qtbot.waitUntil(lambda: not panel._refresh_timer.isActive())
    model.put_cluster(keys[0], Cluster("c1", tuple(ids[:6]), ClusterState.CONFIRMED, distribution="grouped"))
    qtbot.waitUntil(lambda: not panel._refresh_timer.isActive())
    assert _fits(panel) == []


def test_rows_moving_into_a_cluster_are_announced_in_runs(qtbot: Any) -> None:
    """20 neighbouring rows moving under a new cluster are announced in runs, not one signal each."""
    model, keys = _model()
    for n in range(30):
        calc = _calc(n)
        model.images[keys[0]].calcifications[calc.id] = calc
    panel = MarksPanel()
    qtbot.addWidget(panel)
    panel.set_model(model, dict(zip(keys, VIEWS, strict=True)))
    tree_state(panel)
    ids = list(model.images[keys[0]].calcifications)
    signals: list[tuple[int, int]] = []
    panel.rows.dataChanged.connect(lambda first, last, *_: signals.append((first.row(), last.row())))
    model.put_cluster(keys[0], Cluster("c1", tuple(ids[:20]), ClusterState.CONFIRMED))
    qtbot.waitUntil(lambda: not panel._refresh_timer.isActive())
    assert sum(last - first + 1 for first, last in signals) >= 20
    assert len(signals) <= 4
