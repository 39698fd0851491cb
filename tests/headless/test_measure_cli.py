"""Tests for viewer.headless.measure (named _cli: tests/core/test_measure.py holds the core tests)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.fixtures.dicom_files import write_phantom
from viewer.cli import main
from viewer.core.phantom import CalcSpec, Phantom, make_mammogram
from viewer.dicom.demo import SPACING_MM
from viewer.store import sidecar

# five specks within about 4 mm (a BI-RADS group) and one far away
_CLUSTER = [(200.0, 300.0), (220.0, 310.0), (190.0, 325.0), (230.0, 285.0), (205.0, 340.0)]
_SINGLE = (90.0, 480.0)
_DIAMETERS = [0.5, 0.4, 0.6, 0.35, 0.45, 1.0]


def _phantom(monochrome1: bool = False) -> Phantom:
    specs = [CalcSpec(c, d) for c, d in zip([*_CLUSTER, _SINGLE], _DIAMETERS, strict=True)]
    return make_mammogram(
        600, 480, (SPACING_MM, SPACING_MM), "L", "CC", seed=21, calcifications=specs, monochrome1=monochrome1
    )


def _at(points: list[tuple[float, float]]) -> list[str]:
    return [arg for x, y in points for arg in ("--at", f"{x:g},{y:g}")]


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["measure", *argv, "--json"]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_phantom(tmp_path_factory.mktemp("study"), _phantom())


class TestMeasureJson:
    def test_sizes_and_clusters(self, image_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Each --at gives an entry in order; sizes match the truth; the group is reported."""
        doc = _run_json(capsys, str(image_file), *_at([*_CLUSTER, _SINGLE, (5.0, 5.0)]))
        assert doc["spacing_mm"] == pytest.approx([SPACING_MM, SPACING_MM])
        assert doc["spacing_source"] == "imager_pixel_spacing_ermf"
        calcs = doc["calcifications"]
        assert len(calcs) == 7
        for rec, center, d in zip(calcs, [*_CLUSTER, _SINGLE], _DIAMETERS, strict=False):
            assert rec["found"] is True
            assert math.dist(rec["center"], center) < 1.0
            assert rec["long_axis_mm"] == pytest.approx(d, abs=max(SPACING_MM, 0.1 * d))
            assert rec["long_axis_px"] == pytest.approx(rec["long_axis_mm"] / SPACING_MM)
            assert rec["short_axis_mm"] <= rec["long_axis_mm"]
            assert rec["area_mm2"] == pytest.approx(math.pi * d * d / 4, rel=0.25)
            assert len(rec["outline"]) >= 3 and rec["outline"][0] != rec["outline"][-1]
        assert calcs[6] == {"found": False, "reason": "no calcification found here"}
        grouped = [c for c in doc["clusters"] if c["birads_grouped"]]
        assert len(grouped) == 1 and grouped[0]["members"] == [0, 1, 2, 3, 4]
        assert all(5 not in c["members"] for c in doc["clusters"])

    def test_monochrome1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A MONOCHROME1 file is segmented on its stored values with the sign it declares."""
        path = write_phantom(tmp_path, _phantom(monochrome1=True))
        doc = _run_json(capsys, str(path), *_at([_SINGLE]))
        assert doc["calcifications"][0]["long_axis_mm"] == pytest.approx(1.0, abs=0.1)

    def test_uncalibrated(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without spacing: mm values and spacing_mm are null, pixel sizes are given."""
        path = write_phantom(tmp_path, _phantom(), uncalibrated=True)
        doc = _run_json(capsys, str(path), *_at([_SINGLE]))
        rec = doc["calcifications"][0]
        assert doc["spacing_mm"] is None and doc["spacing_source"] == "none"
        assert rec["long_axis_mm"] is None and rec["area_mm2"] is None
        assert rec["long_axis_px"] == pytest.approx(1.0 / SPACING_MM, abs=1.3)

    def test_text_output(self, image_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --json: one line per click with the spacing label."""
        assert main(["measure", str(image_file), *_at([_SINGLE, (5.0, 5.0)])]) == 0
        out = capsys.readouterr().out
        assert "mm at the breast plane" in out
        assert "1. at 90,480: centre" in out and "long axis 1.0" in out
        assert "2. at 5,5: no calcification found here" in out

    @pytest.mark.parametrize("slope", ["0.000244200244", "10"])
    def test_rescaled_file_gives_the_same_outlines(
        self, image_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], slope: str
    ) -> None:
        """A file whose Rescale Slope makes values 0..1 (or 0..40950) is outlined as slope 1."""
        from pydicom import dcmread

        ds = dcmread(image_file)
        ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = slope, "0", "US"
        rescaled = tmp_path / "rescaled.dcm"
        ds.save_as(rescaled, enforce_file_format=True)
        clicks = _at([*_CLUSTER, _SINGLE])
        base = _run_json(capsys, str(image_file), *clicks)["calcifications"]
        other = _run_json(capsys, str(rescaled), *clicks)["calcifications"]
        assert all(c["found"] for c in other)
        for a, b in zip(base, other, strict=True):
            assert np.allclose(b["outline"], a["outline"], atol=1e-3)
            assert b["intensity"]["peak"] == pytest.approx(a["intensity"]["peak"] * float(slope), rel=1e-5)


class TestMeasureSave:
    def test_save_adds_marks_to_the_sidecar(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--save writes the found marks to the reader's sidecar beside the file; again appends."""
        path = write_phantom(tmp_path / "study", _phantom())
        doc = _run_json(capsys, str(path), *_at([_SINGLE, (5.0, 5.0)]), "--save", "--reader", "Tester")
        saved = Path(doc["saved_to"])
        assert saved == sidecar.sidecar_path(path.parent, "Tester")
        assert doc["saved_count"] == 1
        model = sidecar.load(saved)
        ((key, calc),) = list(model.iter_calcifications())
        assert calc.sizes is not None and calc.outline is not None
        assert calc.sizes.long_axis_mm == pytest.approx(doc["calcifications"][0]["long_axis_mm"])
        assert calc.reader == "Tester"
        assert model.image(key).laterality == "L"
        _run_json(capsys, str(path), *_at([_CLUSTER[0]]), "--save", "--reader", "Tester")
        assert sidecar.load(saved).count()[0] == 2


class TestMeasureErrors:
    def test_unreadable_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that is not DICOM: exit status 1 and a message naming it."""
        bad = tmp_path / "notes.txt"
        bad.write_text("hello")
        assert main(["measure", str(bad), "--at", "1,1"]) == 1
        err = capsys.readouterr().err
        assert "notes.txt" in err and "Traceback" not in err

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing file: exit status 1 and a message."""
        assert main(["measure", str(tmp_path / "nothere.dcm"), "--at", "1,1"]) == 1
        assert "nothere.dcm" in capsys.readouterr().err

    def test_bad_point(self, image_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--at that is not X,Y is a usage error that says what is expected."""
        with pytest.raises(SystemExit) as exc:
            main(["measure", str(image_file), "--at", "12x5"])
        assert exc.value.code == 2
        assert "X,Y" in capsys.readouterr().err

    def test_click_outside(self, image_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A click outside the image is a miss with its reason, not an error."""
        doc = _run_json(capsys, str(image_file), "--at=-10,5")
        assert doc["calcifications"][0]["found"] is False
        assert "outside" in doc["calcifications"][0]["reason"]
