"""Fixtures of the DICOM tests: the shared synthetic builder and the pydicom oracle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.fixtures.dicom_files import MakeDataset, display_oracle, make_dataset, write_dicom


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a synthetic image file: ``make_file("name.dcm", pixels, **attributes)``."""

    def _make(name: str = "image.dcm", pixels: np.ndarray | None = None, **kw: Any) -> Path:
        return write_dicom(make_dataset(pixels, **kw), tmp_path / name)

    return _make


@pytest.fixture
def make_ds() -> MakeDataset:
    """The synthetic dataset factory: ``make_ds(pixels, **attributes)``."""
    return make_dataset


@pytest.fixture
def oracle() -> Callable[..., np.ndarray]:
    """The pydicom display oracle: ``oracle(stored, ds, kind, index, invert)``."""
    return display_oracle
