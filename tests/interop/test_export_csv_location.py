"""CSV export: nipple distance and depth where the image has a nipple, clock and quadrant where linked."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.fixtures.synthetic_study import write_linked_study
from viewer.interop.csv_export import to_csv
from viewer.interop.options import ExportOptions
from viewer.store.study_tree import load_studies


def test_location_columns(tmp_path: Path) -> None:
    """The linked cluster and MLO mark carry clock and quadrant; every mark a nipple distance and depth."""
    write_linked_study(tmp_path / "study")
    rows = list(csv.DictReader(io.StringIO(to_csv(load_studies(tmp_path)[0], ExportOptions()))))
    cluster = next(r for r in rows if r["row_type"] == "cluster")
    point = next(r for r in rows if r["id"] == "p1")
    for row in (cluster, point):
        # the tiny synthetic breast: both views' findings lie within 10 mm of the nipple axis
        # and 30 mm of the nipple, so the region is retroareolar rather than a quadrant
        assert row["quadrant"] == "retroareolar" and row["clock"].endswith("o'clock")
    member = next(r for r in rows if r["id"] == "c0")
    assert member["clock"] == "" and member["depth"] in ("anterior", "middle", "posterior")
    # c0 at (10, 10), nipple at (40, 30), 0.1 mm pixels
    assert abs(float(member["nipple_distance_mm"]) - (30**2 + 20**2) ** 0.5 * 0.1) < 1e-6
