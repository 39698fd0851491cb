"""Tests for viewer.store.protocol_file: the shipped protocols, a reader's replacement, bad files named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from viewer.assets import resource_path
from viewer.core.hanging_protocol import ProtocolError
from viewer.store.protocol_file import load_preferred_protocols, load_protocols


def _shipped() -> dict:
    return json.loads(resource_path("hanging_protocols.json").read_text(encoding="utf-8"))


class TestLoad:
    def test_shipped_is_valid(self) -> None:
        """The shipped file passes its schema and the checks beyond it."""
        protocols = load_protocols()
        assert protocols.sequence[0] == "prior_four_up"

    def test_override_used(self, tmp_path: Path) -> None:
        """A valid file in the user data folder replaces the shipped protocols."""
        data = _shipped()
        data["protocols"] = [p for p in data["protocols"] if p["id"] in ("four_up", "cc_pair")]
        data["reading_sequence"] = ["cc_pair", "four_up"]
        path = tmp_path / "hanging_protocols.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        protocols, problem = load_preferred_protocols(path)
        assert problem is None
        assert [p.id for p in protocols.protocols] == ["four_up", "cc_pair"]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("{", r"not valid JSON \(line 1"),
            (json.dumps(dict(_shipped(), version=2)), "/version: 1 was expected"),
            (
                json.dumps(dict(_shipped(), protocols=[dict(_shipped()["protocols"][0], rows=9)])),
                "/protocols/0/rows: 9 is greater than the maximum of 4",
            ),
        ],
    )
    def test_bad_override_falls_back_with_a_reason(self, tmp_path: Path, content: str, message: str) -> None:
        """A broken override is named with the problem's place; the built-in protocols are used."""
        path = tmp_path / "hanging_protocols.json"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ProtocolError, match=message):
            load_protocols(path)
        protocols, problem = load_preferred_protocols(path)
        assert problem is not None and str(path) in problem and "built-in" in problem
        assert protocols.get("four_up")
