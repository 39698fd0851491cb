"""Tests of ``mammo-viewer render``: the PNG equals the displayed grey levels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset

from tests.fixtures.dicom_files import display_oracle, make_dataset, write_dicom
from viewer.cli import main

GE = "fodicom_GH133_GE_SenographeEssential_MG.dcm"


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        assert im.mode == "L"
        return np.asarray(im)


def _render(tmp_path: Path, source: Path, *args: str) -> tuple[int, Path]:
    out = tmp_path / "out.png"
    return main(["render", str(source), "--out", str(out), *args]), out


def _oracle(ds: Dataset, kind: str, index: int, invert: bool) -> np.ndarray:
    """pydicom's grey levels for the whole image, scaled to 0..255 (+ inversion)."""
    return display_oracle(ds.pixel_array, ds, kind, index, invert)


class TestAgainstPydicom:
    """Rendered pixels equal pydicom's VOI output within one grey level."""

    @pytest.mark.parametrize(("spec", "kind", "index"), [(None, "window", 0), ("lut:2", "lut", 1)])
    def test_ge_presets(
        self, shared_data: Path, tmp_path: Path, spec: str | None, kind: str, index: int
    ) -> None:
        """GH133: the default SIGMOID window and the second table."""
        code, out = _render(tmp_path, shared_data / GE, *(["--voi", spec] if spec else []))
        assert code == 0
        png = _png(out)
        ds = dcmread(shared_data / GE)
        assert png.shape == (3062, 2394)
        expected = _oracle(ds, kind, index, invert=False)
        assert np.abs(png - expected).max() <= 1.0

    def test_monochrome1_is_inverted(self, shared_data: Path, tmp_path: Path) -> None:
        """The MONOCHROME1 CR renders inverted, as pydicom + inversion."""
        path = shared_data / "wg04_RG3_RLE.dcm"
        code, out = _render(tmp_path, path)
        assert code == 0
        expected = _oracle(dcmread(path), "window", 0, invert=True)
        assert np.abs(_png(out) - expected).max() <= 1.0

    def test_center_width_keeps_the_file_function(self, shared_data: Path, tmp_path: Path) -> None:
        """--voi C,W on a SIGMOID file is a SIGMOID window at C,W."""
        code, out = _render(tmp_path, shared_data / GE, "--voi", "2400,600")
        assert code == 0
        ds = dcmread(shared_data / GE)
        del ds.VOILUTSequence
        ds.WindowCenter, ds.WindowWidth = 2400, 600
        assert np.abs(_png(out) - _oracle(ds, "window", 0, invert=False)).max() <= 1.0


class TestOptions:
    """Frames, orientation, auto window."""

    def _file(self, tmp_path: Path, frames: np.ndarray, **attributes: Any) -> Path:
        ds = make_dataset(frames.astype(np.uint16), **attributes)
        return write_dicom(ds, tmp_path / "synthetic.dcm")

    def test_frame_and_stored_orientation(self, tmp_path: Path) -> None:
        """--frame 2 renders the second frame, unmirrored though the hanging would flip it."""
        ramp = np.tile(np.linspace(0, 4095, 64), (32, 1))
        frames = np.stack([np.zeros((32, 64)), ramp])
        path = self._file(
            tmp_path,
            frames,
            ImageLaterality="R",
            PatientOrientation=["A", "F"],
            WindowCenter=2048,
            WindowWidth=4096,
        )
        code, out = _render(tmp_path, path, "--frame", "2")
        assert code == 0
        png = _png(out).astype(int)
        assert png[0, 0] == 0 and png[0, -1] == 255  # dark on the left, as stored
        assert np.all(np.diff(png[0]) >= 0)

    def test_auto_window(self, tmp_path: Path) -> None:
        """--voi auto windows the tissue: background black, tissue spread over the greys."""
        rng = np.random.default_rng(3)
        y, x = np.mgrid[0:120, 0:100]
        breast = ((y - 60) / 55.0) ** 2 + (x / 80.0) ** 2 < 1
        data = np.where(breast, rng.normal(2500, 150, breast.shape), 100)
        path = self._file(tmp_path, np.clip(data, 0, 4095), WindowCenter=2048, WindowWidth=4096)
        code, out = _render(tmp_path, path, "--voi", "auto")
        assert code == 0
        png = _png(out)
        assert int(png[~breast].max()) == 0
        assert np.percentile(png[breast], 95) - np.percentile(png[breast], 5) > 150


class TestFailures:
    """Non-zero exit with a message, never a traceback."""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--voi", "lut:4"], "has 3 VOI LUTs: lut:1 (NORMAL), lut:2 (HARDER), lut:3 (SOFTER)"),
            (["--voi", "window:0"], "has 3 windows"),
            (["--voi", "bright"], "expected window:N, lut:N, auto or CENTER,WIDTH"),
            (["--voi", "100,-5"], "expected window:N"),
            (["--frame", "2"], "has 1 frame (1-1)"),
        ],
    )
    def test_bad_options(
        self,
        shared_data: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        args: list[str],
        message: str,
    ) -> None:
        """Wrong --voi / --frame values say what exists."""
        code, out = _render(tmp_path, shared_data / GE, *args)
        assert code == 1 and not out.exists()
        assert message in capsys.readouterr().err

    def test_file_without_pixels(
        self, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The Hologic header without Pixel Data: exit 1, named file and reason."""
        code, _ = _render(tmp_path, shared_data / "openrem_MG-Im-Hologic-PropProj.dcm")
        assert code == 1
        assert capsys.readouterr().err.strip() == (
            "mammo-viewer render: openrem_MG-Im-Hologic-PropProj.dcm: "
            "this file has no image data (no Pixel Data element)"
        )

    def test_unwritable_output(
        self, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A PNG path in a missing folder: exit 1 with the reason."""
        out = tmp_path / "missing" / "x.png"
        code = main(["render", str(shared_data / "wg04_RG3_RLE.dcm"), "--out", str(out)])
        assert code == 1
        assert "cannot write" in capsys.readouterr().err
