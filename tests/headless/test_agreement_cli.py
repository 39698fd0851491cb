"""Tests of ``mammo-viewer agreement`` (viewer.headless.agreement)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.fixtures.point_marks import point_marks
from viewer.cli import main
from viewer.core.agreement import CSV_COLUMNS
from viewer.store import sidecar


def save_reader(folder: Path, reader: str, centres: list[tuple[float, float]]) -> None:
    """A reader's file with point marks on one RCC image at 0.1 mm spacing."""
    sidecar.save(point_marks(reader, centres, laterality="R"), sidecar.sidecar_path(folder, reader))


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """Ann marked 3 specks; Ben found 2 of them (within 0.5 mm) and one elsewhere."""
    save_reader(tmp_path, "Ann", [(10, 10), (50, 50), (80, 20)])
    save_reader(tmp_path, "Ben", [(13, 14), (50, 52), (90, 90)])
    return tmp_path


class TestAgreementCommand:
    def test_table(self, study: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The table shows both readers and the study's F1 of 2 matches out of 3 + 3."""
        assert main(["agreement", str(study), "--readers", "Ann", "Ben"]) == 0
        out = capsys.readouterr().out
        assert "reader A (reference): Ann" in out and "RCC" in out
        study_line = out.strip().splitlines()[-1].split()
        assert study_line[:7] == ["study", "3", "3", "2", "0.667", "0.667", "0.667"]

    def test_csv_file_and_distance(
        self, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--csv writes the documented columns; a tighter distance drops the 0.5 mm pair."""
        out = tmp_path / "agreement.csv"
        assert (
            main(
                [
                    "agreement",
                    str(study),
                    "--readers",
                    "Ann",
                    "Ben",
                    "--distance-mm",
                    "0.3",
                    "--csv",
                    str(out),
                ]
            )
            == 0
        )
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert rows[-1]["level"] == "study" and rows[-1]["calcifications_matched"] == "1"
        assert rows[-1]["distance_threshold"] == "0.3000"

    def test_json_to_stdout(self, study: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--json prints the rows, reader order deciding precision and recall."""
        assert main(["agreement", str(study), "--readers", "Ben", "Ann", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows[-1]["calcifications_matched"] == 2 and rows[-1]["unit"] == "mm"

    def test_missing_reader_named(self, study: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown reader gets a message listing the files that are there."""
        assert main(["agreement", str(study), "--readers", "Ann", "Cy"]) == 2
        err = capsys.readouterr().err
        assert "no annotations of reader 'Cy'" in err and sidecar.sidecar_path(study, "Ann").name in err
        assert main(["agreement", str(study / "x"), "--readers", "Ann", "Ben"]) == 2
        assert main(["agreement", str(study), "--readers", "Ann", "Ben", "--distance-mm", "-1"]) == 2
        assert "distance_mm must be a positive" in capsys.readouterr().err
