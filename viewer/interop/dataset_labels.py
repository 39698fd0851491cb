"""A dataset's labels as read from its files, before they are matched to the opened images.

Each importer (:mod:`viewer.interop.inbreast_import`, :mod:`viewer.interop.cbis_import`,
:mod:`viewer.interop.vindr_import`) turns its format into :class:`SourceImage` records:
the identifiers by which the image can be found (SOP Instance UID, file name stem, the
dataset's own ids), the marks and clusters on it in the viewer's coordinates (x =
column, y = row, pixel centres at integers), and every entry it could not use as a
:class:`Skipped` line with its reason. :mod:`viewer.interop.imports` does the matching
and the writing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from viewer.core.geometry import Point


@dataclass(frozen=True)
class Skipped:
    """An entry of the source that was not imported: where it is and why."""

    where: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class SourceMark:
    """One calcification: a point (``outline`` None) or an outline of 3 or more vertices."""

    center: Point
    outline: tuple[Point, ...] | None = None
    morphology: str | None = None


@dataclass(frozen=True)
class SourceCluster:
    """A group: members are the marks inside ``outline`` (or the listed mark indices).

    ``members`` indexes :attr:`SourceImage.marks`; None means "the marks inside the
    outline", which is how INbreast draws its clusters.
    """

    outline: tuple[Point, ...] | None
    members: tuple[int, ...] | None = None
    distribution: str | None = None
    assessment: str | None = None
    morphology: str | None = None
    note: str = ""


MaskLoader = Callable[[int, int], "NDArray[np.bool_] | str"]
"""Reads a mask for an image of (rows, columns): the mask, or why it cannot be used."""


@dataclass
class SourceImage:
    """The labels of one image of the dataset.

    Parameters
    ----------
    ids
        Identifiers to find the image by, strongest first (SOP Instance UID, file name
        stem, the dataset's ids); matched against the opened images' UIDs, file stems and
        Patient IDs.
    source_file
        The file the labels came from, for the ``imported`` field of each item.
    where
        How a skipped line names this entry ("22678622.xml", "row 5").
    masks
        Clusters whose outline comes from a mask image that can only be checked against
        the matched image's size: (cluster without outline, loader).
    """

    ids: tuple[str, ...]
    source_file: Path
    where: str
    marks: list[SourceMark] = field(default_factory=list)
    clusters: list[SourceCluster] = field(default_factory=list)
    masks: list[tuple[SourceCluster, MaskLoader]] = field(default_factory=list)
    laterality: str | None = None
    view: str | None = None


@dataclass
class ParsedLabels:
    """What an importer read: images with labels, and what it skipped."""

    images: list[SourceImage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def read_table(
    path: Path, required: Sequence[str], kind: str, parsed: ParsedLabels
) -> list[dict[str, str]] | None:
    """The rows of the CSV table ``path``, or None with the reason in ``parsed.skipped`` when it
    cannot be read or lacks a ``required`` column (``kind`` names the table in that reason)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                parsed.skipped.append(Skipped(path.name, f"not {kind}: no column {', '.join(missing)}"))
                return None
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        parsed.skipped.append(Skipped(path.name, f"cannot be read ({exc})"))
        return None
