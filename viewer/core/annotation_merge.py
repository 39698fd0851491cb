"""Two versions of one reader's annotations of a study, made into one ("reload and merge").

Used when the same reader saved the study from two places (two workstations sharing an
archive): the version being saved ("mine") and the one found on the server ("theirs").
Marks, clusters and calibrations are matched by id (ids are random, so two places never
make the same id for different marks):

- a mark or cluster in only one version is kept;
- one in both that differs: mine wins (it is what the reader is looking at), counted;
- a cluster is kept only when all its members are in the result;
- an image's manual calibration: mine when I have one, else theirs.

Nothing is ever dropped silently: what the merge did is returned as a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from viewer.core.annotations import ImageAnnotations, StudyAnnotations

T = TypeVar("T")


@dataclass(frozen=True)
class MergeReport:
    """How many items came from each side; ``differed`` counts same-id items where mine won."""

    from_theirs: int
    from_mine: int
    differed: int

    def sentence(self) -> str:
        """What the merge did, for the reader."""
        parts = [f"{self.from_theirs} mark(s) or cluster(s) saved elsewhere were added"]
        if self.from_mine:
            parts.append(f"{self.from_mine} of yours kept")
        if self.differed:
            parts.append(f"{self.differed} changed in both places kept as you have them")
        return "; ".join(parts) + "."


def _union(mine: dict[str, T], theirs: dict[str, T]) -> tuple[dict[str, T], tuple[int, int, int]]:
    """Theirs' items in their order then mine's new ones; (from theirs, from mine, differed)."""
    out: dict[str, T] = {}
    differed = 0
    for item_id, item in theirs.items():
        if item_id in mine:
            differed += mine[item_id] != item
            out[item_id] = mine[item_id]
        else:
            out[item_id] = item
    added = {k: v for k, v in mine.items() if k not in theirs}
    out.update(added)
    only_theirs = sum(1 for k in theirs if k not in mine)
    return out, (only_theirs, len(added), differed)


def _empty_like(img: ImageAnnotations) -> ImageAnnotations:
    return replace(img, calcifications={}, clusters={})


def merge_versions(mine: StudyAnnotations, theirs: StudyAnnotations) -> tuple[StudyAnnotations, MergeReport]:
    """The union of two versions of one reader's marks, mine winning where both changed an item.

    Neither input is modified; the result belongs to ``mine``'s reader and study.
    """
    result = StudyAnnotations(mine.reader, mine.study_instance_uid or theirs.study_instance_uid)
    result.created = min(filter(None, (mine.created, theirs.created)), default=mine.created)
    from_theirs = from_mine = differed = 0
    keys = list(theirs.images) + [k for k in mine.images if k not in theirs.images]
    for key in keys:
        my_img, their_img = mine.images.get(key), theirs.images.get(key)
        base = my_img if my_img is not None else their_img
        assert base is not None
        img = _empty_like(base)
        img.calibration = (my_img.calibration if my_img is not None else None) or (
            their_img.calibration if their_img is not None else None
        )
        calcs, counts_calcs = _union(
            my_img.calcifications if my_img else {}, their_img.calcifications if their_img else {}
        )
        clusters, counts_clusters = _union(
            my_img.clusters if my_img else {}, their_img.clusters if their_img else {}
        )
        img.calcifications, img.clusters = calcs, clusters
        from_theirs += counts_calcs[0] + counts_clusters[0]
        from_mine += counts_calcs[1] + counts_clusters[1]
        differed += counts_calcs[2] + counts_clusters[2]
        img.clusters = {
            cid: c for cid, c in img.clusters.items() if all(m in img.calcifications for m in c.member_ids)
        }
        if my_img is not None and their_img is not None and my_img.calibration != their_img.calibration:
            spacing = img.spacing  # theirs' sizes were computed with their calibration
            img.calcifications = {cid: c.with_spacing(spacing) for cid, c in img.calcifications.items()}
        result.images[key] = img
    return result, MergeReport(from_theirs, from_mine, differed)
