"""Tests for viewer.core.cluster: the grouping rule, suggestions, the Grouper and reader edits."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    StudyAnnotations,
)
from viewer.core.cluster import SUGGESTION_PREFIX, ClusterRule, single_linkage, suggest_clusters
from viewer.core.cluster_edits import (
    ClusterEdit,
    add_member,
    cluster_from_polygon,
    confirm,
    dissolve,
    merge,
    remove_member,
    split,
)
from viewer.core.cluster_grouper import Grouper
from viewer.core.commands import CommandStack
from viewer.core.geometry import Spacing, SpacingSource

ISO_01 = Spacing(0.1, 0.1, SpacingSource.PIXEL_SPACING, "mm calibrated")


def make_image(points: list[tuple[float, float]], spacing: Spacing = ISO_01) -> ImageAnnotations:
    """An image holding point-only marks m0, m1, ... at ``points``."""
    img = ImageAnnotations("1.2.3", rows=1000, columns=1000, dicom_spacing=spacing)
    for i, p in enumerate(points):
        img.calcifications[f"m{i}"] = Calcification(f"m{i}", p)
    return img


def brute_force_groups(points: np.ndarray, max_distance: float) -> set[frozenset[int]]:
    """Single linkage by union-find over every pair: the oracle."""
    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(points)), 2):
        dx, dy = points[i] - points[j]
        if dx * dx + dy * dy <= max_distance * max_distance:
            parent[find(i)] = find(j)
    groups: dict[int, set[int]] = {}
    for i in range(len(points)):
        groups.setdefault(find(i), set()).add(i)
    return {frozenset(g) for g in groups.values()}


def as_groups(labels: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == k).tolist()) for k in np.unique(labels)}


class TestClusterRule:
    def test_defaults_are_birads(self) -> None:
        """The default rule is 5 marks within 10 mm."""
        rule = ClusterRule()
        assert (rule.min_count, rule.diameter_mm) == (5, 10.0)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"min_count": 1},
            {"diameter_mm": 0.0},
            {"diameter_mm": math.nan},
            {"uncalibrated_distance_px": -3.0},
        ],
    )
    def test_rejects_bad_values(self, kwargs: dict[str, Any]) -> None:
        """Nonsense rules are refused with the name of the bad field."""
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            ClusterRule(**kwargs)

    def test_uncalibrated_uses_pixels_and_says_so(self) -> None:
        """Without spacing the pixel equivalent is used and the description flags it."""
        rule = ClusterRule()
        assert rule.linkage_distance(Spacing.uncalibrated()) == 140.0
        assert rule.linkage_distance(ISO_01) == 10.0
        text = rule.describe(Spacing.uncalibrated())
        assert "uncalibrated" in text and "140 px" in text
        assert "10 mm" in rule.describe(ISO_01) and ISO_01.label in rule.describe(ISO_01)


class TestSingleLinkage:
    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=40),
        st.sampled_from([3.0, 5.0, 7.5]),
    )
    def test_matches_brute_force(self, pts: list[tuple[int, int]], d: float) -> None:
        """KD-tree linkage equals pairwise union-find, ties at exactly d included."""
        arr = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        assert as_groups(single_linkage(arr, d)) == brute_force_groups(arr, d)

    def test_distance_equal_to_limit_links(self) -> None:
        """Two centres exactly max_distance apart are linked (within 1 cm means <=)."""
        labels = single_linkage([(0.0, 0.0), (6.0, 8.0), (6.0, 18.01)], 10.0)
        assert labels[0] == labels[1] != labels[2]

    def test_empty(self) -> None:
        """No points, no labels."""
        assert single_linkage(np.zeros((0, 2)), 1.0).shape == (0,)


class TestSuggestClusters:
    def test_chain_of_five_within_a_centimetre(self) -> None:
        """Five marks 9 mm apart in a chain are one candidate, suggested as linear, not grouped;
        four are no candidate at all."""
        pts = [(100.0 + 90 * i, 100.0) for i in range(5)]
        (only,) = suggest_clusters(make_image(pts))
        assert only.state is ClusterState.SUGGESTED
        assert only.member_ids == ("m0", "m1", "m2", "m3", "m4")
        assert only.distribution == "linear" and "36 mm in a line" in only.note
        assert suggest_clusters(make_image(pts[:4])) == []

    def test_gap_over_a_centimetre_splits(self) -> None:
        """A 10.5 mm gap splits two groups of five."""
        pts = [(100.0 + 20 * i, 100.0) for i in range(5)]
        pts += [(100.0 + 80 + 105 + 20 * i, 100.0) for i in range(5)]
        groups = suggest_clusters(make_image(pts))
        assert [len(g.member_ids) for g in groups] == [5, 5]

    def test_anisotropic_spacing_is_physical(self) -> None:
        """100 px along x is 5 mm and links; 100 px along y is 20 mm and does not."""
        spacing = Spacing(0.2, 0.05, SpacingSource.PIXEL_SPACING, "mm")
        along_x = [(100.0 * i, 0.0) for i in range(5)]
        along_y = [(0.0, 100.0 * i) for i in range(5)]
        assert len(suggest_clusters(make_image(along_x, spacing))) == 1
        assert suggest_clusters(make_image(along_y, spacing)) == []

    def test_uncalibrated_groups_in_pixels(self) -> None:
        """Without spacing, marks 130 px apart link and 150 px apart do not."""
        none = Spacing.uncalibrated()
        assert len(suggest_clusters(make_image([(130.0 * i, 0) for i in range(5)], none))) == 1
        assert suggest_clusters(make_image([(150.0 * i, 0) for i in range(5)], none)) == []

    def test_reader_decisions_are_left_alone(self) -> None:
        """Marks in a confirmed or rejected cluster are never regrouped."""
        img = make_image([(100.0 + 10 * i, 100.0) for i in range(7)])
        img.clusters["c"] = Cluster("c", ("m0", "m1"), ClusterState.CONFIRMED)
        (s,) = suggest_clusters(img)
        assert s.member_ids == ("m2", "m3", "m4", "m5", "m6")
        img.clusters["r"] = Cluster("r", ("m6",), ClusterState.REJECTED)
        assert suggest_clusters(img) == []

    def test_id_is_stable_while_editing_around(self) -> None:
        """Adding, moving and removing other members keeps a suggestion's id."""
        img = make_image([(100.0 + 10 * i, 100.0) for i in range(6)])
        (before,) = suggest_clusters(img)
        assert before.id == SUGGESTION_PREFIX + "m0"
        img.calcifications["new"] = Calcification("new", (95.0, 105.0))
        img.calcifications["m3"] = img.calcifications["m3"].moved(3, 3)
        del img.calcifications["m5"]
        (after,) = suggest_clusters(img)
        assert after.id == before.id and "new" in after.member_ids

    def test_custom_rule(self) -> None:
        """A 3-mark, 2 mm rule is honoured."""
        img = make_image([(0.0, 0.0), (15.0, 0.0), (30.0, 0.0), (60.0, 0.0)])
        (s,) = suggest_clusters(img, ClusterRule(min_count=3, diameter_mm=2.0))
        assert s.member_ids == ("m0", "m1", "m2")


