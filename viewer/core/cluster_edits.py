"""The reader's cluster edits: confirm, reject, add and remove members, merge, split, draw.

Each operation returns new :class:`~viewer.core.annotations.Cluster` objects and never
mutates the model; :class:`ClusterEdit` turns them into one undoable command and keeps
each mark in at most one reader cluster. Suggestions come from :mod:`viewer.core.cluster`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from viewer.core.annotations import (
    Cluster,
    ClusterState,
    ImageAnnotations,
    ImageKey,
    new_id,
    utc_now,
)
from viewer.core.commands import Batch, Command, PutCluster, RemoveCluster
from viewer.core.geometry import Point, points_in_polygon


def _ids(ids: str | Iterable[str]) -> tuple[str, ...]:
    return (ids,) if isinstance(ids, str) else tuple(ids)


def _decided(cluster: Cluster, reader: str, **changes: object) -> Cluster:
    """``cluster`` with ``changes`` as a reader decision: an edited suggestion is confirmed."""
    now = utc_now()
    if cluster.state is ClusterState.SUGGESTED:
        base = replace(
            cluster, id=new_id(), state=ClusterState.CONFIRMED, reader=reader, created=now, note=""
        )
    else:
        base = cluster
    return replace(base, modified=now, **changes)  # type: ignore[arg-type]


def confirm(suggestion: Cluster, reader: str = "") -> Cluster:
    """The reader accepts a suggestion: a CONFIRMED cluster with a fresh id, same members.

    The suggested distribution becomes the reader's (who may change it later; regrouping
    never touches a confirmed cluster); the program's reason, kept as the note, is dropped.
    """
    if suggestion.state is ClusterState.CONFIRMED:
        return suggestion
    now = utc_now()
    note = "" if suggestion.state is ClusterState.SUGGESTED else suggestion.note
    return replace(
        suggestion,
        id=new_id(),
        state=ClusterState.CONFIRMED,
        reader=reader,
        created=now,
        modified=now,
        note=note,
    )


def dissolve(cluster: Cluster, reader: str = "") -> Cluster:
    """The reader says "not a cluster": a REJECTED group that keeps its marks out of grouping.

    Put it in place of the cluster (same id for a reader cluster). Removing a cluster
    instead (``RemoveCluster``) forgets the decision, and its marks may be suggested again.
    """
    now = utc_now()
    if cluster.state is ClusterState.SUGGESTED:
        return replace(
            cluster,
            id=new_id(),
            state=ClusterState.REJECTED,
            reader=reader,
            created=now,
            modified=now,
            distribution=None,
            note="",
        )
    return replace(cluster, state=ClusterState.REJECTED, modified=now)


def add_member(cluster: Cluster, ids: str | Iterable[str], reader: str = "") -> Cluster:
    """``cluster`` with the marks ``ids`` added (a suggestion becomes a confirmed cluster)."""
    new = [i for i in dict.fromkeys(_ids(ids)) if i not in cluster.member_ids]
    return _decided(cluster, reader, member_ids=cluster.member_ids + tuple(new))


def remove_member(cluster: Cluster, ids: str | Iterable[str], reader: str = "") -> Cluster:
    """``cluster`` without the marks ``ids``; raise ValueError if one is not a member."""
    gone = set(_ids(ids))
    if not gone <= set(cluster.member_ids):
        raise ValueError(
            f"not members of cluster {cluster.id}: " + ", ".join(sorted(gone - set(cluster.member_ids)))
        )
    members = tuple(m for m in cluster.member_ids if m not in gone)
    return _decided(cluster, reader, member_ids=members)


def merge(first: Cluster, second: Cluster, reader: str = "") -> Cluster:
    """One cluster holding the members of both.

    The result keeps the id of the first reader (non-suggested) cluster of the pair, the
    first cluster's descriptors (the second's where the first has none) and both notes; a
    suggestion's distribution and reason describe only its own members and are not kept.
    A drawn outline fits neither half of the union, so the result uses the hull.
    """
    keep, other = (
        (second, first)
        if (first.state is ClusterState.SUGGESTED and second.state is not ClusterState.SUGGESTED)
        else (first, second)
    )
    members = keep.member_ids + tuple(m for m in other.member_ids if m not in keep.member_ids)
    notes = (c.note for c in (first, second) if c.state is not ClusterState.SUGGESTED)
    note = "\n".join(n for n in notes if n)
    merged = _decided(
        keep,
        reader,
        member_ids=members,
        outline=None,
        distribution=next(
            (
                c.distribution
                for c in (first, second)
                if c.state is not ClusterState.SUGGESTED and c.distribution
            ),
            None,
        ),
        assessment=first.assessment or second.assessment,
        recommendation=first.recommendation or second.recommendation,
        note=note,
    )
    if merged.state is ClusterState.REJECTED:
        merged = replace(merged, state=ClusterState.CONFIRMED)
    return merged


def split(cluster: Cluster, ids: str | Iterable[str], reader: str = "") -> tuple[Cluster, Cluster]:
    """Split the marks ``ids`` off into a new confirmed cluster.

    Returns ``(rest, split_off)``: ``rest`` keeps the cluster's id and descriptors; both
    use the hull as outline. Raise ValueError unless ``ids`` is a proper, non-empty subset.
    """
    part = set(_ids(ids))
    if not part or not part < set(cluster.member_ids):
        raise ValueError(f"split needs some but not all members of cluster {cluster.id}")
    rest = _decided(
        cluster, reader, outline=None, member_ids=tuple(m for m in cluster.member_ids if m not in part)
    )
    if rest.state is ClusterState.REJECTED:
        rest = replace(rest, state=ClusterState.CONFIRMED)
    now = utc_now()
    off = Cluster(
        new_id(),
        tuple(m for m in cluster.member_ids if m in part),
        ClusterState.CONFIRMED,
        reader=reader,
        created=now,
        modified=now,
    )
    return rest, off


def cluster_from_polygon(image: ImageAnnotations, polygon: Sequence[Point], reader: str = "") -> Cluster:
    """A hand-drawn confirmed cluster: the marks whose centre lies inside ``polygon``.

    ``polygon`` is a closed ``(x, y)`` outline in pixels, kept as the cluster's outline.
    The members may belong to other clusters: :meth:`ClusterEdit.resolve` moves them.
    """
    if len(polygon) < 3:
        raise ValueError("a drawn cluster outline needs at least 3 vertices")
    calcs = list(image.calcifications.values())
    inside = points_in_polygon([c.center for c in calcs], polygon) if calcs else np.zeros(0, bool)
    now = utc_now()
    members = tuple(c.id for c, keep in zip(calcs, inside, strict=True) if keep)
    return Cluster(
        new_id(),
        members,
        ClusterState.CONFIRMED,
        outline=tuple(polygon),
        reader=reader,
        created=now,
        modified=now,
    )


@dataclass(frozen=True)
class ClusterEdit:
    """Reader-cluster changes on one image, as one undo step.

    Build it with :meth:`resolve`, which keeps every mark in at most one reader cluster.
    """

    put: tuple[Cluster, ...]
    remove: tuple[str, ...] = ()

    @classmethod
    def resolve(
        cls, image: ImageAnnotations, put: Iterable[Cluster], remove: Iterable[str] = ()
    ) -> ClusterEdit:
        """Put ``put``, remove the reader clusters ``remove``, and take the members of
        ``put`` away from any other reader cluster (dropping clusters left empty).

        Suggestions are never stored, so a suggested cluster in ``put`` is an error.
        """
        puts = list(put)
        for c in puts:
            if c.state is ClusterState.SUGGESTED:
                raise ValueError(f"cluster {c.id} is a suggestion: confirm it before storing it")
        removes = [r for r in dict.fromkeys(remove) if r in image.clusters]
        claimed = {m for c in puts for m in c.member_ids}
        touched = {c.id for c in puts} | set(removes)
        for other in image.clusters.values():
            if other.id in touched or not claimed & set(other.member_ids):
                continue
            left = tuple(m for m in other.member_ids if m not in claimed)
            if left:
                puts.append(replace(other, member_ids=left, modified=utc_now()))
            else:
                removes.append(other.id)
        return cls(tuple(puts), tuple(removes))

    def command(self, image: ImageKey, text: str = "edit cluster") -> Batch:
        """The undoable command doing this edit (removals first)."""
        commands: list[Command] = [RemoveCluster(image, r) for r in self.remove]
        commands += [PutCluster(image, c) for c in self.put]
        return Batch(commands, text)
