"""A study cached before: what the server received since (another reader's report) is fetched on opening."""

from __future__ import annotations

from pathlib import Path

import pydicom

from tests.fixtures.orthanc_server import OrthancServer
from tests.fixtures.pacs_clients import add_mark, open_from_server
from viewer.core.annotations import StudyAnnotations
from viewer.interop.sr_read import reports_in
from viewer.session.publish import publish_sr
from viewer.sources.dicomweb import DicomwebServer
from viewer.sources.pacs_cache import StudyCache, server_key


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each cached instance by name, with the identity of its file (inode, mtime)."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*/*.dcm")}


class TestNewInstances:
    def test_report_published_later_is_fetched(
        self, own_orthanc: OrthancServer, demo_files: list[Path], tmp_path: Path
    ) -> None:
        """Bob's report, published after Alice cached the study, is in her copy at the next opening;
        her four cached images are not fetched again; with the server down the copy still opens."""
        uid = str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)
        cache = StudyCache(tmp_path / "alice-cache")
        server = DicomwebServer(own_orthanc.dicomweb, connect_timeout=2)
        folder = server.retrieve_study(uid, cache)
        before = _files(folder)
        assert len(before) == 4 and reports_in(folder, uid)[0] == []

        bob = open_from_server(own_orthanc.dicomweb, uid, tmp_path / "bob-cache")
        model = StudyAnnotations("Bob", uid)
        add_mark(model, bob, 0)
        published = publish_sr(own_orthanc.dicomweb, bob.images[0].path.parent.parent, model)

        steps: list[tuple[int, int]] = []
        again = server.retrieve_study(uid, cache, progress=lambda d, t: steps.append((d, t)))
        assert again == folder
        after = _files(folder)
        new = {f"{uid}.dcm" for uid in (published.sop_instance_uid, *published.presentation_states)}
        assert len(new) == 2 and set(after) == set(before) | new  # the report and its presentation state
        assert {n: after[n] for n in before} == before  # the cached images were not written again
        assert steps[0] == (4, 6) and steps[-1] == (6, 6)  # only the two new instances fetched
        readings, problems = reports_in(folder, uid)
        assert problems == [] and [r.reader for r in readings] == ["Bob"]
        assert cache.listed_instances(server_key(server.base), uid) == {Path(n).stem for n in after}

        quiet: list[tuple[int, int]] = []
        server.retrieve_study(uid, cache, progress=lambda d, t: quiet.append((d, t)))
        assert quiet == [] and _files(folder) == after  # nothing new: nothing fetched

        own_orthanc.stop()
        assert server.retrieve_study(uid, cache) == folder  # offline: the cached copy, report included
        assert _files(folder) == after