# -- Grouper against the from-scratch oracle ---------------------------------------------

OPS = st.lists(
    st.one_of(
        *[st.tuples(st.just("add"), st.integers(0, 80), st.integers(0, 40))] * 4,
        st.tuples(st.just("move"), st.integers(0, 99), st.integers(-12, 12), st.integers(-12, 12)),
        st.tuples(st.just("remove"), st.integers(0, 99)),
        st.tuples(st.just("confirm"), st.integers(0, 9)),
        st.tuples(st.just("dissolve"), st.integers(0, 9)),
        st.tuples(st.just("forget"), st.integers(0, 9)),
        st.tuples(st.just("batch"), st.integers(0, 99)),
    ),
    min_size=20,
    max_size=60,
)


def _apply(
    model: StudyAnnotations,
    key: tuple[str, int],
    op: tuple[str | int, ...],
    suggestions: list[Cluster],
    counter: itertools.count[int],
) -> None:
    img = model.image(key)
    ids = list(img.calcifications)
    kind = op[0]
    if kind == "add":
        cid = f"a{next(counter)}"
        model.put_calcification(key, Calcification(cid, (float(op[1]), float(op[2]))))
    elif kind == "move" and ids:
        calc = img.calcifications[ids[int(op[1]) % len(ids)]]
        model.put_calcification(key, calc.moved(float(op[2]), float(op[3])))
    elif kind == "remove" and ids:
        cid = ids[int(op[1]) % len(ids)]
        for c in list(img.clusters.values()):
            if cid in c.member_ids:
                model.remove_cluster(key, c.id)
        model.remove_calcification(key, cid)
    elif kind in ("confirm", "dissolve") and suggestions:
        s = suggestions[int(op[1]) % len(suggestions)]
        model.put_cluster(key, confirm(s) if kind == "confirm" else dissolve(s))
    elif kind == "forget" and img.clusters:
        model.remove_cluster(key, list(img.clusters)[int(op[1]) % len(img.clusters)])
    elif kind == "batch":
        for i in range(80):  # more than max_incremental_changes: forces a full regrouping
            model.put_calcification(key, Calcification(f"b{next(counter)}", (float(i % 60), 30.0)))


