"""Tests of ``mammo-viewer export`` on a folder tree of studies."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.fixtures.synthetic_study import write_study
from viewer.cli import main
from viewer.store.sidecar import sidecar_path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two studies of two readers in a folder tree (patient/study)."""
    root = tmp_path / "archive"
    write_study(root / "p1" / "s1", reader="Dr. A")
    write_study(root / "p2" / "s1", reader="Dr. B")
    return root


class TestExport:
    @pytest.mark.parametrize(
        "fmt,out,expected",
        [
            ("csv", "x.csv", ["x.csv"]),
            ("coco", "folder", ["folder/annotations.coco.json"]),
            ("inbreast", "xml", None),
            ("sr", "sr", None),
        ],
    )
    def test_formats(
        self,
        tree: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        fmt: str,
        out: str,
        expected: list[str] | None,
    ) -> None:
        """Each format writes its files, reports them and says the export is de-identified."""
        assert main(["export", str(tree), "--format", fmt, "--out", str(tmp_path / out)]) == 0
        stdout = capsys.readouterr().out
        assert "Exported 12 calcifications of 2 annotation files to" in stdout
        assert "De-identified export" in stdout
        written = sorted(
            str(p.relative_to(tmp_path))
            for p in (tmp_path / out).parent.rglob("*")
            if p.is_file() and p.is_relative_to(tmp_path / out)
        )
        if expected is not None:
            assert written == expected
        else:
            assert len(written) == {"inbreast": 4, "sr": 2}[fmt]

    def test_one_study_folder(self, tree: Path, tmp_path: Path) -> None:
        """PATH may be a single study folder."""
        out = tmp_path / "one.json"
        assert main(["export", str(tree / "p1" / "s1"), "--format", "coco", "--out", str(out)]) == 0
        assert len(orjson.loads(out.read_bytes())["images"]) == 2

    def test_bad_file_skipped(self, tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A corrupt annotation file is reported, left as it is, and the others are exported."""
        bad = sidecar_path(tree / "p2" / "s1", "Dr. B")
        assert bad.exists()
        bad.write_bytes(b"{broken")
        assert main(["export", str(tree), "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 0
        captured = capsys.readouterr()
        assert "skipped:" in captured.err and str(bad) in captured.err
        assert "of 1 annotation file to" in captured.out
        assert bad.read_bytes() == b"{broken"

    def test_nothing_to_export(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A folder without annotation files is an error that says so."""
        assert main(["export", str(tmp_path), "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 1
        assert "no annotation files" in capsys.readouterr().err

    def test_missing_path(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A path that does not exist is named in the message."""
        assert main(["export", str(tmp_path / "nope"), "--format", "sr", "--out", str(tmp_path / "o")]) == 2
        assert "nope does not exist" in capsys.readouterr().err
