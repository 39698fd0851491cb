"""Tests of viewer.session.study_session: the open study without Qt."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from pydicom.uid import generate_uid

from tests.fixtures.synthetic_study import write_image
from viewer.core.annotations import Calcification, StudyAnnotations
from viewer.core.commands import AddCalcification
from viewer.dicom.study import Study
from viewer.session.study_session import SessionError, StudySession, read_studies
from viewer.session.writer import WriteJob
from viewer.store import sidecar
from viewer.store.serialize import serialize
from viewer.store.shared_folder import shared_backup_path

READER = "Dr. A"
GE = "fodicom_GH133_GE_SenographeEssential_MG.dcm"
SIEMENS = "fodicom_OutOfBoundsOverlay_Siemens_MammomatInspiration_MG.dcm"


def _study_folder(folder: Path) -> Path:
    """Two synthetic images (L CC, L MLO) of one study, no annotation file."""
    folder.mkdir(parents=True)
    uid, series = generate_uid(), generate_uid()
    write_image(folder, "cc.dcm", uid, series, "L", "CC")
    write_image(folder, "mlo.dcm", uid, series, "L", "MLO")
    return folder


def _mark(session: StudySession, x: float = 10.0, image: int = 0) -> Calcification:
    """Add a point mark on an image of the open study through the history."""
    assert session.study is not None
    key = (session.study.images[image].sop_instance_uid, 0)
    calc = Calcification.create((x, 12.0), None, session.model.image(key).spacing, reader=READER)
    session.push(AddCalcification(key, calc))
    return calc


def _saved_ids(path: Path) -> set[str]:
    return {c.id for _, c in sidecar.load(path).iter_calcifications()}


class _Gate:
    """Holds the writer thread until released: a writer as slow as the test wants."""

    def __init__(self, session: StudySession) -> None:
        self.event = threading.Event()
        job = WriteJob("gate", -1, -1, -1, Path("gate"))
        session.writer.submit(job, self._hold)

    def _hold(self) -> None:
        self.event.wait(10)

    def release(self) -> None:
        self.event.set()


@pytest.fixture
def session() -> Iterator[StudySession]:
    opened = StudySession(READER)
    yield opened
    opened.shutdown()


class TestOpen:
    def test_open_then_save_round_trip(self, session: StudySession, tmp_path: Path) -> None:
        """Marks made in a session are in the reader's file after a save."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        calc = _mark(session)
        assert session.dirty
        job = session.save()
        assert session.flush()
        outcome = session.finish(job)
        assert not outcome.error and str(sidecar.sidecar_path(folder, READER)) in outcome.message
        assert not session.dirty
        assert _saved_ids(sidecar.sidecar_path(folder, READER)) == {calc.id}

    @pytest.mark.parametrize("content", ["empty", "broken"])
    def test_failed_open_keeps_the_current_study(
        self, session: StudySession, tmp_path: Path, content: str
    ) -> None:
        """A folder without a usable image leaves the open study open, editable and savable."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        first = _mark(session)
        other = tmp_path / "other"
        other.mkdir()
        if content == "broken":
            (other / "image.dcm").write_bytes(b"DICM" + b"\0" * 200)
        studies = read_studies([other])
        with pytest.raises(SessionError, match=r"No image could be opened|No DICOM images found"):
            session.open(studies)
        assert session.study is not None and session.study.folder == folder
        second = _mark(session, 20.0)
        job = session.save()
        session.flush()
        assert not session.finish(job).error
        assert _saved_ids(sidecar.sidecar_path(folder, READER)) == {first.id, second.id}

    def test_close_releases_the_file_for_another_session(self, session: StudySession, tmp_path: Path) -> None:
        """After close (its writes done) another session may write the study."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        session.close(discard=True)
        assert session.study is None and session.store is None
        session.flush()
        other = StudySession(READER)
        try:
            opened = other.open(read_studies([folder]))
            assert opened.read_only_reason is None
        finally:
            other.shutdown()

    def test_push_without_study_refused(self, session: StudySession) -> None:
        """An edit with no open study is refused with a reason."""
        with pytest.raises(SessionError, match="no study is open"):
            session.push(AddCalcification(("1.2", 0), Calcification("x", (1.0, 1.0))))