class TestGrouper:
    @pytest.mark.slow
    @settings(max_examples=25, deadline=None)
    @given(
        OPS, st.sampled_from([Spacing.uncalibrated(), Spacing(1.0, 0.7, SpacingSource.PIXEL_SPACING, "mm")])
    )
    def test_equals_from_scratch_after_every_edit(
        self, ops: list[tuple[str | int, ...]], spacing: Spacing
    ) -> None:
        """After any edit sequence the Grouper gives exactly suggest_clusters' answer."""
        rule = ClusterRule(min_count=3, diameter_mm=7.0, uncalibrated_distance_px=10.0)
        model = StudyAnnotations()
        img = model.ensure_image(ImageAnnotations("1.2", dicom_spacing=spacing))
        grouper = Grouper(rule)
        counter = itertools.count()
        suggestions: list[Cluster] = []
        for op in ops:
            _apply(model, img.key, op, suggestions, counter)
            suggestions = grouper.suggest(img)
            assert suggestions == suggest_clusters(img, rule)

    @pytest.mark.parametrize("seed", range(6))
    def test_equals_from_scratch_on_random_walks(self, seed: int) -> None:
        """Long random edit walks (sparse marks, many bridges) agree with suggest_clusters."""
        rng = np.random.default_rng(seed)
        rule = ClusterRule(min_count=3, uncalibrated_distance_px=10.0)
        model = StudyAnnotations()
        img = model.ensure_image(ImageAnnotations("1.2"))
        grouper = Grouper(rule)
        counter = itertools.count()
        suggestions: list[Cluster] = []
        kinds = ["add"] * 5 + ["move"] * 2 + ["remove"] * 2 + ["confirm", "dissolve", "forget"]
        for _ in range(300):
            kind = kinds[rng.integers(len(kinds))]
            op = (kind, *rng.integers(-12, 100, 3).tolist())
            _apply(model, img.key, op, suggestions, counter)
            suggestions = grouper.suggest(img)
            assert suggestions == suggest_clusters(img, rule)
        assert grouper.full_regroupings == 1

    def test_removing_a_bridge_splits_the_group(self) -> None:
        """Taking out the middle of a chain leaves two groups, incrementally."""
        img = make_image([(90.0 * i, 0.0) for i in range(11)])
        grouper = Grouper()
        assert len(grouper.suggest(img)) == 1
        del img.calcifications["m5"]
        got = grouper.suggest(img)
        assert [c.member_ids for c in got] == [
            ("m0", "m1", "m2", "m3", "m4"),
            ("m6", "m7", "m8", "m9", "m10"),
        ]
        assert grouper.full_regroupings == 1

    def test_small_edits_do_not_regroup_everything(self) -> None:
        """Moving, adding and removing single marks stays incremental."""
        rng = np.random.default_rng(1)
        img = make_image([tuple(p) for p in rng.uniform(0, 1000, (500, 2))])
        grouper = Grouper()
        grouper.suggest(img)
        for i in range(20):
            img.calcifications[f"m{i}"] = img.calcifications[f"m{i}"].moved(30, -20)
            img.calcifications[f"n{i}"] = Calcification(f"n{i}", (500.0, 500.0 + i))
            del img.calcifications[f"m{100 + i}"]
            assert grouper.suggest(img) == suggest_clusters(img)
        assert grouper.full_regroupings == 1

    def test_new_image_or_spacing_regroups(self) -> None:
        """Another image or a new calibration starts from scratch."""
        img = make_image([(10.0 * i, 0.0) for i in range(5)])
        grouper = Grouper()
        grouper.suggest(img)
        img.dicom_spacing = Spacing(2.0, 2.0, SpacingSource.PIXEL_SPACING, "mm")
        assert grouper.suggest(img) == []
        other = make_image([(10.0 * i, 0.0) for i in range(5)])
        assert len(grouper.suggest(other)) == 1
        assert grouper.full_regroupings == 3


# -- reader operations ------------------------------------------------------------------


