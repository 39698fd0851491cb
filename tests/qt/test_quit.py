"""Quitting the program as a user or the system does: nothing is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from Linux /proc")
def test_sigterm_ends_the_decode_workers(demo_folder: Path, tmp_path: Path) -> None:
    """SIGTERM closes the window as Quit does: the program exits and its decoding processes end."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MAMMO_VIEWER_DATA_DIR=str(tmp_path / "data"))
    log = tmp_path / "viewer.out"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "viewer", "--reader", "tester", str(demo_folder)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 1:
            time.sleep(0.2)
            workers = _children(process.pid)
            assert process.poll() is None, log.read_text()
        assert workers, "no decoding process started"
        time.sleep(1.0)
        workers = _children(process.pid)
        assert workers, "the decoding processes ended before the signal: nothing left to test"
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        assert code == 0, log.read_text()
        time.sleep(0.2)
        assert [pid for pid in workers if _alive(pid)] == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
