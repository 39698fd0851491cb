"""Tests of viewer.interop.agreement_csv: the agreement table as CSV text."""

from __future__ import annotations

import csv
import io

import pytest

from tests.core.test_agreement import image, mark, study
from viewer.core.agreement import CSV_COLUMNS, compare
from viewer.core.annotations import StudyAnnotations
from viewer.interop.agreement_csv import agreement_csv


def two_readers() -> tuple[StudyAnnotations, StudyAnnotations]:
    """Alice and Bob on a CC (2 of Alice's 3 marks found, 2 extra) and on one MLO each."""
    a1, b1 = image("1.1", view="CC"), image("1.1", view="CC")
    a2, b2 = image("1.2", view="MLO"), image("1.3", view="MLO")
    for x in (10, 50, 90):
        mark(a1, x, 10)
    for x in (11, 52, 200, 300):
        mark(b1, x, 10)
    mark(a2, 5, 5)
    mark(b2, 5, 5)
    return study("alice", a1, a2), study("bob", b1, b2)


class TestAgreementCsv:
    def test_rows_and_cells(self) -> None:
        """The documented header, one row per image and a study row; undefined ratios empty."""
        a, b = two_readers()
        rows = list(csv.DictReader(io.StringIO(agreement_csv(compare(a, b)))))
        assert tuple(rows[0].keys()) == CSV_COLUMNS
        assert [r["level"] for r in rows] == ["image", "image", "image", "study"]
        first, last = rows[0], rows[-1]
        assert first["calcifications_matched"] == "2" and first["unit"] == "mm"
        assert float(first["calcification_precision"]) == pytest.approx(0.5)
        assert float(first["mean_distance"]) == pytest.approx((0.1 + 0.2) / 2)
        assert rows[1]["calcification_precision"] == ""  # B has no mark there
        assert last["calcifications_a"] == "4" and last["calcifications_b"] == "5"
        assert float(last["calcification_f1"]) == pytest.approx(4 / 9, abs=1e-4)
        assert last["cluster_f1"] == ""

    def test_ratios_have_four_decimals(self) -> None:
        """A ratio is written as 0.4444, not as Python's repr of the float."""
        a, b = two_readers()
        study_row = agreement_csv(compare(a, b)).splitlines()[-1].split(",")
        f1 = study_row[CSV_COLUMNS.index("calcification_f1")]
        assert f1 == "0.4444"