class TestReaderOperations:
    def _suggestion(self) -> Cluster:
        return Cluster(SUGGESTION_PREFIX + "m0", ("m0", "m1", "m2"))

    def test_confirm_gives_a_reader_cluster(self) -> None:
        """A confirmed suggestion gets a fresh id, the reader and timestamps."""
        c = confirm(self._suggestion(), reader="ann")
        assert c.confirmed and c.member_ids == ("m0", "m1", "m2")
        assert not c.id.startswith(SUGGESTION_PREFIX) and c.reader == "ann" and c.created

    def test_dissolve_records_a_decision(self) -> None:
        """Dissolving keeps the members in a rejected group (same id for a reader cluster)."""
        c = confirm(self._suggestion())
        d = dissolve(c)
        assert d.rejected and d.id == c.id and d.member_ids == c.member_ids
        assert dissolve(self._suggestion()).rejected

    def test_add_and_remove_members(self) -> None:
        """Members are added once and removed; editing a suggestion confirms it."""
        c = add_member(self._suggestion(), ["m3", "m1", "m3"])
        assert c.confirmed and c.member_ids == ("m0", "m1", "m2", "m3")
        c2 = remove_member(c, "m1")
        assert c2.id == c.id and c2.member_ids == ("m0", "m2", "m3")
        with pytest.raises(ValueError, match="m9"):
            remove_member(c2, "m9")

    def test_merge(self) -> None:
        """Merging keeps the reader cluster's id, both members, descriptors and notes."""
        a = Cluster(
            "a",
            ("m0", "m1"),
            ClusterState.CONFIRMED,
            distribution="grouped",
            note="x",
            outline=((0, 0), (1, 0), (0, 1)),
        )
        s = Cluster(SUGGESTION_PREFIX + "m2", ("m2", "m3"))
        m = merge(s, a)
        assert m.id == "a" and set(m.member_ids) == {"m0", "m1", "m2", "m3"}
        assert m.distribution == "grouped" and m.note == "x" and m.outline is None

    def test_split(self) -> None:
        """Split returns the rest (same id) and a new confirmed cluster."""
        c = Cluster("c", ("m0", "m1", "m2", "m3"), ClusterState.CONFIRMED, assessment="4B")
        rest, off = split(c, ["m1", "m3"])
        assert (rest.id, rest.member_ids, rest.assessment) == ("c", ("m0", "m2"), "4B")
        assert off.confirmed and off.member_ids == ("m1", "m3") and off.id != "c"
        for bad in ([], ["m0", "m1", "m2", "m3"], ["zz"]):
            with pytest.raises(ValueError):
                split(c, bad)

    def test_cluster_from_polygon(self) -> None:
        """A drawn polygon takes the marks whose centre is inside and keeps the outline."""
        img = make_image([(5.0, 5.0), (50.0, 50.0), (8.0, 2.0)])
        c = cluster_from_polygon(img, [(0, 0), (10, 0), (10, 10), (0, 10)], reader="r")
        assert c.confirmed and c.member_ids == ("m0", "m2") and c.outline is not None

    def test_edit_moves_claimed_marks_and_undoes_in_one_step(self) -> None:
        """A drawn cluster takes marks from another reader cluster; one undo restores all."""
        model = StudyAnnotations()
        img = model.ensure_image(make_image([(0.0, 0.0), (5.0, 0.0), (50.0, 0.0), (55.0, 0)]))
        old = Cluster("old", ("m0", "m1"), ClusterState.CONFIRMED)
        gone = Cluster("gone", ("m2",), ClusterState.REJECTED)
        stack = CommandStack(model)
        stack.push(ClusterEdit.resolve(img, [old, gone]).command(img.key))
        drawn = cluster_from_polygon(img, [(3, -3), (60, -3), (60, 3), (3, 3)])
        stack.push(ClusterEdit.resolve(img, [drawn]).command(img.key, "draw cluster"))
        assert img.clusters["old"].member_ids == ("m0",) and "gone" not in img.clusters
        assert img.clusters[drawn.id].member_ids == ("m1", "m2", "m3")
        stack.undo()
        assert img.clusters == {"old": old, "gone": gone}

    def test_resolve_refuses_suggestions(self) -> None:
        """Suggestions are derived state and never stored."""
        with pytest.raises(ValueError, match="confirm"):
            ClusterEdit.resolve(make_image([(0.0, 0.0)]), [self._suggestion()])

    def test_dissolved_cluster_is_not_suggested_again(self) -> None:
        """After dissolve the marks stay out of suggestions; forgetting it brings them back."""
        model = StudyAnnotations()
        img = model.ensure_image(make_image([(10.0 * i, 0.0) for i in range(5)]))
        stack = CommandStack(model)
        (s,) = suggest_clusters(img)
        stack.push(ClusterEdit.resolve(img, [dissolve(s)]).command(img.key))
        assert suggest_clusters(img) == [] and model.count() == (5, 0)
        stack.undo()
        assert suggest_clusters(img) == [s]
