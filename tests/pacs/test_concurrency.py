"""A team on one archive: many workstations saving into one study at once on a real Orthanc."""

from __future__ import annotations

import multiprocessing
import queue
from pathlib import Path

import pydicom

from tests.fixtures.orthanc_server import OrthancServer
from tests.fixtures.pacs_writers import data_folder, save_rounds
from viewer.sources.orthanc_rest import ANNOTATION_ATTACHMENT, OrthancRest
from viewer.sources.server_document import SharedAnnotations

WRITERS = 8
ROUNDS = 50


def _run(
    server: OrthancServer, demo_files: list[Path], root: Path, readers: list[str], rounds: int
) -> list[tuple]:
    header = pydicom.dcmread(demo_files[0], stop_before_pixels=True)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(readers))
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=save_rounds,
            args=(
                data_folder(root, f"pc{i}"),
                server.dicomweb,
                str(header.StudyInstanceUID),
                str(header.SOPInstanceUID),
                reader,
                rounds,
                barrier,
                out,
            ),
        )
        for i, reader in enumerate(readers)
    ]
    for p in procs:
        p.start()
    results: list[tuple] = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=5))
        except queue.Empty:
            if not any(p.is_alive() for p in procs) and out.empty():
                codes = [p.exitcode for p in procs]
                raise AssertionError(f"writers ended without a result (exit codes {codes})") from None
    failed = [r for r in results if r[5]]
    assert not failed, failed
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _server_ids(server: OrthancServer, study_uid: str) -> dict[str, set[str]]:
    rest = OrthancRest(server.dicomweb)
    current = rest.get(rest.study_id(study_uid), "attachments", ANNOTATION_ATTACHMENT)
    assert current is not None
    doc = SharedAnnotations.parse(current.data, "test", study_uid)
    models, problems = doc.models("test")
    assert not problems
    return {key: {c.id for _k, c in m.iter_calcifications()} for key, m in models.items()}


class TestTeam:
    def test_eight_readers_fifty_rounds(
        self, own_orthanc: OrthancServer, demo_files: list[Path], tmp_path: Path
    ) -> None:
        """8 processes, each a reader, 50 saves each at once: every mark of every reader is on the server."""
        readers = [f"Reader {i}" for i in range(WRITERS)]
        results = _run(own_orthanc, demo_files, tmp_path, readers, ROUNDS)
        uid = str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)
        on_server = _server_ids(own_orthanc, uid)
        assert set(on_server) == {f"reader-{i}" for i in range(WRITERS)}
        for reader, ids, _sent, _kept, conflicts, _error in results:
            assert conflicts == 0
            assert len(ids) == ROUNDS
            assert on_server[reader.lower().replace(" ", "-")] == set(ids)

    def test_same_reader_on_two_machines(
        self, own_orthanc: OrthancServer, demo_files: list[Path], tmp_path: Path
    ) -> None:
        """Two processes as the same reader: one conflict reported, the other's marks untouched."""
        results = _run(own_orthanc, demo_files, tmp_path, ["Alice", "Alice"], 1)
        uid = str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)
        conflicts = [r for r in results if r[4]]
        winners = [r for r in results if not r[4]]
        assert len(conflicts) == 1 and len(winners) == 1
        assert _server_ids(own_orthanc, uid) == {"alice": set(winners[0][1])}
