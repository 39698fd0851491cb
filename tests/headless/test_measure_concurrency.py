"""Writers in parallel processes: every mark a `measure --save` said it saved is in the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from viewer.cli import main
from viewer.core.phantom import CalcSpec, make_mammogram
from viewer.dicom.demo import SPACING_MM, demo_dataset
from viewer.store import sidecar
from viewer.store.serialize import serialize
from viewer.store.session import AnnotationStore

_SPECKS = [(120.0, 140.0), (300.0, 200.0), (200.0, 400.0)]

# One writer: ROUNDS runs of `mammo-viewer measure --save` in this process, one line of JSON
# (the run's exit status and how many marks it said it saved) per run.
_WRITER = """
import contextlib, io, json, sys
from viewer.cli import main
path, x, y, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for _ in range(rounds):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["measure", path, "--at", f"{x},{y}", "--save", "--json", "--reader", "Ann"])
    saved = json.loads(out.getvalue()).get("saved_count", 0) if code == 0 else 0
    print(json.dumps({"code": code, "saved": saved}), flush=True)
"""


def _study(folder: Path) -> Path:
    specs = [CalcSpec(c, 0.5) for c in _SPECKS]
    phantom = make_mammogram(480, 360, (SPACING_MM, SPACING_MM), "L", "CC", seed=3, calcifications=specs)
    path = folder / "image.dcm"
    demo_dataset(phantom, 1).save_as(path, enforce_file_format=True)
    return path


@pytest.mark.slow
class TestParallelWriters:
    def test_no_saved_mark_lost(self, tmp_path: Path) -> None:
        """Three processes saving to one reader's file: the file holds every mark reported saved."""
        path = _study(tmp_path)
        rounds = 6
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _WRITER, str(path), f"{x:g}", f"{y:g}", str(rounds)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for x, y in _SPECKS
        ]
        reported = 0
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            runs = [json.loads(line) for line in out.splitlines()]
            assert len(runs) == rounds
            assert all(r["code"] == 0 for r in runs), err  # the lock is waited for, not refused
            reported += sum(r["saved"] for r in runs)
        assert reported == rounds * len(_SPECKS)
        model = sidecar.load(sidecar.sidecar_path(tmp_path, "Ann"))
        marks = [c for img in model.images.values() for c in img.calcifications.values()]
        assert len(marks) == reported
        assert len({c.id for c in marks}) == reported


class TestRecoveryKept:
    def test_headless_save_keeps_gui_autosave(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`measure --save` after a crashed GUI session leaves its recovery file, and says so."""
        path = _study(tmp_path)
        gui = AnnotationStore.open(tmp_path, "Ann", "")
        model = gui.load()
        gui.autosave_bytes(serialize(model), revision=3)
        recovery = gui.recovery_path.read_bytes()
        assert gui._lock is not None
        gui._lock.release()  # the GUI process died: its OS lock is gone
        x, y = _SPECKS[0]
        assert main(["measure", str(path), "--at", f"{x:g},{y:g}", "--save", "--reader", "Ann"]) == 0
        assert gui.recovery_path.read_bytes() == recovery
        err = capsys.readouterr().err
        assert "autosave" in err and "kept" in err
