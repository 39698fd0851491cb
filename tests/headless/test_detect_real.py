"""Candidates on real files: never on a device or marker, never two for one speck."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from viewer.cli import main


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
