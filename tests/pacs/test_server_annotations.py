"""Annotations kept with the study on a real Orthanc: round trip, readers merging, conflicts, offline."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import orjson
import pydicom
import pytest

from tests.fixtures.orthanc_server import OrthancServer
from tests.fixtures.pacs_clients import add_mark, machine, mark_ids, open_from_server, open_store
from viewer.dicom.study import Study
from viewer.sources.orthanc_rest import ANNOTATION_ATTACHMENT, OrthancRest
from viewer.sources.server_document import SharedAnnotations
from viewer.sources.server_status import overall, read_statuses, set_status
from viewer.sources.server_store import CONFLICT_MESSAGE, SaveConflictError
from viewer.sources.worklist_status import Status
from viewer.store import sidecar


@pytest.fixture
def study_uid(demo_files: list[Path]) -> str:
    return str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)


@pytest.fixture
def server(own_orthanc: OrthancServer) -> OrthancServer:
    """A fresh archive per test: what one test saves is not seen by another."""
    return own_orthanc


@pytest.fixture
def study(server: OrthancServer, study_uid: str, tmp_path: Path) -> Study:
    return open_from_server(server.dicomweb, study_uid, tmp_path / "cache")


def _on_server(server: OrthancServer, study_uid: str) -> SharedAnnotations:
    rest = OrthancRest(server.dicomweb)
    current = rest.get(rest.study_id(study_uid), "attachments", ANNOTATION_ATTACHMENT)
    assert current is not None, "nothing was saved on the server"
    return SharedAnnotations.parse(current.data, "test", study_uid)


def _reader_ids(server: OrthancServer, study_uid: str, key: str) -> set[str]:
    return mark_ids(_on_server(server, study_uid).model(key, "test"))


class TestRoundTrip:
    def test_marks_reach_a_second_workstation(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """Marked and saved on one machine, the marks open on another with their sizes."""
        first = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        model = first.load()
        marks = [add_mark(model, study, i) for i in range(3)]
        result = first.save(model)
        assert result.sent, result.message
        first.close()
        second_study = open_from_server(server.dicomweb, study_uid, tmp_path / "cache2")
        second = open_store(tmp_path / "pc2", server.dicomweb, study_uid, "Alice")
        by_id = {c.id: c for _k, c in second.load().iter_calcifications()}
        assert set(by_id) == {m.id for m in marks}
        for mark in marks:
            assert by_id[mark.id].sizes == mark.sizes
            sizes = by_id[mark.id].sizes
            assert sizes is not None and sizes.long_axis_mm is not None
        assert second_study.by_view().keys() == study.by_view().keys()
        second.close()

    def test_other_readers_are_offered(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """A second reader opening the study sees the first reader's marks as another reader's."""
        alice = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        model = alice.load()
        add_mark(model, study, 0)
        assert alice.save(model).sent
        bob = open_store(tmp_path / "pc2", server.dicomweb, study_uid, "Bob")
        assert bob.load().count() == (0, 0)
        assert set(bob.others) == {"alice"}
        assert mark_ids(bob.others["alice"]) == mark_ids(model)


class TestNoLostUpdate:
    def test_different_readers_merge(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """Two readers who opened the study at once both save; both parts are on the server."""
        alice = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        bob = open_store(tmp_path / "pc2", server.dicomweb, study_uid, "Bob")
        a, b = alice.load(), bob.load()
        add_mark(a, study, 0)
        add_mark(b, study, 1)
        assert alice.save(a).sent
        assert bob.save(b).sent  # its If-Match is stale: read again, merged, written
        assert _reader_ids(server, study_uid, "alice") == mark_ids(a)
        assert _reader_ids(server, study_uid, "bob") == mark_ids(b)

    def test_same_reader_twice_is_a_conflict(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """The same reader saving from a second machine gets the conflict; nothing is overwritten."""
        here = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        there = open_store(tmp_path / "pc2", server.dicomweb, study_uid, "Alice")
        first, second = here.load(), there.load()
        add_mark(first, study, 0)
        add_mark(second, study, 1)
        assert here.save(first).sent
        with pytest.raises(SaveConflictError, match=CONFLICT_MESSAGE) as caught:
            there.save(second)
        assert mark_ids(caught.value.theirs) == mark_ids(first)
        assert _reader_ids(server, study_uid, "alice") == mark_ids(first)
        assert there.pending  # kept on that machine
        assert orjson.loads(there.local.path.read_bytes())["images"]

    def test_reload_and_merge(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """After a conflict, reload and merge keeps both machines' marks, and saves."""
        here = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        there = open_store(tmp_path / "pc2", server.dicomweb, study_uid, "Alice")
        first, second = here.load(), there.load()
        add_mark(first, study, 0)
        add_mark(second, study, 1)
        here.save(first)
        with pytest.raises(SaveConflictError):
            there.save(second)
        merged, report = there.merge_with_server(second)
        assert mark_ids(merged) == mark_ids(first) | mark_ids(second)
        assert report.from_theirs == 1 and report.from_mine == 1
        assert there.save(merged).sent
        assert _reader_ids(server, study_uid, "alice") == mark_ids(first) | mark_ids(second)
        with pytest.raises(SaveConflictError):  # the first machine now is behind in turn
            here.save(first)

    def test_save_as_a_copy(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """Save as a copy puts the second version beside the first, under another name."""
        here = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        there = open_store(tmp_path / "pc2", server.dicomweb, study_uid, "Alice")
        first, second = here.load(), there.load()
        add_mark(first, study, 0)
        add_mark(second, study, 1)
        here.save(first)
        with pytest.raises(SaveConflictError):
            there.save(second)
        with machine(tmp_path / "pc2"):
            name, result = there.save_as_copy(second)
        assert result.sent and name.startswith("Alice (copy ")
        doc = _on_server(server, study_uid)
        copies = [k for k in doc.readers if k.startswith("alice-copy-")]
        assert len(copies) == 1
        assert mark_ids(doc.model(copies[0], "t")) == mark_ids(second)
        assert mark_ids(doc.model("alice", "t")) == mark_ids(first)


class TestOffline:
    def test_saved_locally_and_sent_after_restart(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """With the server down a save stays on this computer, and goes out once it is back."""
        store = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        model = store.load()
        add_mark(model, study, 0)
        server.stop()
        result = store.save(model)
        assert not result.sent and "sent when the server is back" in result.message
        assert store.pending
        assert mark_ids(sidecar.load(store.local.path)) == mark_ids(model)
        server.start()
        assert store.push().sent
        assert _reader_ids(server, study_uid, "alice") == mark_ids(model)

    def test_pending_save_goes_out_when_the_study_is_opened_again(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """A save left on this computer is sent when the study is next opened, after a restart."""
        store = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        model = store.load()
        add_mark(model, study, 0)
        server.kill()
        assert not store.save(model).sent
        store.close()
        server.start()
        again = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        assert not again.pending
        assert mark_ids(again.load()) == mark_ids(model)
        assert _reader_ids(server, study_uid, "alice") == mark_ids(model)

    def test_server_killed_during_saves(
        self, server: OrthancServer, study_uid: str, study: Study, tmp_path: Path
    ) -> None:
        """Saves go on while the server is killed under them: none is lost, all are sent later."""
        store = open_store(tmp_path / "pc1", server.dicomweb, study_uid, "Alice")
        model = store.load()
        results = []
        for i in range(12):
            add_mark(model, study, i)
            if i == 5:
                threading.Thread(target=server.kill).start()  # dies while the next saves run
            results.append(store.save(model).sent)
        assert results[:5] == [True] * 5 and not results[-1]
        assert mark_ids(sidecar.load(store.local.path)) == mark_ids(model)
        server.start()
        assert store.push().sent
        assert _reader_ids(server, study_uid, "alice") == mark_ids(model)


class TestServerSetup:
    def test_missing_attachment_type_falls_back_to_local(
        self, tmp_path: Path, demo_files: list[Path], study_uid: str
    ) -> None:
        """A server without the attachment type says what to configure; the marks stay local."""
        with OrthancServer(tmp_path / "bare", annotations=False) as bare:
            bare.upload(demo_files)
            study = open_from_server(bare.dicomweb, study_uid, tmp_path / "cache")
            store = open_store(tmp_path / "pc1", bare.dicomweb, study_uid, "Alice")
            assert not store.on_server  # found out on opening, before any save
            told = " ".join(store.notices)
            assert '"UserContentType"' in told and "mammo-annotations" in told
            model = store.load()
            add_mark(model, study, 0)
            result = store.save(model)
            assert not result.sent and result.message.startswith("Saved on this computer")
            assert mark_ids(sidecar.load(store.local.path)) == mark_ids(model)
            store.close()
            reopened = open_store(tmp_path / "pc1", bare.dicomweb, study_uid, "Alice")
            assert mark_ids(reopened.load()) == mark_ids(model)
            assert not reopened.on_server

    def test_server_without_orthanc_api_keeps_marks_locally(self, tmp_path: Path) -> None:
        """A web server with no Orthanc REST API: annotations are kept in a local folder, and it says so."""
        handler = http.server.SimpleHTTPRequestHandler
        web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=web.serve_forever, daemon=True)
        thread.start()
        try:
            base = f"http://127.0.0.1:{web.server_address[1]}/dicom-web"
            store = open_store(tmp_path / "pc1", base, "1.2.3.4", "Alice")
            assert not store.on_server
            assert any("no Orthanc REST API" in n for n in store.notices)
            assert store.save(store.load()).message.startswith("Saved on this computer")
        finally:
            web.shutdown()
            web.server_close()


class TestStatus:
    def test_each_reader_has_a_status(self, server: OrthancServer, study_uid: str) -> None:
        """Two readers' statuses are both kept; a flag from one flags the study."""
        rest = OrthancRest(server.dicomweb)
        set_status(rest, study_uid, "Alice", Status.DONE)
        set_status(OrthancRest(server.dicomweb), study_uid, "Bob", Status.IN_PROGRESS)
        statuses = read_statuses(rest, study_uid)
        assert {k: s.status for k, s in statuses.items()} == {"alice": Status.DONE, "bob": Status.IN_PROGRESS}
        assert statuses["alice"].reader == "Alice"
        assert overall(statuses) == Status.IN_PROGRESS
        set_status(rest, study_uid, "Bob", Status.FLAGGED)
        assert overall(read_statuses(rest, study_uid)) == Status.FLAGGED