class TestSaveOrder:
    def test_older_autosave_never_outlives_a_newer_save(self, session: StudySession, tmp_path: Path) -> None:
        """An autosave queued before a save cannot leave a recovery file behind it."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        gate = _Gate(session)
        a = _mark(session)
        auto = session.autosave()
        b = _mark(session, 20.0)
        save = session.save()
        assert auto is not None and auto.revision < save.revision
        gate.release()
        session.flush()
        assert session.finish(auto).message == ""
        assert not session.finish(save).error
        store = session.store
        assert store is not None
        assert not store.recovery_path.exists()
        assert _saved_ids(store.path) == {a.id, b.id}
        assert not session.dirty

    def test_save_keeps_a_newer_autosave(self, session: StudySession, tmp_path: Path) -> None:
        """A save never deletes a recovery file newer than what it wrote; it is offered later."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        gate = _Gate(session)
        a = _mark(session)
        save = session.save()
        b = _mark(session, 20.0)
        auto = session.autosave()
        assert auto is not None
        gate.release()
        session.flush()
        session.finish(save)
        session.finish(auto)
        assert session.dirty  # b is not in the file
        store = session.store
        assert store is not None and store.recovery_path.exists()
        assert _saved_ids(store.path) == {a.id}
        session.close()  # unsaved marks kept in the recovery file
        session.flush()
        opened = session.open(read_studies([folder]))
        assert opened.recovery is not None
        assert {c.id for _, c in opened.recovery.iter_calcifications()} == {a.id, b.id}

    def test_undo_back_to_saved_is_clean(self, session: StudySession, tmp_path: Path) -> None:
        """Undoing an edit made after a save returns to the saved state: nothing unsaved."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        _mark(session)
        session.finish(session.save())  # finish before the write is done: not yet clean
        session.flush()
        job = session.save()
        session.flush()
        session.finish(job)
        _mark(session, 20.0)
        assert session.dirty
        session.undo()
        assert not session.dirty
        assert session.autosave() is None

    def test_taken_back_edit_leaves_nothing_to_redo(self, session: StudySession, tmp_path: Path) -> None:
        """A taken-back edit (a double click's first click) is gone: not redoable, not unsaved."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        first = _mark(session)
        newest = session.history.undo_text
        _mark(session, 20.0)
        assert not session.take_back(AddCalcification(("x", 0), first))  # not the newest step
        session.undo()
        session.redo()
        command = session.history._done[-1][0]
        assert session.take_back(command)
        assert session.history.redo_text is None
        assert session.history.undo_text == newest
        assert len(list(session.model.iter_calcifications())) == 1

    def test_failed_save_keeps_the_marks_unsaved(self, session: StudySession, tmp_path: Path) -> None:
        """A write that fails says why and the marks stay unsaved (and open)."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        _mark(session)
        store = session.store
        assert store is not None
        store.path.mkdir()  # nothing can replace a folder with a file
        job = session.save()
        session.flush()
        outcome = session.finish(job)
        assert outcome.error and outcome.current
        assert "Save failed" in outcome.message and store.path.name in outcome.message
        assert session.dirty
        store.path.rmdir()


class TestDiscard:
    def test_discard_deletes_the_recovery_file(self, session: StudySession, tmp_path: Path) -> None:
        """Marks discarded on close do not come back as 'recover?' on the next open."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        _mark(session)
        session.autosave()
        session.flush()
        store = session.store
        assert store is not None and store.recovery_path.exists()
        recovery = store.recovery_path
        session.close(discard=True)
        session.flush()
        assert not recovery.exists()
        assert session.open(read_studies([folder])).recovery is None

    def test_close_without_discard_keeps_every_mark(self, session: StudySession, tmp_path: Path) -> None:
        """Closing unsaved marks (no discard) puts all of them, not only the last autosave's,
        in the recovery file."""
        folder = _study_folder(tmp_path / "study")
        session.open(read_studies([folder]))
        a = _mark(session)
        session.autosave()
        b = _mark(session, 20.0)  # after the last autosave
        session.close(discard=False)
        session.flush()
        opened = session.open(read_studies([folder]))
        assert opened.recovery is not None
        assert {c.id for _, c in opened.recovery.iter_calcifications()} == {a.id, b.id}
        session.accept_recovery()
        assert session.dirty and session.model.count()[0] == 2


class TestTickets:
    def test_ticket_of_a_closed_study_is_stale(self, session: StudySession, tmp_path: Path) -> None:
        """A job's ticket stops being current when another study opens or the study closes."""
        one = _study_folder(tmp_path / "one")
        two = _study_folder(tmp_path / "two")
        session.open(read_studies([one]))
        assert session.study is not None
        ticket = session.ticket((session.study.images[0].sop_instance_uid, 0))
        assert session.is_current(ticket)
        session.open(read_studies([two]))
        assert not session.is_current(ticket)
        fresh = session.ticket()
        session.close()
        assert not session.is_current(fresh)

    def test_late_save_of_a_closed_study_marks_nothing_clean(
        self, session: StudySession, tmp_path: Path
    ) -> None:
        """A save that finishes after its study was left does not make the new study clean."""
        one = _study_folder(tmp_path / "one")
        two = _study_folder(tmp_path / "two")
        session.open(read_studies([one]))
        _mark(session)
        gate = _Gate(session)
        job = session.save()
        session.open(read_studies([two]))
        _mark(session)
        gate.release()
        session.flush()
        outcome = session.finish(job)
        assert not outcome.current and not outcome.error
        assert session.dirty
        assert len(_saved_ids(sidecar.sidecar_path(one, READER))) == 1


def _two_vendor_folder(shared_data: Path, folder: Path) -> list[Study]:
    """The GE and the Siemens mammogram (two patients, two studies) in one folder."""
    folder.mkdir()
    for name in (GE, SIEMENS):
        shutil.copy(shared_data / name, folder / name)
    studies = read_studies([folder])
    assert len(studies) == 2 and studies[0].study_instance_uid != studies[1].study_instance_uid
    return studies


class TestTwoStudiesInOneFolder:
    def test_each_study_writes_its_own_file(
        self, session: StudySession, tmp_path: Path, shared_data: Path
    ) -> None:
        """Two studies of one folder never share a file; each file names its own study."""
        folder = tmp_path / "two"
        studies = _two_vendor_folder(shared_data, folder)
        paths = []
        for index, study in enumerate(studies):
            session.open(studies, index)
            calc = _mark(session)
            job = session.save()
            session.flush()
            assert not session.finish(job).error
            path = sidecar.sidecar_path(folder, READER, study.study_instance_uid)
            assert session.store is not None and session.store.path == path
            saved = sidecar.load(path)
            assert saved.study_instance_uid == study.study_instance_uid
            assert {key[0] for key in saved.images} == {i.sop_instance_uid for i in study.images}
            assert _saved_ids(path) == {calc.id}
            paths.append(path)
        assert paths[0] != paths[1]
        assert not sidecar.sidecar_path(folder, READER).exists()
        assert sorted(p.name for p in folder.glob("*.json") if sidecar.is_sidecar_name(p.name)) == sorted(
            p.name for p in paths
        )

    def test_a_mixed_file_is_split_without_loss(
        self, session: StudySession, tmp_path: Path, shared_data: Path
    ) -> None:
        """Today's shared file (one header, both patients' marks) becomes one file per study;
        the original is kept as a backup and no longer counts as an annotation file."""
        folder = tmp_path / "two"
        studies = _two_vendor_folder(shared_data, folder)
        mixed = StudyAnnotations(READER, studies[0].study_instance_uid)
        expected: dict[str, str] = {}
        for n, study in enumerate(studies):
            record = study.images[0].annotation_record(0)
            mixed.ensure_image(record)
            calc = Calcification.create((50.0 + n, 60.0), None, record.spacing, reader=READER)
            mixed.put_calcification(record.key, calc)
            expected[study.study_instance_uid] = calc.id
        plain = sidecar.sidecar_path(folder, READER)
        plain.write_bytes(serialize(mixed))
        original = plain.read_bytes()

        opened = session.open(studies, 1)
        assert any("split" in n or "now in" in n for n in opened.notices)
        shown = {c.id for _, c in session.model.iter_calcifications()}
        assert shown == {expected[studies[1].study_instance_uid]}
        assert not plain.exists()
        backup = plain.with_name(plain.name.removesuffix(".json") + ".shared-backup.json")
        assert shared_backup_path(plain) != backup  # taken now
        assert backup.read_bytes() == original and not sidecar.is_sidecar_name(backup.name)
        for study in studies:
            part = sidecar.sidecar_path(folder, READER, study.study_instance_uid)
            doc = orjson.loads(part.read_bytes())
            assert doc["study_instance_uid"] == study.study_instance_uid
            assert _saved_ids(part) == {expected[study.study_instance_uid]}
