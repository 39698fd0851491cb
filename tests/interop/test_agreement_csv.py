"""Tests of viewer.interop.agreement_csv: the agreement table as CSV text."""

from __future__ import annotations

import csv
import io

import pytest

from tests.core.test_agreement import two_readers
from viewer.core.agreement import CSV_COLUMNS, compare
from viewer.interop.agreement_csv import agreement_csv


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
