"""Tests for viewer.core.hanging_protocol: protocols checked and images arranged into cells."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from viewer.assets import resource_path
from viewer.core.hanging_protocol import ProtocolError, ProtocolSet, arrange


@pytest.fixture
def shipped() -> dict:
    return json.loads(resource_path("hanging_protocols.json").read_text(encoding="utf-8"))


class TestProtocolSet:
    def test_shipped_protocols(self, shipped: dict) -> None:
        """The shipped file holds the issue's layouts and a reading sequence naming them."""
        protocols = ProtocolSet.from_dict(shipped, "shipped")
        ids = [p.id for p in protocols.protocols]
        for wanted in ("four_up", "cc_pair", "mlo_pair", "single", "cc_over_prior", "extra_views"):
            assert wanted in ids
        assert protocols.get("cc_over_prior").needs_prior and protocols.get("cc_over_prior").link_prior
        assert not protocols.get("four_up").needs_prior

    def test_step_skips_what_cannot_be_shown(self, shipped: dict) -> None:
        """Stepping the reading sequence passes over protocols not usable now and wraps around."""
        protocols = ProtocolSet.from_dict(shipped)
        usable = ["four_up", "cc_pair", "mlo_pair"]  # no prior, no extra views
        assert protocols.step("four_up", True, usable) == "cc_pair"
        assert protocols.step("mlo_pair", True, usable) == "four_up"
        assert protocols.step("four_up", False, usable) == "mlo_pair"
        assert protocols.step("single", True, usable) == "four_up"

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            (lambda d: d["protocols"][0].update(rows=1, columns=1), "do not fit a 1x1 grid"),
            (lambda d: d["protocols"][1].update(id=d["protocols"][0]["id"]), "used twice"),
            (lambda d: d["reading_sequence"].append("nowhere"), "unknown protocols: nowhere"),
            (lambda d: d["protocols"][0].update(cells=[]), "no cells"),
        ],
    )
    def test_what_the_schema_cannot_say(
        self, shipped: dict[str, Any], edit: Callable[[dict[str, Any]], object], message: str
    ) -> None:
        """Cells beyond the grid, a repeated id, an unknown sequence step: named problems."""
        data = copy.deepcopy(shipped)
        edit(data)
        with pytest.raises(ProtocolError, match=message):
            ProtocolSet.from_dict(data, "mine.json")


class TestArrange:
    def test_current_over_prior(self, shipped: dict) -> None:
        """CC over prior: current RCC LCC on top, the prior's below, chest walls in the middle."""
        protocol = ProtocolSet.from_dict(shipped).get("cc_over_prior")
        rows, cols, cells = arrange(protocol, {"RCC": "c-rcc", "LCC": "c-lcc"}, {"RCC": "p-rcc"})
        assert (rows, cols) == (2, 2)
        got = [(c.row, c.column, c.label, c.item, c.align) for c in cells]
        assert got == [
            (0, 0, "RCC", "c-rcc", "right"),
            (0, 1, "LCC", "c-lcc", "left"),
            (1, 0, "RCC (prior)", "p-rcc", "right"),
            (1, 1, "LCC (prior)", None, "left"),
        ]

    def test_single_shows_the_active_view(self, shipped: dict) -> None:
        """The single-view protocol shows the view the reader is working in."""
        protocol = ProtocolSet.from_dict(shipped).get("single")
        _, _, cells = arrange(protocol, {"LMLO": "x"}, {}, active="LMLO")
        assert [(c.label, c.item, c.align) for c in cells] == [("LMLO", "x", "left")]

    def test_extra_views_grow_the_grid(self, shipped: dict) -> None:
        """Five extra views (spot, magnification, XCCL) fill a grid grown to hold them, aligned by side."""
        protocol = ProtocolSet.from_dict(shipped).get("extra_views")
        extras = [(f"v{i}", "L" if i % 2 else "R", i) for i in range(5)]
        rows, cols, cells = arrange(protocol, {}, {}, extras)
        assert rows * cols >= 5 and len(cells) == 5
        assert [c.align for c in cells] == ["right", "left", "right", "left", "right"]
        assert len({(c.row, c.column) for c in cells}) == 5
