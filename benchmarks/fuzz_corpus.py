"""The full fuzz corpus: every real file x every mutation x seeds, plus file-system oddities.

Each input is opened (header, pixels, default window) by ``mammo-viewer info``'s code in its
own process, under a memory limit and a time limit, and its outcome counted:

- ``opened``: it opens; ``message``: the viewer's per-file message;
- ``traceback``: an exception escaped; ``crash``: the process died on a signal;
- ``hang``: it ran past the time limit; ``memory``: it hit the memory limit.

``python benchmarks/fuzz_corpus.py [--seeds N] [--json]`` (real files from
``MAMMO_VIEWER_TEST_DATA`` or ``../shared/data``). Only the first two outcomes are acceptable.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.fixtures.fuzz_inputs import MUTATIONS  # noqa: E402

TIME_LIMIT_S = 60
MEMORY_LIMIT = 3 << 30

_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from viewer.dicom.image import DicomImageError, MammoImage
try:
    image = MammoImage.open(sys.argv[1])
    image.pixels(0)
    image.default_voi(0)
    print("opened")
except DicomImageError:
    print("message")
except MemoryError:
    print("memory")
"""


def _data_folder() -> Path:
    from tests.fixtures.real_data import real_data_folder

    return real_data_folder()


def classify(path: Path) -> str:
    try:
        result = subprocess.run(
            [sys.executable, "-c", _CHILD.format(limit=MEMORY_LIMIT), str(path)],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT_S,
        )
    except subprocess.TimeoutExpired:
        return "hang"
    if result.returncode < 0:
        return "crash"
    if result.returncode != 0:
        return "memory" if "MemoryError" in result.stderr else "traceback"
    return result.stdout.strip() or "traceback"


def oddities(folder: Path) -> list[Path]:
    """FIFO, device link, link loop, dangling link, folder named .dcm, empty file."""
    made = []
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.dcm")
        made.append(folder / "fifo.dcm")
    if Path("/dev/zero").exists():
        (folder / "zero.dcm").symlink_to("/dev/zero")
        made.append(folder / "zero.dcm")
    (folder / "loop.dcm").symlink_to(folder / "loop.dcm")
    (folder / "dangling.dcm").symlink_to(folder / "missing.dcm")
    (folder / "dir.dcm").mkdir()
    (folder / "empty.dcm").write_bytes(b"")
    return made + [folder / n for n in ("loop.dcm", "dangling.dcm", "dir.dcm", "empty.dcm")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="inputs per file and mutation")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sources = sorted(p for p in _data_folder().glob("*.dcm"))
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    bad: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for source in sources:
            data = source.read_bytes()
            for name, mutate in MUTATIONS.items():
                for seed in range(args.seeds):
                    try:
                        mutated = mutate(data, random.Random(seed))
                    except Exception:  # the mutation needs what this file lacks (a parseable header)
                        continue
                    path = folder / "input.dcm"
                    path.write_bytes(mutated)
                    outcome = classify(path)
                    counts[name][outcome] += 1
                    if outcome not in ("opened", "message"):
                        bad.append(f"{source.name} {name} seed {seed}: {outcome}")
        for path in oddities(folder):
            outcome = classify(path)
            counts["file-system oddities"][outcome] += 1
            if outcome not in ("opened", "message"):
                bad.append(f"{path.name}: {outcome}")
    if args.json:
        print(json.dumps({"counts": {k: dict(v) for k, v in counts.items()}, "bad": bad}, indent=2))
    else:
        kinds = ["opened", "message", "traceback", "crash", "hang", "memory"]
        print(f"{'input':24}" + "".join(f"{k:>10}" for k in kinds))
        for name, c in counts.items():
            print(f"{name:24}" + "".join(f"{c.get(k, 0):>10}" for k in kinds))
        for line in bad:
            print("NOT OK:", line)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
