"""Tests for viewer.headless.detect (named _cli: tests/core/test_detect.py holds the core tests)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.dicom_files import write_phantom
from viewer.cli import main
from viewer.core.phantom import CalcSpec, Phantom, make_mammogram
from viewer.dicom.demo import SPACING_MM

SPECKS = [((150.0, 200.0), 0.5), ((260.0, 330.0), 0.8), ((200.0, 420.0), 1.2), ((110.0, 340.0), 0.4)]


def _phantom(monochrome1: bool = False) -> Phantom:
    specs = [CalcSpec(c, d) for c, d in SPECKS]
    return make_mammogram(
        600, 480, (SPACING_MM, SPACING_MM), "L", "CC", seed=8, calcifications=specs, monochrome1=monochrome1
    )


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(["detect", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if "--json" in argv and code == 0 else out, err


def _nearest(doc: dict[str, Any], point: tuple[float, float]) -> dict[str, Any]:
    return min(doc["candidates"], key=lambda c: math.dist(c["center"], point))


class TestDetectCommand:
    def test_json_lists_the_specks_with_sizes(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every drawn speck is a candidate near its centre with its diameter in mm."""
        path = write_phantom(tmp_path, _phantom())
        code, doc, _ = _run(capsys, str(path), "--json")
        assert code == 0
        assert doc["spacing_source"] == "imager_pixel_spacing_ermf"
        assert doc["spacing_mm"] == pytest.approx([SPACING_MM, SPACING_MM])
        scores = [c["score"] for c in doc["candidates"]]
        assert scores == sorted(scores, reverse=True)
        for center, diameter in SPECKS:
            c = _nearest(doc, center)
            assert math.dist(c["center"], center) < 1.0
            assert c["long_axis_mm"] == pytest.approx(diameter, rel=0.2)
            assert set(c) >= {"center", "score", "long_axis_mm"}
        assert len(doc["candidates"]) <= len(SPECKS) + 2

    def test_monochrome1_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A MONOCHROME1 file gives the same candidates as its MONOCHROME2 twin."""
        _, normal, _ = _run(capsys, str(write_phantom(tmp_path / "a", _phantom())), "--json")
        _, inverted, _ = _run(capsys, str(write_phantom(tmp_path / "b", _phantom(True))), "--json")
        assert len(inverted["candidates"]) == len(normal["candidates"])
        for a, b in zip(normal["candidates"], inverted["candidates"], strict=True):
            assert a["center"] == pytest.approx(b["center"], abs=0.05)

    def test_uncalibrated_has_no_mm(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without spacing the sizes are in pixels and long_axis_mm is null."""
        path = write_phantom(tmp_path, _phantom(), uncalibrated=True)
        code, doc, _ = _run(capsys, str(path), "--json")
        assert code == 0 and doc["spacing_mm"] is None
        assert doc["candidates"] and all(c["long_axis_mm"] is None for c in doc["candidates"])
        c = _nearest(doc, SPECKS[2][0])
        assert c["long_axis_px"] == pytest.approx(1.2 / SPACING_MM, rel=0.2)

    def test_text_and_limit(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The text lists one line per candidate; --limit keeps the best ones."""
        path = write_phantom(tmp_path, _phantom())
        code, text, _ = _run(capsys, str(path), "--limit", "2")
        assert code == 0
        lines = text.strip().splitlines()
        assert "2 candidate(s)" in lines[0] and "ERMF" in lines[0] and len(lines) == 3
        assert "mm" in lines[1] and "score" in lines[1]

    def test_errors_name_the_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Missing file, wrong frame and bad settings exit 1 with a message, no traceback."""
        code, _, err = _run(capsys, str(tmp_path / "nope.dcm"))
        assert code == 1 and "nope.dcm: file not found" in err
        path = write_phantom(tmp_path, _phantom())
        code, _, err = _run(capsys, str(path), "--frame", "3")
        assert code == 1 and "frame 3 does not exist" in err
        code, _, err = _run(capsys, str(path), "--min-score", "0")
        assert code == 1 and "min_score" in err and "Traceback" not in err


class TestOnRealFiles:
    def test_ge_bright_foci(self, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """On the GE Senographe MLO the two obvious round calcifications are the top two."""
        code, doc, _ = _run(
            capsys, str(shared_data / "fodicom_GH133_GE_SenographeEssential_MG.dcm"), "--json"
        )
        assert code == 0
        top = [c["center"] for c in doc["candidates"][:2]]
        for focus in ((1790.0, 1956.0), (1823.0, 1709.0)):
            assert min(math.dist(focus, c) for c in top) < 4.0
        assert len(doc["candidates"]) < 30

    def test_structured_report_is_refused(
        self, shared_data: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A DICOM SR is not an image: exit 1 with the reason."""
        code, _, err = _run(capsys, str(shared_data / "dwv_tid1500_sr-ruler.dcm"))
        assert code == 1 and "not an image" in err
