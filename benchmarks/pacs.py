"""PACS figures for docs/scaling.md: saves per second with 1, 4 and 8 clients, open latency.

Starts a real Orthanc (Debian's orthanc + orthanc-dicomweb) on a free loopback port with a
temporary storage, uploads the demo study, then measures:

- saves per second: N processes, each a different reader, each saving a growing set of
  marks into the same study (read, replace its part, write with If-Match) ROUNDS times;
- open latency: retrieving the four views by WADO-RS into an empty cache and opening them
  (cold), and opening the same study again from the cache (warm).

    python benchmarks/pacs.py [--rounds 30] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "pacs"))
sys.path.insert(0, str(HERE.parent))

from tests.fixtures.orthanc_server import OrthancServer, find_orthanc  # noqa: E402
from tests.fixtures.pacs_writers import data_folder, save_rounds  # noqa: E402
from viewer.dicom.demo import write_demo_study  # noqa: E402
from viewer.dicom.study import open_study  # noqa: E402
from viewer.sources.dicomweb import DicomwebServer  # noqa: E402
from viewer.sources.pacs_cache import StudyCache  # noqa: E402


def _saves_per_second(
    server: OrthancServer, study_uid: str, sop_uid: str, root: Path, n: int, rounds: int
) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=save_rounds,
            args=(
                data_folder(root, f"n{n}-pc{i}"),
                server.dicomweb,
                study_uid,
                sop_uid,
                f"Bench {n}-{i}",
                rounds,
                barrier,
                out,
            ),
        )
        for i in range(n)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=900)
    start = time.perf_counter()
    results = [out.get(timeout=1800) for _ in procs]
    failed = [r[5] for r in results if r[5]]
    if failed:
        raise SystemExit(f"a writer failed: {failed[0]}")
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    sent = sum(r[2] for r in results)
    kept = sum(r[3] for r in results)
    return {
        "clients": n,
        "saves": n * rounds,
        "seconds": elapsed,
        "saves_per_s": n * rounds / elapsed,
        "sent": sent,
        "left_for_later": kept,
    }


def _open_latency(server: OrthancServer, study_uid: str, root: Path) -> dict[str, float]:
    cache = StudyCache(root / "cache")
    start = time.perf_counter()
    folder = DicomwebServer(server.dicomweb).retrieve_study(study_uid, cache)
    study = open_study([folder])
    for image in study.by_view().values():
        image.pixels(0)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    folder = DicomwebServer(server.dicomweb).retrieve_study(study_uid, cache)
    study = open_study([folder])
    for image in study.by_view().values():
        image.pixels(0)
    warm = time.perf_counter() - start
    return {"cold_s": cold, "warm_s": warm}


def _local_open(files: list[Path]) -> float:
    """Baseline: the same study opened from a local folder (as a folder study is)."""
    start = time.perf_counter()
    study = open_study([files[0].parent])
    for image in study.by_view().values():
        image.pixels(0)
    return time.perf_counter() - start


def _local_saves(root: Path, study_uid: str, sop_uid: str, rounds: int) -> float:
    """Baseline: saves per second of one reader into a local study folder (the sidecar)."""
    from tests.fixtures.pacs_writers import SPACING
    from viewer.core.annotations import Calcification, ImageAnnotations, StudyAnnotations
    from viewer.store.session import AnnotationStore

    folder = root / "local-study"
    folder.mkdir(parents=True, exist_ok=True)
    model = StudyAnnotations("Local", study_uid)
    record = model.ensure_image(ImageAnnotations(sop_uid, dicom_spacing=SPACING, rows=2400, columns=1900))
    with AnnotationStore.open(folder, "Local", study_uid) as store:
        start = time.perf_counter()
        for i in range(rounds):
            x = 100.0 + 5 * i
            square = [(x - 1, 99.0), (x + 1, 99.0), (x + 1, 101.0), (x - 1, 101.0)]
            model.put_calcification(record.key, Calcification.create((x, 100.0), square, SPACING))
            store.save(model)
        return rounds / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if find_orthanc() is None:
        print("Orthanc or its DICOMweb plugin is not installed", file=sys.stderr)
        return 2
    import pydicom

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = write_demo_study(root / "demo")
        header = pydicom.dcmread(files[0], stop_before_pixels=True)
        os.environ["MAMMO_VIEWER_DATA_DIR"] = str(root / "data")
        with OrthancServer(root / "orthanc") as server:
            server.upload(files)
            local_open = sorted(_local_open(files) for _ in range(3))[1]
            local_saves = _local_saves(
                root, str(header.StudyInstanceUID), str(header.SOPInstanceUID), args.rounds
            )
            latency = [
                _open_latency(server, str(header.StudyInstanceUID), root / f"open{i}") for i in range(3)
            ]
            saves = [
                _saves_per_second(
                    server, str(header.StudyInstanceUID), str(header.SOPInstanceUID), root, n, args.rounds
                )
                for n in (1, 4, 8)
            ]
    load = os.getloadavg()
    report = {
        "saves": saves,
        "open": latency,
        "baseline": {"local_open_s": local_open, "local_saves_per_s": local_saves},
        "load_average": load,
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'clients':>8}{'saves':>8}{'seconds':>10}{'saves/s':>10}{'sent':>6}{'later':>7}")
    for row in saves:
        print(
            f"{row['clients']:>8}{row['saves']:>8}{row['seconds']:>10.2f}{row['saves_per_s']:>10.1f}{row['sent']:>6}{row['left_for_later']:>7}"
        )
    cold = sorted(r["cold_s"] for r in latency)[1]
    warm = sorted(r["warm_s"] for r in latency)[1]
    print(f"baseline: one reader saving into a local study folder: {local_saves:.1f} saves/s")
    print(
        f"open the 4-view demo study (median of 3): cold cache {cold:.2f} s, warm cache {warm:.2f} s; "
        f"baseline from a local folder {local_open:.2f} s"
    )
    print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
