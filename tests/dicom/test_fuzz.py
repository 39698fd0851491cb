"""Fuzz suite: damaged real files give a message or open, within a time bound; never a traceback.

A sample runs here (hypothesis picks the file, the mutation and its seed); the full corpus is
``benchmarks/fuzz_corpus.py``, which runs every input in its own process under a memory limit
and counts the outcomes.
"""

from __future__ import annotations

import functools
import random
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.fuzz_inputs import MUTATIONS
from viewer.dicom.image import DicomImageError, MammoImage
from viewer.dicom.study import open_study

# small real files of different encodings (uncompressed 8-bit, RLE, JPEG-LS, JPEG lossless)
SOURCES = (
    "notzaki_MG_Explicit_Little.dcm",
    "pydicomdata_vlut_04.dcm",
    "wg04_RG3_RLE.dcm",
    "wg04_RG3_JLSN.dcm",
)
SECONDS_PER_INPUT = 20.0
"""Generous on a loaded machine; a hang (a FIFO, /dev/zero) would take forever."""


def _try(path: Path) -> str:
    """'opened' or 'message'; anything else raised fails the test."""
    try:
        image = MammoImage.open(path)
        image.pixels(0)
        image.default_voi(0)
        _ = image.spacing.label
    except DicomImageError as exc:
        assert str(exc).startswith(f"{path.name}: ") and "Traceback" not in str(exc)
        return "message"
    return "opened"


@functools.cache
def _original(folder: Path, name: str) -> bytes:
    return (folder / name).read_bytes()


@pytest.mark.slow
@given(
    source=st.sampled_from(SOURCES),
    mutation=st.sampled_from(sorted(MUTATIONS)),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_damaged_file_gives_a_message_or_opens(
    shared_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    source: str,
    mutation: str,
    seed: int,
) -> None:
    """Each damaged input opens or raises the viewer's own per-file error, in bounded time."""
    data = MUTATIONS[mutation](_original(shared_data, source), random.Random(seed))
    path = tmp_path_factory.mktemp("fuzz") / "input.dcm"
    path.write_bytes(data)
    start = time.monotonic()
    _try(path)
    assert time.monotonic() - start < SECONDS_PER_INPUT


def test_good_file_beside_damaged_ones_opens(tmp_path: Path, shared_data: Path) -> None:
    """One damaged file of each kind beside a good one: the good one opens, each other is a problem."""
    rng = random.Random(11)
    for n, (_, mutate) in enumerate(sorted(MUTATIONS.items())):
        (tmp_path / f"bad{n}.dcm").write_bytes(mutate(_original(shared_data, "wg04_RG3_RLE.dcm"), rng))
    shutil.copy(shared_data / "notzaki_MG_Explicit_Little.dcm", tmp_path / "good.dcm")
    study = open_study([tmp_path])
    assert "good.dcm" in {i.path.name for i in study.images}
    named = {p.path.name for p in study.problems} | {i.path.name for i in study.images}
    assert named == {f"bad{n}.dcm" for n in range(len(MUTATIONS))} | {"good.dcm"}
