"""The sentence an export ends with: counts and nouns agree ("1 calcification", "2 files")."""

from pathlib import Path

from viewer.interop.exports import ExportResult


def test_one_of_each_is_singular() -> None:
    result = ExportResult(written=[Path("a.csv")], calcifications=1, annotation_files=1)
    assert result.summary() == "Exported 1 calcification of 1 annotation file to 1 file"


def test_none_and_many_are_plural() -> None:
    result = ExportResult(written=[Path("a"), Path("b")], calcifications=0, annotation_files=3)
    assert result.summary() == "Exported 0 calcifications of 3 annotation files to 2 files"
