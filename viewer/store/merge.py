"""Keeping marks another writer committed: a save merges them in by mark id.

A store holds the lock of its sidecar from before it reads the file until it closes, so no
other mammo-viewer writes the file meanwhile. Something may still write it (a program that
ignores the lock, a copy from a backup, a share whose locks do not reach this machine): then
a save would drop what that writer committed. :class:`ForeignMarks` prevents that. It knows
the ids of the marks and clusters the file held when the store last read or wrote it; the
marks that appear on disk beyond those are another writer's, and are kept ("adopted") in
every later save of this store, unless that writer deletes them again. Marks the reader
deleted here stay deleted; a mark the other writer deleted that the reader still has is
written back (a mark is never lost, a deletion may have to be repeated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from viewer.core.annotations import StudyAnnotations

ImageKey = tuple[str, int]


def _key(image: dict[str, Any]) -> ImageKey:
    return (str(image["sop_instance_uid"]), int(image["frame"]))


@dataclass
class _Ids:
    calcifications: set[str] = field(default_factory=set)
    clusters: set[str] = field(default_factory=set)


def document_ids(doc: dict[str, Any]) -> dict[ImageKey, _Ids]:
    """The ids of the marks and clusters of each image of a sidecar document."""
    return {
        _key(img): _Ids({c["id"] for c in img["calcifications"]}, {k["id"] for k in img["clusters"]})
        for img in doc.get("images", [])
    }


def model_ids(model: StudyAnnotations) -> dict[ImageKey, _Ids]:
    """The ids of the marks and clusters of each image of a model."""
    return {key: _Ids(set(img.calcifications), set(img.clusters)) for key, img in model.images.items()}


class ForeignMarks:
    """Marks another writer added to the file while this store held it (see the module doc)."""

    def __init__(self, known: dict[ImageKey, _Ids]) -> None:
        self._known = known
        self._images: dict[ImageKey, dict[str, Any]] = {}
        self._calcifications: dict[ImageKey, dict[str, dict[str, Any]]] = {}
        self._clusters: dict[ImageKey, dict[str, dict[str, Any]]] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._calcifications.values())

    def take_from(self, disk: dict[str, Any]) -> int:
        """Adopt what ``disk`` (the file now) holds beyond what was known; the count of new marks."""
        added = 0
        disk_ids = document_ids(disk)
        for img in disk.get("images", []):
            key = _key(img)
            known = self._known.get(key, _Ids())
            calcs = self._calcifications.setdefault(key, {})
            clusters = self._clusters.setdefault(key, {})
            if key not in self._known:
                self._images[key] = {**img, "calcifications": [], "clusters": []}
            for c in img["calcifications"]:
                if c["id"] not in known.calcifications and c["id"] not in calcs:
                    calcs[c["id"]] = c
                    added += 1
            for k in img["clusters"]:
                if k["id"] not in known.clusters:
                    clusters[k["id"]] = k
        # what the other writer deleted again is no longer ours to keep
        for key, calcs in self._calcifications.items():
            present = disk_ids.get(key, _Ids())
            for gone in [i for i in calcs if i not in present.calcifications]:
                del calcs[gone]
        for key, clusters in self._clusters.items():
            present = disk_ids.get(key, _Ids())
            for gone in [i for i in clusters if i not in present.clusters]:
                del clusters[gone]
        return added

    def apply(self, ours: dict[str, Any]) -> dict[str, Any]:
        """``ours`` (the document about to be written) with the adopted marks added; ours win on an id."""
        images = {_key(img): img for img in ours["images"]}
        for key, img in self._images.items():
            if key not in images:
                copy = {**img, "calcifications": [], "clusters": []}
                ours["images"].append(copy)
                images[key] = copy
        for key, calcs in self._calcifications.items():
            target = images.get(key)
            if target is None or not calcs:
                continue
            have = {c["id"] for c in target["calcifications"]}
            extra = [c for i, c in calcs.items() if i not in have]
            target["calcifications"] = target["calcifications"] + extra
        for key, clusters in self._clusters.items():
            target = images.get(key)
            if target is None or not clusters:
                continue
            members = {c["id"] for c in target["calcifications"]}
            have = {k["id"] for k in target["clusters"]}
            target["clusters"] = target["clusters"] + [
                k for i, k in clusters.items() if i not in have and set(k["member_ids"]) <= members
            ]
        return ours

    def written(self, doc: dict[str, Any]) -> None:
        """``doc`` is now the file on disk: it is what is known from here on."""
        self._known = document_ids(doc)
