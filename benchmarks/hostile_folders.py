"""50 folders, each one hostile entry beside one good image, opened in the GUI (issue 13).

Each folder is opened by the main window as ``--screenshot`` opens it (not interactive, offscreen
Qt), in its own process under a time limit, and counted:

- ``aborted``: the process died on a signal or exited without reporting;
- ``hung``: the images were not shown within the time limit;
- the peak memory of the process and its decode workers (``ru_maxrss`` from ``wait4``);
- ``good shown``: the good image is hung and shows its full-resolution pixels;
- ``good offered``: it is not shown because the bad file's header still reads as another study,
  shown first (the first by file name), and the good one is offered as study 2 of 2.

The hostile entries: every fuzz mutation of ``tests.fixtures.fuzz_inputs`` on five real files
(a seed each), a 60000 x 60000 RLE, a FIFO, a link to ``/dev/zero``, a symbolic link loop, an
empty file and a folder named ``.dcm``. ``python benchmarks/hostile_folders.py [--json]`` (real
files from ``MAMMO_VIEWER_TEST_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.fixtures.fuzz_inputs import MUTATIONS  # noqa: E402

TIME_LIMIT_S = 120
GOOD = "notzaki_MG_Explicit_Little.dcm"
SOURCES = [
    "wg04_RG3_RLE.dcm",
    "wg04_RG2_JPLY.dcm",
    "wg04_RG3_JLSN.dcm",
    "wg04_MG1_J2KI.dcm",
    "fodicom_GH133_GE_SenographeEssential_MG.dcm",
]

_GUI = """
import json, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from viewer.qt.main_window import MainWindow
window = MainWindow(reader="bench")
window.interactive = False
window.resize(1400, 900)
window.show()
app.processEvents()
opened = window.open_paths([Path(sys.argv[1])])
ready = window.wait_until_loaded(float(sys.argv[2]))
views = [v for v in window.hanging.loaded_views() if v.image is not None]
good = [v for v in views if v.image.path.name == "good.dcm" and v.pixels_ready]
problems = window.problems.count()
from viewer.session.study_session import read_studies
studies = read_studies([Path(sys.argv[1])])
where = [n for n, s in enumerate(studies) if any(i.path.name == "good.dcm" for i in s.images)]
print(json.dumps({"opened": bool(opened), "ready": ready, "good": bool(good),
                  "shown": [v.image.path.name for v in views], "problems": problems,
                  "studies": len(studies), "good_study": where[0] + 1 if where else 0}), flush=True)
window.close()
"""


def make_folders(root: Path, data: Path) -> list[tuple[str, Path]]:
    """The 50 folders: (what the bad entry is, folder)."""
    from pydicom import dcmread

    folders: list[tuple[str, Path]] = []

    def folder(kind: str) -> Path:
        path = root / f"f{len(folders):02d}"
        path.mkdir()
        shutil.copy(data / GOOD, path / "good.dcm")
        folders.append((kind, path))
        return path

    for name, mutate in MUTATIONS.items():
        for source in SOURCES:
            raw = (data / source).read_bytes()
            for seed in range(20):  # the first seed this file's header allows
                try:
                    bad = mutate(raw, random.Random(seed))
                except Exception:
                    continue
                (folder(f"{name} ({source}, seed {seed})") / "bad.dcm").write_bytes(bad)
                break
    huge = dcmread(data / "wg04_RG3_RLE.dcm")
    huge.Rows = huge.Columns = 60000
    huge.save_as(folder("60000 x 60000 RLE") / "bad.dcm")
    os.mkfifo(folder("FIFO") / "bad.dcm")
    (folder("link to /dev/zero") / "bad.dcm").symlink_to("/dev/zero")
    loop = folder("symbolic link loop") / "bad.dcm"
    loop.symlink_to(loop)
    (folder("empty file") / "bad.dcm").write_bytes(b"")
    (folder("folder named .dcm") / "bad.dcm").mkdir()
    (folder("dangling link") / "bad.dcm").symlink_to(root / "missing.dcm")
    # fill up to 50 with byte flips of the whole file, seeds beyond the first
    seed = 100
    while len(folders) < 50:
        source = SOURCES[seed % len(SOURCES)]
        bad = MUTATIONS["byte flips"]((data / source).read_bytes(), random.Random(seed))
        (folder(f"byte flips ({source}, seed {seed})") / "bad.dcm").write_bytes(bad)
        seed += 1
    return folders


def run_one(folder: Path) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _GUI, str(folder), str(TIME_LIMIT_S)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=TIME_LIMIT_S + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        return {"outcome": "hung", "seconds": time.perf_counter() - start, "peak_mb": 0.0, "good": False}
    # the child is reaped by communicate; its rusage (with its reaped workers) from RUSAGE_CHILDREN
    seconds = time.perf_counter() - start
    line = out.decode(errors="replace").strip().splitlines()[-1:] if out else []
    result: dict[str, Any] = {"seconds": seconds, "returncode": proc.returncode}
    if proc.returncode != 0 or not line:
        result.update(outcome="aborted", good=False, stderr=err.decode(errors="replace")[-400:])
        return result
    report = json.loads(line[0])
    result.update(report, outcome="ok" if report["ready"] else "hung")
    return result


def _peak_rss_of(folder: Path) -> tuple[dict[str, Any], float]:
    """run_one in a fork whose RUSAGE_CHILDREN is only this folder's process tree."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        import resource

        result = run_one(folder)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks))
    return result, result["peak_mb"]


def main(argv: list[str] | None = None) -> int:
    from tests.fixtures.real_data import real_data_folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, folder in make_folders(Path(tmp), real_data_folder()):
            result, _ = _peak_rss_of(folder)
            result["bad entry"] = kind
            rows.append(result)
            if not args.json:
                good = "shown" if result["good"] else "offered" if result.get("good_study", 0) > 1 else "NO"
                print(
                    f"{kind:60} {result['outcome']:8} good={good:8}"
                    f" {result['seconds']:6.1f} s {result['peak_mb']:7.0f} MB",
                    flush=True,
                )
    summary = {
        "folders": len(rows),
        "aborted": sum(r["outcome"] == "aborted" for r in rows),
        "hung": sum(r["outcome"] == "hung" for r in rows),
        "good_shown": sum(bool(r["good"]) for r in rows),
        "good_offered": sum(not r["good"] and r.get("good_study", 0) > 1 for r in rows),
        "peak_mb": max(r["peak_mb"] for r in rows),
        "slowest_s": max(r["seconds"] for r in rows),
    }
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, indent=2))
    else:
        print(json.dumps(summary))
    reached = summary["good_shown"] + summary["good_offered"]
    return 0 if summary["aborted"] == summary["hung"] == 0 and reached == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
