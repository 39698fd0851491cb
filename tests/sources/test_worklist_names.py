"""A worklist tree with a folder name that is not valid UTF-8 (another encoding's bytes)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.fixtures.synthetic_study import write_study
from viewer.cli import main
from viewer.sources.worklist_index import from_db, to_db

posix_bytes = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="names are Unicode there")


class TestNames:
    @pytest.mark.parametrize("name", ["plain", "café", os.fsdecode(b"caf\xe9"), "fsbytes-like", ""])
    def test_round_trip(self, name: str) -> None:
        """Every name the OS gives goes into the index and comes back the same."""
        assert from_db(to_db(name)) == name
        to_db(name).encode("utf-8")  # SQLite can store it

    @posix_bytes
    def test_latin1_folder_indexed(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """One study in a Latin-1 named folder and one plain: both listed, the command succeeds."""
        root = tmp_path / "tree"
        write_study(root / "plain")
        odd = Path(os.fsdecode(os.fsencode(root) + b"/caf\xe9-latin1"))
        write_study(odd)
        assert main(["worklist", str(root), "--json"]) == 0
        out = capsys.readouterr().out
        studies = json.loads(out)
        listed = studies["studies"] if isinstance(studies, dict) else studies
        assert len(listed) == 2
