"""``mammo-viewer measure --json``: nipple distance and depth of each mark and cluster, against the truth."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from viewer.cli import main
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.landmarks import Landmarks
from viewer.core.location import locate
from viewer.core.phantom import CalcSpec, make_mammogram, phantom_landmarks, place_finding
from viewer.dicom.demo import SPACING_MM, demo_dataset

ROWS, COLS = 1200, 960
SPACING = Spacing(SPACING_MM, SPACING_MM, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "truth", 1.08)


def _file(tmp_path: Path, view: str) -> tuple[Path, list[tuple[float, float]]]:
    """A left-breast phantom with five specks of a group and one far away, placed behind the nipple."""
    centre = place_finding(ROWS, COLS, (SPACING_MM, SPACING_MM), "L", 4.0, 40.0, 15.0)[view]
    offsets = [(0, 0), (14, 6), (-10, 12), (18, -9), (4, 20)]
    points = [(centre[0] + dx, centre[1] + dy) for dx, dy in offsets]
    points.append(place_finding(ROWS, COLS, (SPACING_MM, SPACING_MM), "L", 11.0, 15.0, 20.0)[view])
    specs = [CalcSpec(p, 0.5) for p in points]
    phantom = make_mammogram(ROWS, COLS, (SPACING_MM, SPACING_MM), "L", view, seed=5, calcifications=specs)
    path = tmp_path / f"L{view}.dcm"
    demo_dataset(phantom, 1).save_as(path, enforce_file_format=True)
    return path, points


@pytest.mark.parametrize("view", ["CC", "MLO"])
def test_locations_match_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str], view: str) -> None:
    """Nipple distance within max(2 mm, 5 %) of the generator's, and the same depth third."""
    path, points = _file(tmp_path, view)
    assert (
        main(["measure", str(path), *[a for x, y in points for a in ("--at", f"{x:.1f},{y:.1f}")], "--json"])
        == 0
    )
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    t = phantom_landmarks(ROWS, COLS, "L", view)
    truth = Landmarks(t.nipple, t.chest_wall)
    assert doc["landmarks"]["source"] == "found"
    records = doc["calcifications"]
    assert all(r["found"] for r in records)
    for record, point in zip(records, points, strict=True):
        want = locate(point, truth, SPACING)
        assert want.nipple_distance_mm is not None
        assert abs(record["nipple_distance_mm"] - want.nipple_distance_mm) <= max(
            2.0, 0.05 * want.nipple_distance_mm
        )
        if min(abs(want.depth_fraction - b) for b in (1 / 3, 2 / 3)) > 0.03:
            assert record["depth"] == want.depth.value
    (cluster,) = [c for c in doc["clusters"] if c["count"] == 5]
    mean = tuple(np.mean(points[:5], axis=0))
    want = locate((float(mean[0]), float(mean[1])), truth, SPACING)
    assert want.nipple_distance_mm is not None
    assert math.isclose(
        cluster["nipple_distance_mm"],
        want.nipple_distance_mm,
        abs_tol=max(2.0, 0.05 * want.nipple_distance_mm),
    )


def test_no_breast_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An image without a breast outline gives landmarks.error and no location fields."""
    phantom = make_mammogram(
        200, 160, (0.1, 0.1), "L", "CC", seed=1, calcifications=[CalcSpec((80.0, 100.0), 1.0)]
    )
    phantom.pixels[:] = 1200
    phantom.pixels[95:106, 75:86] = 2000
    path = tmp_path / "flat.dcm"
    demo_dataset(phantom, 1).save_as(path, enforce_file_format=True)
    assert main(["measure", str(path), "--at", "80,100", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "error" in doc["landmarks"]
    assert "nipple_distance_mm" not in doc["calcifications"][0]
