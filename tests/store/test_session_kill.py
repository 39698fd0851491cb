"""A process killed with SIGKILL at random moments while saving never breaks the annotation file."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from viewer.core.annotations import StudyAnnotations
from viewer.store import sidecar
from viewer.store.session import AnnotationStore

RUNS = 20
STUDY = "1.2.3"

# The child saves as fast as it can (alternating saves and autosaves, a new mark each time)
# and prints the number of marks of every save that returned.
CHILD = f"""
import sys
from viewer.core.annotations import Calcification, ImageAnnotations
from viewer.core.geometry import Spacing, SpacingSource
from viewer.store.serialize import serialize
from viewer.store.session import AnnotationStore

store = AnnotationStore.open(sys.argv[1], "dr a", "{STUDY}")
if store.read_only_reason is not None:
    print("read-only:", store.read_only_reason, flush=True)
    sys.exit(1)
model = store.load()
spacing = Spacing(0.07, 0.07, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector")
key = ("1.2.3.4", 0)
if key not in model.images:
    model.images[key] = ImageAnnotations("1.2.3.4", 0, "{STUDY}", "1.2.3.5", 3000, 2000,
                                         "L", "CC", spacing)
print("ready", flush=True)
n = 0
while True:
    n += 1
    x = float(n % 2000)
    outline = [(x + dx, 100.0 + dy) for dx, dy in ((-2, -2), (2, -2), (3, 1), (0, 3), (-3, 1))]
    model.put_calcification(key, Calcification.create((x, 100.0), outline, spacing))
    data = serialize(model)
    if n % 3 == 0:
        store.autosave_bytes(data)
    else:
        store.save_bytes(data)
        print(len(model.images[key].calcifications), flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("seed", [20250131])
def test_sigkill_during_saves(tmp_path: Path, seed: int) -> None:
    """Over many SIGKILLs mid-save the sidecar is always complete, valid and at least as new
    as the last save that returned; autosaves are valid too; no temporary files pile up."""
    rng = random.Random(seed)
    path = sidecar.sidecar_path(tmp_path, "dr a")
    sidecar.save(StudyAnnotations("dr a", STUDY), path)  # a file exists from the start
    saved_marks = 0
    for run in range(RUNS):
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        if first != "ready":
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"run {run}: child did not start: {first} {err}")
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        reported = [int(line) for line in out.split() if line.isdigit()]
        if reported:
            saved_marks = reported[-1]
        where = f"run {run} (seed {seed})"
        model = sidecar.load(path)  # raises if the file is broken or missing
        count = model.count()[0]
        assert count >= saved_marks, f"{where}: a save that returned was lost"
        saved_marks = count
        recovery = path.with_name(path.name + ".recovery")
        if recovery.exists():
            sidecar.load(recovery)
    with AnnotationStore.open(tmp_path, "dr a", STUDY) as store:
        assert store.read_only_reason is None
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert saved_marks > RUNS  # the children really saved, many times
