"""Fixtures for the Qt tests: a demo study on disk and its ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.core.phantom import Phantom
from viewer.dicom.demo import demo_phantoms, write_demo_study


@pytest.fixture(scope="session")
def demo_truth() -> list[Phantom]:
    """The demo study's phantoms (RCC, LCC, RMLO, LMLO) with their true calcifications."""
    return demo_phantoms()


@pytest.fixture
def demo_folder(tmp_path: Path) -> Path:
    """A fresh copy of the built-in demo study in a private folder."""
    folder = tmp_path / "demo-study"
    write_demo_study(folder)
    return folder
