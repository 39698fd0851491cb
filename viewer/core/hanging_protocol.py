"""Hanging protocols as data: grids of views of the current and the prior exam, and a reading sequence.

The shipped protocols are ``resources/hanging_protocols.json`` (its JSON Schema beside it;
a reader's ``hanging_protocols.json`` in the user data folder replaces it, see
:mod:`viewer.store.protocol_file`). This module checks what a schema cannot say (ids
unique, cells that fit the grid, a sequence naming known protocols) and arranges images
into a protocol's cells; it knows nothing of files or widgets.

Each image is aligned by its laterality, the chest wall towards the middle of the screen:
a right breast against the right edge of its cell, a left breast against the left edge
(DOMAIN.md section 1), whatever grid it is in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

FORMAT = "mammo-viewer hanging protocols"
SHIPPED_NAME = "hanging_protocols.json"
SCHEMA_NAME = "hanging_protocols.schema.json"
STANDARD_VIEWS = ("RCC", "LCC", "RMLO", "LMLO")
ACTIVE = "active"

T = TypeVar("T")


class ProtocolError(ValueError):
    """A protocol file that cannot be used; the message names the file and the place."""


@dataclass(frozen=True)
class Cell:
    """One cell: a standard view (or the active one) of the current or the prior exam."""

    view: str
    exam: str = "current"

    @property
    def label(self) -> str:
        return f"{self.view} (prior)" if self.exam == "prior" else self.view


@dataclass(frozen=True)
class Protocol:
    """A grid of cells, row by row."""

    id: str
    name: str
    rows: int
    columns: int
    cells: tuple[Cell, ...]
    extra_views: bool = False
    link_prior: bool = False

    @property
    def needs_prior(self) -> bool:
        return any(c.exam == "prior" for c in self.cells)


@dataclass(frozen=True)
class Placement(Generic[T]):
    """What goes in one cell: the image (None when the exam lacks that view) and how to align it."""

    row: int
    column: int
    label: str
    exam: str
    item: T | None
    align: str | None
    """``"right"`` (chest wall on the right edge: a right breast), ``"left"``, or None (centred)."""


def align_for(laterality: str | None) -> str | None:
    """Where the chest wall goes in a cell: right breasts right, left breasts left."""
    return {"R": "right", "L": "left"}.get(laterality or "")


@dataclass(frozen=True)
class ProtocolSet:
    """The protocols of one file and the reading sequence."""

    protocols: tuple[Protocol, ...]
    sequence: tuple[str, ...]
    source: str = ""

    def get(self, protocol_id: str) -> Protocol:
        for p in self.protocols:
            if p.id == protocol_id:
                return p
        raise KeyError(f"no hanging protocol {protocol_id!r} in {self.source or 'the protocols'}")

    def step(self, current: str, forward: bool, usable: Sequence[str]) -> str:
        """The next (or previous) protocol of the reading sequence among ``usable`` ids.

        From a protocol outside the sequence, forward goes to the sequence's first usable one.
        """
        order = [p for p in self.sequence if p in usable]
        if not order:
            return current
        if current not in order:
            return order[0] if forward else order[-1]
        i = order.index(current) + (1 if forward else -1)
        return order[i % len(order)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<protocols>") -> ProtocolSet:
        """Build from parsed, schema-valid JSON; raise ProtocolError for what the schema cannot check."""
        protocols: list[Protocol] = []
        for n, raw in enumerate(data["protocols"]):
            where = f"{source}: protocols[{n}] ({raw.get('id', '?')})"
            cells = tuple(Cell(str(c["view"]), str(c.get("exam", "current"))) for c in raw["cells"])
            p = Protocol(
                str(raw["id"]),
                str(raw["name"]),
                int(raw["rows"]),
                int(raw["columns"]),
                cells,
                bool(raw.get("extra_views", False)),
                bool(raw.get("link_prior", False)),
            )
            if len(cells) > p.rows * p.columns:
                raise ProtocolError(f"{where}: {len(cells)} cells do not fit a {p.rows}x{p.columns} grid")
            if not cells and not p.extra_views:
                raise ProtocolError(f"{where}: no cells (and not a protocol of extra views)")
            if any(q.id == p.id for q in protocols):
                raise ProtocolError(f"{where}: the id {p.id!r} is used twice")
            protocols.append(p)
        ids = {p.id for p in protocols}
        sequence = tuple(str(s) for s in data["reading_sequence"])
        unknown = [s for s in sequence if s not in ids]
        if unknown:
            raise ProtocolError(f"{source}: reading_sequence names unknown protocols: {', '.join(unknown)}")
        return cls(tuple(protocols), sequence, source)


def arrange(
    protocol: Protocol,
    current: Mapping[str, T],
    prior: Mapping[str, T],
    extras: Sequence[tuple[str, str | None, T]] = (),
    active: str | None = None,
) -> tuple[int, int, list[Placement[T]]]:
    """Put images into the protocol's cells: ``(rows, columns, placements)``.

    ``current`` and ``prior`` map ``"RCC"``... to images; ``extras`` are the current exam's
    other views as ``(label, laterality, image)``; ``active`` is the view label the
    ``"active"`` cell shows. A protocol of extra views grows its grid to hold them all.
    """
    out: list[Placement[T]] = []
    if protocol.extra_views:
        columns = max(protocol.columns, min(len(extras), 4)) if extras else protocol.columns
        rows = max(protocol.rows, -(-len(extras) // columns)) if extras else protocol.rows
        for i, (label, laterality, item) in enumerate(extras):
            out.append(Placement(i // columns, i % columns, label, "current", item, align_for(laterality)))
        return rows, columns, out
    for i, cell in enumerate(protocol.cells):
        view = (active or STANDARD_VIEWS[0]) if cell.view == ACTIVE else cell.view
        source = prior if cell.exam == "prior" else current
        label = f"{view} (prior)" if cell.exam == "prior" else view
        out.append(
            Placement(
                i // protocol.columns,
                i % protocol.columns,
                label,
                cell.exam,
                source.get(view),
                align_for(view[:1]),
            )
        )
    return protocol.rows, protocol.columns, out
