"""Tests of viewer.qt.agreement_dialog: readers, options, the table and Save CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.point_marks import STUDY_UID, point_marks
from viewer.core.agreement import CSV_COLUMNS
from viewer.qt.agreement_dialog import AgreementDialog, load_study_readers
from viewer.store import sidecar
from viewer.store.session import fallback_path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Ann (3 marks) and Ben (2 near Ann's, 1 elsewhere) saved; a corrupt file of Cy."""
    sidecar.save(point_marks("Ann", [(10, 10), (50, 50), (80, 20)]), sidecar.sidecar_path(tmp_path, "Ann"))
    sidecar.save(point_marks("Ben", [(13, 14), (50, 56), (90, 90)]), sidecar.sidecar_path(tmp_path, "Ben"))
    sidecar.sidecar_path(tmp_path, "Cy").write_text("{broken")
    return tmp_path


def cell(dialog: AgreementDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    assert item is not None
    return item.text()


class TestLoading:
    def test_readers_of_a_folder(self, folder: Path) -> None:
        """Both readable files load; the corrupt one is reported, naming the file."""
        models, problems = load_study_readers(folder)
        assert list(models) == ["Ann", "Ben"]
        assert len(problems) == 1 and sidecar.sidecar_path(folder, "Cy").name in problems[0]

    def test_open_model_replaces_its_file(self, folder: Path) -> None:
        """The current reader's unsaved model replaces their file; another name is another reader."""
        current = point_marks("Ann", [(10, 10)])
        models, _ = load_study_readers(folder, current=current)
        assert models["Ann"] is current and list(models) == ["Ann", "Ben"]
        other = point_marks("ann", [(10, 10)])  # the reader is the exact name
        models, _ = load_study_readers(folder, current=other)
        assert models["ann"] is other and list(models) == ["Ann", "ann", "Ben"]

    def test_fallback_copy_found(self, tmp_path: Path) -> None:
        """A reader whose marks went to the user-data fallback is included."""
        path = fallback_path(tmp_path, "Dee", STUDY_UID)
        path.parent.mkdir(parents=True)
        sidecar.save(point_marks("Dee", [(1, 1)]), path)
        models, _ = load_study_readers(tmp_path, STUDY_UID)
        assert list(models) == ["Dee"]


class TestDialog:
    def test_table_and_summary(self, qtbot: QtBot, folder: Path) -> None:
        """One row per image and a study row; 1 mm matches two of three marks."""
        dialog = AgreementDialog.for_study(
            folder, STUDY_UID, point_marks("Ann", [(10, 10), (50, 50), (80, 20)])
        )
        qtbot.addWidget(dialog)
        assert (dialog.combo_a.currentText(), dialog.combo_b.currentText()) == ("Ann", "Ben")
        assert dialog.table.rowCount() == 2
        assert cell(dialog, 0, 0).startswith("LCC")
        assert [cell(dialog, 1, c) for c in range(7)] == ["Study", "3", "3", "2", "0.667", "0.667", "0.667"]
        assert "2 of 3 and 3 calcifications matched within 1 mm" in dialog.summary_label.text()
        assert "cy" in dialog.notice_label.text()

    def test_distance_and_swap(self, qtbot: QtBot, folder: Path) -> None:
        """A tighter distance drops the 0.6 mm pair; swapping exchanges precision and recall."""
        dialog = AgreementDialog.for_study(folder)
        qtbot.addWidget(dialog)
        dialog.distance_spin.setValue(0.55)
        assert cell(dialog, 1, 3) == "1"
        dialog.combo_b.setCurrentText("Ann")  # same reader twice: nothing to compare
        assert dialog.table.rowCount() == 0 and not dialog.save_button.isEnabled()
        dialog.combo_a.setCurrentText("Ben")
        dialog.swap()
        assert (dialog.combo_a.currentText(), dialog.combo_b.currentText()) == ("Ann", "Ben")
        assert dialog.agreement is not None and dialog.agreement.reader_a == "Ann"

    def test_save_csv(self, qtbot: QtBot, folder: Path, tmp_path: Path) -> None:
        """The saved CSV has the documented columns and the table's numbers."""
        dialog = AgreementDialog.for_study(folder)
        qtbot.addWidget(dialog)
        out = tmp_path / "out.csv"
        dialog.save_csv(out)
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert rows[-1]["calcifications_matched"] == "2" and rows[-1]["level"] == "study"

    def test_single_reader(self, qtbot: QtBot, tmp_path: Path) -> None:
        """With one reader the dialog says what it needs instead of a table."""
        dialog = AgreementDialog({"Ann": point_marks("Ann", [(1, 1)])})
        qtbot.addWidget(dialog)
        assert "two different readers" in dialog.summary_label.text()
        with pytest.raises(ValueError, match="two different readers"):
            dialog.save_csv(tmp_path / "x.csv")
