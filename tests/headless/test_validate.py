"""Tests of ``mammo-viewer validate``."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from viewer.assets import resource_path
from viewer.cli import main


class TestValidate:
    def test_examples_valid(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The stored examples of every version are valid; exit status 0."""
        v0, v1, v2 = (resource_path(f"examples/v{n}.json") for n in range(3))
        assert main(["validate", str(v2), str(v0), str(v1)]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == f"{v2}: valid (schema version 2; 2 images, 7 calcifications, 2 clusters)"
        assert out[1].startswith(f"{v0}: valid after upgrading from version 0")
        assert out[2].startswith(f"{v1}: valid after upgrading from version 1")

    def test_problems_listed_with_pointers(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Each problem is printed as FILE: /pointer: message; exit status 1."""
        data = orjson.loads(resource_path("examples/v2.json").read_bytes())
        data["images"][1]["calcifications"][0]["center"] = [1.0]
        data["images"][0]["clusters"][0]["state"] = "perhaps"
        path = tmp_path / "bad.json"
        path.write_bytes(orjson.dumps(data))
        assert main(["validate", str(path)]) == 1
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 2
        assert lines[0].startswith(f"{path}: /images/0/clusters/0/state: 'perhaps' is not one of")
        assert lines[1].startswith(f"{path}: /images/1/calcifications/0/center: [1.0] is too short")

    @pytest.mark.parametrize(
        "content,expected",
        [
            (b"{oops", "not valid JSON"),
            (b'{"schema_version": 9}', "/schema_version: 9 is newer"),
            (b'{"reader": "x"}', "/schema_version: missing"),
            (b"[]", "top level must be a JSON object"),
        ],
    )
    def test_unusable_files(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
    ) -> None:
        """Files that are not annotation files at all get one clear line; status 1."""
        path = tmp_path / "x.json"
        path.write_bytes(content)
        assert main(["validate", str(path)]) == 1
        assert expected in capsys.readouterr().out
        assert path.read_bytes() == content

    def test_inconsistent_ids(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """What the schema cannot express (a cluster naming an unknown mark) is reported too."""
        data = orjson.loads(resource_path("examples/v2.json").read_bytes())
        data["images"][0]["clusters"][0]["member_ids"].append("ghost")
        path = tmp_path / "x.json"
        path.write_bytes(orjson.dumps(data))
        assert main(["validate", str(path)]) == 1
        assert "names unknown calcifications ghost" in capsys.readouterr().out

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing file is reported by name, not with a traceback."""
        assert main(["validate", str(tmp_path / "none.json")]) == 1
        assert "none.json: cannot read the file" in capsys.readouterr().out
