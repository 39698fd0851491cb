"""Tests of viewer.session.marks_reading: an annotation file read off the thread that shows it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.session.test_study_session import READER, _mark, _saved_ids, _study_folder
from viewer.session.marks_reading import MarksReading
from viewer.session.study_session import SessionError, StudySession, read_studies
from viewer.store import sidecar
from viewer.store.session import AnnotationStore


@pytest.fixture
def session() -> Iterator[StudySession]:
    s = StudySession(READER)
    yield s
    s.shutdown()


class _HeldReads:
    """Holds the reading of the annotation files in ``folders`` until :meth:`release`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
        self.event = threading.Event()
        self.folders = set(folders)
        original = AnnotationStore.read

        def read(store: AnnotationStore) -> None:
            if store.path.parent in self.folders:
                self.event.wait(10)
            original(store)

        monkeypatch.setattr(AnnotationStore, "read", read)

    def release(self) -> None:
        self.event.set()


def _study_with_marks(session: StudySession, folder: Path, n: int) -> tuple[Path, set[str]]:
    """A study folder whose annotation file holds ``n`` marks (saved by a session); its ids."""
    _study_folder(folder)
    session.open(read_studies([folder]))
    ids = {_mark(session, 10.0 + i).id for i in range(n)}
    session.save()
    session.close()
    assert session.flush()
    return sidecar.sidecar_path(folder, READER), ids


def _ids(session: StudySession) -> set[str]:
    return {c.id for _, c in session.model.iter_calcifications()}


def _arrive(session: StudySession, reading: MarksReading) -> None:
    reading.wait(10)
    assert session.marks_read(reading) is not None


class TestBackgroundOpen:
    def test_the_marks_arrive_after_the_study(self, session: StudySession, tmp_path: Path) -> None:
        """A file read in the background: the study is open at once, its marks once read."""
        _, ids = _study_with_marks(session, tmp_path / "a", 3)
        opened = session.open(read_studies([tmp_path / "a"]), background_bytes=0)
        assert opened.reading is not None and session.study is opened.study
        _arrive(session, opened.reading)
        assert _ids(session) == ids and not session.dirty and session.reading is None

    def test_no_edit_and_no_save_until_the_marks_arrive(
        self, session: StudySession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """While the file is read, an edit and a save are refused; the file keeps every mark."""
        path, ids = _study_with_marks(session, tmp_path / "a", 3)
        held = _HeldReads(monkeypatch, tmp_path / "a")
        opened = session.open(read_studies([tmp_path / "a"]), background_bytes=0)
        assert opened.reading is not None
        with pytest.raises(SessionError, match="still being read"):
            _mark(session, 99.0)
        with pytest.raises(SessionError, match="still being read"):
            session.save()
        assert session.autosave() is None
        held.release()
        _arrive(session, opened.reading)
        assert _saved_ids(path) == ids
        added = _mark(session, 99.0)  # editable once shown
        session.save()
        assert session.flush()
        assert _saved_ids(path) == ids | {added.id}

    def test_a_store_not_yet_read_never_writes(self, tmp_path: Path) -> None:
        """The store itself refuses to save over a file it has not read."""
        folder = tmp_path / "a"
        session = StudySession(READER)
        path, ids = _study_with_marks(session, folder, 2)
        session.shutdown()
        store = AnnotationStore.open(folder, READER, "", defer_read=True)
        assert store.unread_bytes == path.stat().st_size
        with pytest.raises(sidecar.SidecarError, match="not been read"):
            store.save_bytes(b"{}")
        store.autosave_bytes(b"{}")
        assert not store.recovery_path.exists()
        store.read()
        assert store.unread_bytes == 0 and {c.id for _, c in store.load().iter_calcifications()} == ids
        store.close()

    def test_a_study_switch_drops_the_old_reading(
        self, session: StudySession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Another study opened while the first one's file is read: its marks never reach the new one."""
        _, ids_a = _study_with_marks(session, tmp_path / "a", 3)
        _, ids_b = _study_with_marks(session, tmp_path / "b", 2)
        held = _HeldReads(monkeypatch, tmp_path / "a")
        first = session.open(read_studies([tmp_path / "a"]), background_bytes=0)
        second = session.open(read_studies([tmp_path / "b"]), background_bytes=0)
        assert first.reading is not None and second.reading is not None
        held.release()
        first.reading.wait(10)
        second.reading.wait(10)
        assert session.marks_read(first.reading) is None  # not the open study's
        assert _ids(session) == set()
        assert session.marks_read(second.reading) is not None
        assert _ids(session) == ids_b and not ids_a & _ids(session)
        assert session.marks_read(first.reading) is None  # not later either

    def test_a_corrupt_file_opens_read_only_with_its_message(
        self, session: StudySession, tmp_path: Path
    ) -> None:
        """A corrupt file read in the background opens read-only and says why, and is not written."""
        path, _ = _study_with_marks(session, tmp_path / "a", 2)
        path.write_bytes(path.read_bytes()[:-40])
        before = path.read_bytes()
        opened = session.open(read_studies([tmp_path / "a"]), background_bytes=0)
        assert opened.reading is not None
        opened.reading.wait(10)
        arrived = session.marks_read(opened.reading)
        assert arrived is not None and arrived.read_only_reason and "JSON" in arrived.read_only_reason
        with pytest.raises(SessionError):
            session.save()
        session.close()
        assert session.flush()
        assert path.read_bytes() == before

    def test_closing_while_reading_keeps_the_autosave(
        self, session: StudySession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An autosave nobody has seen yet (the file was still being read) survives a close."""
        path, _ = _study_with_marks(session, tmp_path / "a", 2)
        session.open(read_studies([tmp_path / "a"]))
        _mark(session, 77.0)
        session.autosave()
        assert session.flush()
        recovery = path.with_name(path.name + ".recovery")
        assert recovery.exists()
        session.close(discard=False)
        assert session.flush()
        held = _HeldReads(monkeypatch, tmp_path / "a")
        opened = session.open(read_studies([tmp_path / "a"]), background_bytes=0)
        assert opened.reading is not None
        session.close(discard=True)
        held.release()
        assert session.flush()
        assert recovery.exists()
        reopened = session.open(read_studies([tmp_path / "a"]))  # the lock was let go
        assert reopened.read_only_reason is None and reopened.recovery is not None
