"""Tests of ``mammo-viewer worklist`` (viewer.headless.worklist)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.worklist_tree import write_marks, write_study
from viewer.cli import main
from viewer.sources.worklist_status import STATUS_FILE


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Two studies; reader Alice marked 3 calcifications on the first."""
    top = tmp_path / "tree"
    for name, patient in (("one", "P1"), ("two", "P2")):
        uid, sops = write_study(top / name, patient)
        if name == "one":
            write_marks(top / name, "Alice", uid, sops[0], 3)
    return top


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["worklist", *args, "--json"]) == 0
    result: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return result


class TestWorklistCommand:
    def test_json_objects(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """One object per study with path, UID, images, status and readers' counts."""
        studies = run_json(capsys, str(root))
        assert [s["path"] for s in studies] == [str(root / "one"), str(root / "two")]
        one, two = studies
        assert one["images"] == 4 and one["views"] == ["RCC", "LCC", "RMLO", "LMLO"]
        assert one["readers"] == {"Alice": {"calcifications": 3, "clusters": 0, "status": "in_progress"}}
        assert (one["status"], two["status"], two["readers"]) == ("in_progress", "new", {})
        assert isinstance(one["study_instance_uid"], str) and one["study_instance_uid"]

    def test_set_status_and_filter(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--set-status records a reader's status (mirrored in the folder); --status filters."""
        assert (
            main(
                [
                    "worklist",
                    str(root),
                    "--reader",
                    "Alice",
                    "--set-status",
                    "done",
                    "--study",
                    str(root / "one"),
                    "--quiet",
                ]
            )
            == 0
        )
        capsys.readouterr()
        assert (root / "one" / STATUS_FILE).exists()
        done = run_json(capsys, str(root), "--reader", "alice", "--status", "done")
        assert [s["path"] for s in done] == [str(root / "one")]
        unfinished = run_json(capsys, str(root), "--reader", "alice", "--status", "unfinished")
        assert [s["path"] for s in unfinished] == [str(root / "two")]

    def test_table_output(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --json a readable table ends with the study count."""
        assert main(["worklist", str(root)]) == 0
        out = capsys.readouterr().out
        assert "Alice 3/0" in out and out.strip().endswith("2 studies (readers: calcifications/clusters)")

    def test_user_errors(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing folder, an unknown status or an unknown study give a message, no traceback."""
        assert main(["worklist", str(root / "nope")]) == 2
        assert "is not a folder" in capsys.readouterr().err
        assert main(["worklist", str(root), "--status", "finished"]) == 2
        assert "unknown status 'finished'" in capsys.readouterr().err
        assert (
            main(
                ["worklist", str(root), "--reader", "a", "--set-status", "done", "--study", "9.9.9", "--json"]
            )
            == 1
        )
        assert "no indexed study is '9.9.9'" in capsys.readouterr().err
