"""`--screenshot` on each bad annotation-file state: no question waits for a person.

Each run is the real program in a subprocess with no dialog patched away: it must finish
(run_viewer gives up after 180 s and fails the test), picture the images, and say on stderr
which default it took.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.qt.test_app import assert_four_views_back_to_back, picture, run_viewer
from viewer.assets import resource_path
from viewer.core.annotations import StudyAnnotations
from viewer.store import sidecar
from viewer.store.serialize import serialize

pytestmark = pytest.mark.slow

READER = "tester"


def _corrupt(folder: Path) -> None:
    sidecar.sidecar_path(folder, READER).write_bytes(b'{"schema_version": 1, "images": [')


def _newer(folder: Path) -> None:
    doc = orjson.loads(resource_path("examples/v1.json").read_bytes())
    sidecar.sidecar_path(folder, READER).write_bytes(orjson.dumps(dict(doc, schema_version=99)))


def _unwritable_lock(folder: Path) -> None:
    # the lock file's name taken by a folder: the lock cannot be written, as on a full disk
    (folder / (sidecar.sidecar_path(folder, READER).name + ".lock")).mkdir()


def _recovery(folder: Path) -> None:
    path = sidecar.sidecar_path(folder, READER)
    (path.parent / (path.name + ".recovery")).write_bytes(serialize(StudyAnnotations(READER, "1.2.3")))


STATES: dict[str, tuple[Callable[[Path], None], str]] = {
    "corrupt": (_corrupt, "read-only"),
    "newer": (_newer, "read-only"),
    "unwritable": (_unwritable_lock, "read-only"),
    "recovery": (_recovery, "kept"),
}


@pytest.mark.parametrize("state", list(STATES))
def test_bad_sidecar_state(state: str, tmp_path: Path, demo_folder: Path) -> None:
    """The screenshot is taken and the run ends by itself, saying what it decided."""
    make, said = STATES[state]
    make(demo_folder)
    before = {p.name: p.read_bytes() for p in demo_folder.iterdir() if p.is_file()}
    out = tmp_path / "shot.png"
    result = run_viewer(
        "--reader", READER, "--screenshot", str(out), str(demo_folder), data_dir=tmp_path / "d"
    )
    assert result.returncode == 0, result.stderr
    assert said in result.stderr
    assert_four_views_back_to_back(picture(out))
    for name, content in before.items():  # nothing of the study was changed or removed
        assert (demo_folder / name).read_bytes() == content


def test_lock_held_by_a_running_viewer(tmp_path: Path, demo_folder: Path) -> None:
    """Another process holding the reader's lock: read-only, said, finished."""
    lock = sidecar.sidecar_path(demo_folder, READER).name + ".lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from viewer.store.lock import acquire; "
            "held = acquire(Path(sys.argv[1]), 'other'); print('held', flush=True); time.sleep(120)",
            str(demo_folder / lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        out = tmp_path / "shot.png"
        result = run_viewer(
            "--reader", READER, "--screenshot", str(out), str(demo_folder), data_dir=tmp_path / "d"
        )
        assert result.returncode == 0, result.stderr
        assert "read-only" in result.stderr and "another mammo-viewer" in result.stderr
    finally:
        holder.kill()
        holder.communicate()
