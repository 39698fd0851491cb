"""benchmarks/decoder_bench.py on a small frame: every row decodes, lossless rows give the source back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import decoder_bench

import viewer.dicom.decode


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    """One run of the table on a 96x80 frame."""
    return decoder_bench.run(rows=96, cols=80, runs=1)


class TestDecoderBench:
    def test_every_installed_encoder_gives_a_timed_row(self, result: dict[str, Any]) -> None:
        """No failures; every syntax but HTJ2K (no encoder here) is decoded and timed, naming its licence."""
        assert result["failures"] == []
        measured = {r["uid"]: r for r in result["rows"] if "wall_s" in r}
        assert set(measured) == {s.uid for s in decoder_bench.SYNTAXES} - {"1.2.840.10008.1.2.4.201"}
        assert all(r["licence"] not in ("unknown", "not installed") for r in measured.values())
        assert all(r["check"] == "equal" for r in measured.values() if r["lossless"])

    def test_decoders_named(self, result: dict[str, Any]) -> None:
        """The plugin that returned the frame is named: OpenJPEG, CharLS, GDCM for 12-bit JPEG, RLE."""
        decoders = {r["uid"]: r.get("distribution") for r in result["rows"]}
        assert decoders["1.2.840.10008.1.2.4.90"] == "pylibjpeg-openjpeg"
        assert decoders["1.2.840.10008.1.2.4.80"] == "pyjpegls"
        assert decoders["1.2.840.10008.1.2.4.51"] == "python-gdcm"
        assert decoders["1.2.840.10008.1.2.5"] == "pylibjpeg-rle"

    def test_a_lossless_mismatch_is_a_failure(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """A decoder that changes one value fails the lossless check, and main() exits 1."""
        real = viewer.dicom.decode.decode_frame

        def off_by_one(*args: Any, **kwargs: Any) -> np.ndarray:
            arr = real(*args, **kwargs).copy()
            arr[0, 0] += 1
            return arr

        monkeypatch.setattr(viewer.dicom.decode, "decode_frame", off_by_one)
        monkeypatch.setattr(decoder_bench, "SYNTAXES", decoder_bench.SYNTAXES[:1])
        row = decoder_bench.bench_syntax(decoder_bench.SYNTAXES[0], tmp_path, 96, 80, 1)
        assert row["failure"] == "MISMATCH: max |diff| 1"
        assert decoder_bench.main(["--size", "96x80", "--runs", "1"]) == 1
