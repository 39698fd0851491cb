"""The annotation model: spacing, sizes in mm with their source, commands and undo."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.core.annotations import (
    Calcification,
    Calibration,
    ChangeKind,
    Cluster,
    ClusterState,
    ImageAnnotations,
    StudyAnnotations,
)
from viewer.core.commands import (
    AddCalcification,
    Batch,
    CommandStack,
    PutCluster,
    RemoveCalcifications,
    ReplaceCalcification,
    SetCalibration,
)
from viewer.core.geometry import Spacing, SpacingSource, feret

KEY = ("1.2.3", 0)
ERMF = Spacing(
    0.1 / 1.1,
    0.1 / 1.1,
    SpacingSource.IMAGER_PIXEL_SPACING_ERMF,
    "mm at the breast plane (ERMF 1.1)",
    ermf=1.1,
)


def disc(cx: float, cy: float, r: float, n: int = 64) -> list[tuple[float, float]]:
    return [
        (cx + r * math.cos(2 * math.pi * k / n), cy + r * math.sin(2 * math.pi * k / n)) for k in range(n)
    ]


class TestSpacing:
    def test_anisotropic_lengths_in_mm(self) -> None:
        """A step along x uses the column spacing, along y the row spacing (DICOM order)."""
        s = Spacing(0.2, 0.1, SpacingSource.PIXEL_SPACING, "mm calibrated")
        assert s.distance_mm((0, 0), (10, 0)) == pytest.approx(1.0)
        assert s.distance_mm((0, 0), (0, 10)) == pytest.approx(2.0)
        assert s.area_mm2(100.0) == pytest.approx(2.0)

    def test_uncalibrated_has_no_mm(self) -> None:
        """Without spacing there is no mm, only pixels, and the label says so."""
        s = Spacing.uncalibrated()
        assert s.distance_mm((0, 0), (3, 4)) is None
        assert s.format_length(None, 5.0) == "5.0 px"
        assert s.short_label == "uncalibrated"

    def test_rejects_half_a_spacing(self) -> None:
        """Constructors name the bad argument."""
        with pytest.raises(ValueError, match="row_mm"):
            Spacing(0.1, None, SpacingSource.PIXEL_SPACING, "x")
        with pytest.raises(ValueError, match="positive"):
            Spacing(-0.1, 0.1, SpacingSource.PIXEL_SPACING, "x")

    def test_round_trip(self) -> None:
        assert Spacing.from_dict(ERMF.to_dict()) == ERMF

    def test_rejects_infinite_ermf(self) -> None:
        """A magnification factor no file can hold (infinity, NaN) is refused, named."""
        for ermf in (math.inf, math.nan):
            with pytest.raises(ValueError, match="ermf"):
                Spacing(0.1, 0.1, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "mm", ermf=ermf)


class TestSizes:
    @given(st.floats(2.0, 40.0), st.floats(0.03, 0.2), st.floats(0.5, 2.0))
    def test_disc_long_axis(self, radius_px: float, col_mm: float, aspect: float) -> None:
        """A circle of r pixels has long axis 2r px; in mm the longer pixel side wins."""
        spacing = Spacing(col_mm * aspect, col_mm, SpacingSource.PIXEL_SPACING, "mm")
        calc = Calcification.create((50, 50), disc(50, 50, radius_px), spacing)
        assert calc.sizes is not None and calc.sizes.long_axis_mm is not None
        assert calc.sizes.long_axis_px == pytest.approx(2 * radius_px, rel=0.01)
        expected_mm = 2 * radius_px * max(col_mm, col_mm * aspect)
        assert calc.sizes.long_axis_mm == pytest.approx(expected_mm, rel=0.01)
        assert calc.sizes.spacing is spacing

    def test_feret_of_rectangle(self) -> None:
        """Long axis of a 30 x 40 rectangle is its diagonal (50); the extent perpendicular to
        it spans the two other corners, each 30*40/50 = 24 from the diagonal: 48."""
        f = feret([(0, 0), (30, 0), (30, 40), (0, 40)])
        assert f.long_axis == pytest.approx(50.0)
        assert f.short_axis == pytest.approx(48.0)

    @pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
    def test_non_finite_outline_refused(self, bad: float) -> None:
        """A mark or drawn cluster outline with an infinite or NaN vertex is refused, naming it."""
        outline = [(0.0, 0.0), (bad, 0.0), (0.0, 10.0)]
        with pytest.raises(ValueError, match="outline vertices must be finite"):
            Calcification.create((1, 2), outline, ERMF)
        sizes = Calcification.create((1, 2), [(0, 0), (10, 0), (0, 10)], ERMF).sizes
        with pytest.raises(ValueError, match="outline vertices must be finite"):
            Calcification("c", (1, 2), tuple(outline), sizes)
        with pytest.raises(ValueError, match="cluster outline vertices must be finite"):
            Cluster("k", (), outline=tuple(outline))

    def test_outline_measuring_infinite_refused(self) -> None:
        """Finite vertices whose sizes overflow to infinity (1e308 apart) give no mark."""
        with pytest.raises(ValueError, match="finite"):
            Calcification.create((1, 2), [(0.0, 0.0), (1e308, 0.0), (0.0, 1e308)], ERMF)

    def test_point_mark_not_measured(self) -> None:
        """A point-only mark has no sizes (never 0)."""
        calc = Calcification.create((1, 2), None, ERMF)
        assert calc.sizes is None and not calc.measured


class TestCommands:
    def make(self) -> tuple[StudyAnnotations, CommandStack, list[ChangeKind]]:
        model = StudyAnnotations("r")
        model.ensure_image(ImageAnnotations(KEY[0], dicom_spacing=ERMF))
        seen: list[ChangeKind] = []
        model.subscribe(lambda change: seen.append(change.kind))
        return model, CommandStack(model), seen

    def test_add_replace_remove_undo(self) -> None:
        """Every edit undoes to the exact previous state and is announced."""
        model, stack, seen = self.make()
        calc = Calcification.create((10, 10), disc(10, 10, 3), ERMF)
        stack.push(AddCalcification(KEY, calc))
        moved = calc.moved(5, 0)
        stack.push(ReplaceCalcification(KEY, calc, moved))
        assert model.image(KEY).calcifications[calc.id].center == (15, 10)
        stack.undo()
        assert model.image(KEY).calcifications[calc.id] == calc
        stack.push(RemoveCalcifications(KEY, [calc.id]))
        assert model.count() == (0, 0)
        stack.undo()
        assert model.image(KEY).calcifications[calc.id] == calc
        assert ChangeKind.CALCIFICATION_ADDED in seen and ChangeKind.CALCIFICATION_REMOVED in seen

    def test_a_clusters_member_cannot_be_removed_behind_its_back(self) -> None:
        """Removing a member straight from the model is refused, so the saved file always loads;
        RemoveCalcifications (the delete users make) takes it out of the cluster first."""
        from viewer.store.serialize import from_dict, to_dict

        model, stack, _ = self.make()
        a, b = (Calcification.create((10 * i, 10), disc(10 * i, 10, 2), ERMF) for i in (1, 3))
        stack.push(AddCalcification(KEY, a))
        stack.push(AddCalcification(KEY, b))
        stack.push(PutCluster(KEY, Cluster("k", (a.id, b.id), ClusterState.CONFIRMED)))
        with pytest.raises(ValueError, match="member of cluster k"):
            model.remove_calcification(KEY, a.id)
        assert a.id in model.image(KEY).calcifications  # untouched
        stack.push(RemoveCalcifications(KEY, [a.id]))
        assert model.image(KEY).clusters["k"].member_ids == (b.id,)
        assert from_dict(to_dict(model)).count() == model.count()

    def test_clean_is_lost_after_undo_and_a_new_edit(self) -> None:
        """Save at two edits, undo one, make another: the saved state is gone, not clean."""
        _, stack, _ = self.make()
        a, b, c = (Calcification.create((10 * i, 10), disc(10 * i, 10, 2), ERMF) for i in (1, 3, 5))
        stack.push(AddCalcification(KEY, a))
        stack.push(AddCalcification(KEY, b))
        stack.set_clean()
        assert stack.clean
        stack.undo()
        assert not stack.clean
        stack.push(AddCalcification(KEY, c))
        assert not stack.clean  # two edits again, but not the two that were saved
        stack.undo()
        assert not stack.clean

    def test_batch_is_all_or_nothing(self) -> None:
        """A failing command inside a batch leaves the model as it was and nothing on the stack."""
        model, stack, _ = self.make()
        a = Calcification.create((10, 10), disc(10, 10, 2), ERMF)
        stack.push(AddCalcification(KEY, a))
        before = dict(model.image(KEY).calcifications)
        b = Calcification.create((30, 10), disc(30, 10, 2), ERMF)
        batch = Batch([AddCalcification(KEY, b), RemoveCalcifications(KEY, ["no-such-mark"])])
        with pytest.raises(KeyError, match="no-such-mark"):
            stack.push(batch)
        assert model.image(KEY).calcifications == before
        assert stack.undo() and model.count() == (0, 0)  # the one undo step is the first add
        assert not stack.undo()

    def test_remove_with_an_unknown_id_changes_nothing(self) -> None:
        """RemoveCalcifications checks every id before it deletes any."""
        model, stack, _ = self.make()
        a = Calcification.create((10, 10), disc(10, 10, 2), ERMF)
        stack.push(AddCalcification(KEY, a))
        with pytest.raises(KeyError):
            stack.push(RemoveCalcifications(KEY, [a.id, "missing"]))
        assert a.id in model.image(KEY).calcifications
        assert stack.undo() and not stack.undo()  # only the add is on the stack

    def test_deleting_a_member_shrinks_its_cluster_and_undo_restores(self) -> None:
        """A cluster loses a deleted member; undo brings both back."""
        model, stack, _ = self.make()
        calcs = [Calcification.create((10 * i, 10), disc(10 * i, 10, 2), ERMF) for i in range(1, 4)]
        for c in calcs:
            stack.push(AddCalcification(KEY, c))
        cluster = Cluster("c1", tuple(c.id for c in calcs), ClusterState.CONFIRMED)
        stack.push(PutCluster(KEY, cluster))
        stack.push(RemoveCalcifications(KEY, [calcs[0].id]))
        assert model.image(KEY).clusters["c1"].member_ids == (calcs[1].id, calcs[2].id)
        stack.undo()
        assert model.image(KEY).clusters["c1"] == cluster

    def test_calibration_remeasures_and_undoes(self) -> None:
        """A manual calibration changes every size and its source; undo restores them."""
        model, stack, _ = self.make()
        calc = Calcification.create((10, 10), disc(10, 10, 5), ERMF)
        stack.push(AddCalcification(KEY, calc))
        cal = Calibration("k", (0, 0), (100, 0), 5.0)
        stack.push(SetCalibration(KEY, cal))
        after = model.image(KEY).calcifications[calc.id]
        assert after.sizes is not None and after.sizes.long_axis_mm == pytest.approx(0.5, rel=0.01)
        assert after.sizes.spacing.source is SpacingSource.MANUAL
        stack.undo()
        assert model.image(KEY).calcifications[calc.id].sizes == calc.sizes

    def test_clean_state(self) -> None:
        """The stack knows when it is back at the saved state."""
        _, stack, _ = self.make()
        stack.set_clean()
        stack.push(AddCalcification(KEY, Calcification.create((1, 1), None, ERMF)))
        assert not stack.clean
        stack.undo()
        assert stack.clean


def test_snapshot_is_not_changed_by_later_edits() -> None:
    """A snapshot (what a background save writes) keeps the state of the moment it was taken."""
    model = StudyAnnotations("r")
    model.ensure_image(ImageAnnotations(KEY[0], dicom_spacing=ERMF))
    stack = CommandStack(model)
    first = Calcification.create((10, 10), disc(10, 10, 3), ERMF)
    stack.push(AddCalcification(KEY, first))
    snap = model.snapshot()
    stack.push(AddCalcification(KEY, Calcification.create((40, 10), None, ERMF)))
    stack.push(RemoveCalcifications(KEY, [first.id]))
    assert list(snap.image(KEY).calcifications.values()) == [first]
    assert snap.image(KEY).dicom_spacing == ERMF
