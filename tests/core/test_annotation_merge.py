"""Two versions of one reader's marks made into one: nothing dropped, mine wins where both changed."""

from __future__ import annotations

from viewer.core.annotation_merge import merge_versions
from viewer.core.annotations import Calcification, Cluster, ClusterState, ImageAnnotations, StudyAnnotations
from viewer.core.geometry import Spacing, SpacingSource

SPACING = Spacing(0.07, 0.07, SpacingSource.PIXEL_SPACING, "mm (test)")


def _model(*marks: tuple[str, float], key: str = "1.2.3") -> StudyAnnotations:
    model = StudyAnnotations("Alice", "9.9")
    model.ensure_image(ImageAnnotations(key, dicom_spacing=SPACING, rows=100, columns=100))
    for mark_id, x in marks:
        square = [(x - 1, 10.0), (x + 1, 10.0), (x + 1, 12.0), (x - 1, 12.0)]
        calc = Calcification.create((x, 11.0), square, SPACING, reader="Alice")
        model.put_calcification((key, 0), Calcification(mark_id, calc.center, calc.outline, calc.sizes))
    return model


def _ids(model: StudyAnnotations) -> set[str]:
    return {c.id for _k, c in model.iter_calcifications()}


class TestMergeVersions:
    def test_union_of_marks(self) -> None:
        """Marks only in one version are all kept, and counted by side."""
        merged, report = merge_versions(_model(("a", 20), ("b", 30)), _model(("a", 20), ("c", 40)))
        assert _ids(merged) == {"a", "b", "c"}
        assert (report.from_theirs, report.from_mine, report.differed) == (1, 1, 0)
        assert "1 mark(s) or cluster(s) saved elsewhere were added" in report.sentence()

    def test_mine_wins_where_both_changed(self) -> None:
        """A mark moved in both places keeps my position, and the report says so."""
        merged, report = merge_versions(_model(("a", 25)), _model(("a", 50)))
        ((_key, calc),) = merged.iter_calcifications()
        assert calc.center == (25.0, 11.0)
        assert report.differed == 1

    def test_images_of_either_side(self) -> None:
        """An image marked only elsewhere comes along with its marks."""
        theirs = _model(("t", 20), key="4.5.6")
        merged, _ = merge_versions(_model(("m", 20)), theirs)
        assert set(merged.images) == {("1.2.3", 0), ("4.5.6", 0)}
        assert _ids(merged) == {"m", "t"}

    def test_clusters_need_their_members(self) -> None:
        """A cluster from either side stays when all its members are in the result."""
        mine = _model(("a", 20), ("b", 30))
        mine.put_cluster(("1.2.3", 0), Cluster("k1", ("a", "b"), ClusterState.CONFIRMED))
        theirs = _model(("c", 40))
        merged, report = merge_versions(mine, theirs)
        assert set(merged.images[("1.2.3", 0)].clusters) == {"k1"}
        assert report.from_mine == 3

    def test_inputs_are_left_alone(self) -> None:
        """Neither version is modified by the merge."""
        mine, theirs = _model(("a", 20)), _model(("c", 40))
        merge_versions(mine, theirs)
        assert _ids(mine) == {"a"} and _ids(theirs) == {"c"}
