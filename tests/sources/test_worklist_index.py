"""Tests of viewer.sources.worklist (with worklist_files and worklist_index): indexing a tree."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Generator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian, generate_uid

from tests.fixtures.dicom_files import make_dataset, write_dicom
from tests.fixtures.worklist_tree import BASIC_TEXT_SR, write_image, write_marks, write_study
from viewer.sources import worklist_index as db
from viewer.sources.worklist import Progress, Worklist
from viewer.sources.worklist_files import read_file_record
from viewer.sources.worklist_status import STATUS_FILE, Status, read_status_file
from viewer.store import sidecar
from viewer.store.session import fallback_path


def deflated_garbage(path: Path) -> Path:
    """A file whose meta header announces Deflated Explicit VR but whose data is garbage."""
    ds = make_dataset(image=False, transfer_syntax=DeflatedExplicitVRLittleEndian, PatientID="x")
    write_dicom(ds, path)
    data = path.read_bytes()
    end = data.index(DeflatedExplicitVRLittleEndian.encode()) + len(DeflatedExplicitVRLittleEndian)
    path.write_bytes(data[:end] + b"\xff" * 40)
    return path


@dataclass(frozen=True)
class Tree:
    """The :func:`tree` fixture: its root folder and the UIDs of studies a, b and c."""

    root: Path
    a: str
    a_sops: list[str]
    b: str
    c: str


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """Three studies: a plain one, one split into series folders, one with stray files."""
    root = tmp_path / "studies"
    a_uid, a_sops = write_study(root / "a", "PA")
    b_uid = generate_uid()
    write_image(root / "b" / "series1" / "cc.dcm", b_uid, "L", "CC", "PB")
    write_image(root / "b" / "series2" / "mlo.dcm", b_uid, "L", "MLO", "PB", view_code=True)
    c_uid, _ = write_study(root / "c", "PC", views=(("R", "CC"),))
    (root / "c" / "notes.txt").write_text("not an image")
    (root / "c" / "README").write_bytes(b"plain text without a DICOM preamble")
    write_image(root / "c" / "report.dcm", c_uid, sop_class=BASIC_TEXT_SR)
    (root / ".hidden").mkdir()
    write_image(root / ".hidden" / "x.dcm", generate_uid())
    return Tree(root, a_uid, a_sops, b_uid, c_uid)


def indexed(root: Path) -> tuple[Worklist, list[Progress]]:
    worklist = Worklist(root)
    steps = list(worklist.scan())
    return worklist, steps


class TestReadFileRecord:
    def test_image_header(self, tmp_path: Path) -> None:
        """UIDs, patient, laterality and a view from the View Code Sequence are read."""
        path = tmp_path / "x.dcm"
        sop = write_image(path, "1.2.3", "L", "MLO", "P9", view_code=True)
        st = path.stat()
        record = read_file_record(path, (st.st_mtime_ns, st.st_size))
        assert (record.kind, record.study_uid, record.sop_uid) == ("image", "1.2.3", sop)
        assert (record.patient_id, record.laterality, record.view) == ("P9", "L", "MLO")
        assert record.folder == str(tmp_path) and record.size == st.st_size

    def test_not_dicom_and_not_an_image(self, tmp_path: Path) -> None:
        """A text file and a report are "other"; a broken header is an error saying why."""
        text = tmp_path / "a"
        text.write_bytes(b"x" * 300)
        assert read_file_record(text, (0, 300)).kind == "other"
        report = tmp_path / "sr.dcm"
        write_image(report, "1.2.3", sop_class=BASIC_TEXT_SR)
        assert read_file_record(report, (0, 1)).kind == "other"
        whole = tmp_path / "whole.dcm"
        write_image(whole, "1.2.3")
        data = whole.read_bytes()
        cut = tmp_path / "cut.dcm"
        cut.write_bytes(data[: data.index(b"1.2.840.10008.1.2.1") + 40])
        record = read_file_record(cut, (0, 1))
        assert record.kind == "error" and "truncated" in (record.error or "")
        record = read_file_record(deflated_garbage(tmp_path / "deflated.dcm"), (0, 1))
        assert record.kind == "error" and "damaged DICOM header" in (record.error or "")

    def test_real_files(self, shared_data: Path) -> None:
        """The GE mammogram is an R MLO image; the TID 1500 report is not an image."""
        ge = shared_data / "fodicom_GH133_GE_SenographeEssential_MG.dcm"
        record = read_file_record(ge, (0, 0))
        assert (record.kind, record.laterality, record.view) == ("image", "R", "MLO")
        assert read_file_record(shared_data / "dwv_tid1500_sr-ruler.dcm", (0, 0)).kind == "other"


class TestScan:
    def test_studies_grouped_by_uid(self, tree: Tree) -> None:
        """Three studies with their folders, views, image counts; hidden folders skipped."""
        worklist, steps = indexed(tree.root)
        root = tree.root
        studies = {s.study_instance_uid: s for s in worklist.studies()}
        assert set(studies) == {tree.a, tree.b, tree.c}
        a, b, c = studies[tree.a], studies[tree.b], studies[tree.c]
        assert (a.path, a.images, a.views) == (root / "a", 4, ("RCC", "LCC", "RMLO", "LMLO"))
        assert (b.path, b.images, b.views) == (root / "b", 2, ("LCC", "LMLO"))
        assert (c.images, c.patient_id, c.study_id, c.study_date) == (1, "PC", "S-PC", "20240102")
        assert all(s.status is Status.NEW and s.readers == {} for s in studies.values())
        assert steps[-1].phase == "done" and steps[-1].done == steps[-1].total == 9

    def test_reopen_reads_only_changed_files(self, tree: Tree) -> None:
        """A second scan reads nothing; a rewritten file, a new and a deleted study are seen."""
        root = tree.root
        worklist, _ = indexed(root)
        assert list(worklist.scan())[-1].total == 0
        write_image(root / "c" / "RCC.dcm", tree.c, "R", "MLO", "PC")
        new_uid, _ = write_study(root / "d", "PD", views=(("L", "CC"),))
        for f in (root / "a").iterdir():
            f.unlink()
        steps = list(worklist.scan())
        assert steps[-1].total == 2
        assert {p.path for p in steps if p.phase == "reading" and p.path} == {
            str(root / "c" / "RCC.dcm"),
            str(root / "d" / "LCC.dcm"),
        }
        studies = {s.study_instance_uid: s for s in worklist.studies()}
        assert set(studies) == {tree.b, tree.c, new_uid}
        assert studies[tree.c].views == ("RMLO",)

    def test_cancel_keeps_work_and_resumes(self, tmp_path: Path) -> None:
        """Stopping mid-way keeps the files read so far; the next scan reads only the rest."""
        root = tmp_path / "many"
        for i in range(6):
            write_study(root / f"s{i}", f"P{i}", views=(("R", "CC"),))
        worklist = Worklist(root)
        scan = worklist.scan()
        assert isinstance(scan, Generator)
        for step in scan:
            if step.phase == "reading" and step.done == 4:
                break
        scan.close()
        assert len(worklist.studies()) == 4
        assert list(worklist.scan())[-1].total == 2
        assert len(worklist.studies()) == 6

    def test_natural_folder_order(self, tmp_path: Path) -> None:
        """study-2 comes before study-10: numbers in folder names compare as numbers."""
        for i in (10, 2, 1):
            write_study(tmp_path / f"study-{i}", f"P{i}", views=(("R", "CC"),))
        worklist, _ = indexed(tmp_path)
        assert [s.path.name for s in worklist.studies()] == ["study-1", "study-2", "study-10"]

    def test_problems_reported(self, tmp_path: Path) -> None:
        """A damaged DICOM file is listed with its reason and does not stop the others."""
        write_study(tmp_path / "ok", "P", views=(("R", "CC"),))
        deflated_garbage(tmp_path / "bad.dcm")
        worklist, _ = indexed(tmp_path)
        assert len(worklist.studies()) == 1
        [(path, reason)] = worklist.problems()
        assert path == tmp_path / "bad.dcm" and "damaged" in reason

    def test_cache_from_another_version_is_rebuilt(self, tree: Tree) -> None:
        """An index with another layout version is dropped and rebuilt, not misread."""
        worklist, _ = indexed(tree.root)
        conn = sqlite3.connect(worklist.index_file)
        conn.execute("PRAGMA user_version=999")
        conn.commit()
        conn.close()
        assert worklist.studies() == []
        assert list(worklist.scan())[-1].total == 9
        assert len(worklist.studies()) == 3

    def test_index_lives_in_user_data_folder(self, tree: Tree) -> None:
        """The cache file is under MAMMO_VIEWER_DATA_DIR, one per tree."""
        worklist = Worklist(tree.root)
        assert worklist.index_file.is_relative_to(Path(os.environ["MAMMO_VIEWER_DATA_DIR"]))
        assert worklist.index_file != Worklist(tree.root / "a").index_file


class TestReaders:
    def test_marks_counted_per_reader(self, tree: Tree) -> None:
        """Each reader's file gives its marks and clusters; rejected groups are not clusters."""
        root = tree.root
        sop = tree.a_sops[0]
        write_marks(root / "a", "Alice", tree.a, sop, 7, clusters=1, rejected=1)
        write_marks(root / "a", "Bob", tree.a, sop, 2)
        worklist, _ = indexed(root)
        a = next(s for s in worklist.studies() if s.study_instance_uid == tree.a)
        assert {n: (m.calcifications, m.clusters) for n, m in a.readers.items()} == {
            "Alice": (7, 1),
            "Bob": (2, 0),
        }
        assert a.status is Status.IN_PROGRESS
        doc = a.to_dict()
        assert doc["readers"]["Alice"] == {"calcifications": 7, "clusters": 1, "status": "in_progress"}
        # an edit is seen on the next scan
        write_marks(root / "a", "Bob", tree.a, sop, 5)
        assert list(worklist.scan())[-1].total == 1
        a = next(s for s in worklist.studies() if s.study_instance_uid == tree.a)
        assert a.readers["Bob"].calcifications == 5

    def test_unreadable_sidecar_noted(self, tree: Tree) -> None:
        """A corrupt annotation file shows its reason, no counts, and stays unchanged."""
        root = tree.root
        bad = sidecar.sidecar_path(root / "c", "carol")
        bad.write_bytes(b"{not json")
        worklist, _ = indexed(root)
        c = next(s for s in worklist.studies() if s.study_instance_uid == tree.c)
        marks = c.readers["carol"]
        assert marks.calcifications is None and "not a readable" in (marks.error or "")
        assert bad.read_bytes() == b"{not json"

    def test_fallback_annotations_found(self, tree: Tree) -> None:
        """Marks saved to the user-data fallback (read-only study folder) are counted."""
        root = tree.root
        uid = tree.c
        fallback = fallback_path(root / "c", "dana", uid)
        write_marks(fallback.parent, "dana", uid, "1.2", 3)
        worklist, _ = indexed(root)
        c = next(s for s in worklist.studies() if s.study_instance_uid == uid)
        assert c.readers["dana"].calcifications == 3

    def test_two_studies_in_one_folder(self, tmp_path: Path) -> None:
        """When a folder holds two studies, each reader file goes to the study it names."""
        first, second = generate_uid(), generate_uid()
        sop = write_image(tmp_path / "1.dcm", first)
        write_image(tmp_path / "2.dcm", second, "L")
        write_marks(tmp_path, "eve", first, sop, 4)
        worklist, _ = indexed(tmp_path)
        by_uid = {s.study_instance_uid: s for s in worklist.studies()}
        assert by_uid[first].readers["eve"].calcifications == 4
        assert by_uid[second].readers == {}


class TestStatus:
    def test_set_status_in_index_and_folder(self, tree: Tree) -> None:
        """The status shows for its reader, the study, and in mammo-status.json."""
        worklist, _ = indexed(tree.root)
        study = next(s for s in worklist.studies() if s.study_instance_uid == tree.b)
        assert worklist.set_status(study, "Alice Smith", Status.DONE) is None
        assert worklist.set_status(study, "Bob", Status.FLAGGED) is None
        by_uid = {s.study_instance_uid: s for s in worklist.studies("alice smith")}
        assert by_uid[tree.b].status is Status.DONE
        assert by_uid[tree.a].status is Status.NEW
        assert {s.study_instance_uid: s.status for s in worklist.studies()}[tree.b] is Status.FLAGGED
        records = read_status_file(study.path / STATUS_FILE)
        assert {(r.reader, r.status) for r in records} == {("Alice Smith", "done"), ("Bob", "flagged")}
        assert list(worklist.scan())[-1].total == 0  # our own write is not read back

    def test_status_survives_a_lost_index(self, tree: Tree) -> None:
        """With the cache deleted, statuses come back from the study folders."""
        worklist, _ = indexed(tree.root)
        study = worklist.studies()[0]
        worklist.set_status(study, "alice", Status.DONE)
        worklist.index_file.unlink()
        worklist, _ = indexed(tree.root)
        assert worklist.studies("alice")[0].status is Status.DONE

    def test_newer_mirror_wins_older_loses(self, tree: Tree) -> None:
        """A status file changed elsewhere merges in by time: the later one wins."""
        root = tree.root
        worklist, _ = indexed(root)
        study = next(s for s in worklist.studies() if s.study_instance_uid == tree.a)
        worklist.set_status(study, "alice", Status.IN_PROGRESS)
        status_file = study.path / STATUS_FILE
        text = status_file.read_text()
        other = text.replace('"in_progress"', '"done"')
        newer = other.replace(other.split('"modified": "')[1].split('"')[0], "2999-01-01T00:00:00Z")
        status_file.write_text(newer)
        list(worklist.scan())
        assert worklist.studies("alice")[0].status is Status.DONE
        older = text.replace('"in_progress"', '"flagged"')
        older = older.replace(older.split('"modified": "')[1].split('"')[0], "2000-01-01T00:00:00Z")
        status_file.write_text(older + "\n")
        list(worklist.scan())
        assert worklist.studies("alice")[0].status is Status.DONE

    def test_unwritable_folder_keeps_status_beside_its_fallback_marks(self, tree: Tree) -> None:
        """When the folder cannot take the file, the status goes to the study's fallback folder
        in the user's data folder (a notice says where) and outlives the index (a cache)."""
        worklist, _ = indexed(tree.root)
        study = worklist.studies()[0]
        # A folder that does not exist fails the write for real, also when running as root.
        gone = replace(study, path=tree.root / "missing" / "folder")
        notice = worklist.set_status(gone, "alice", Status.FLAGGED)
        kept = fallback_path(gone.path, "alice", study.study_instance_uid).parent / STATUS_FILE
        assert notice is not None and "missing" in notice and str(kept) in notice
        assert kept.is_file() and not (gone.path / STATUS_FILE).exists()
        assert worklist.studies("alice")[0].status is Status.FLAGGED
        # the cache is cleared: a new index of the same tree still knows the status
        worklist.index_file.unlink()
        again, _ = indexed(tree.root)
        assert again.index_file == worklist.index_file
        assert again.studies("alice")[0].status is Status.FLAGGED

    def test_status_only_in_index_when_no_folder_takes_it(
        self, tree: Tree, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Neither the study's folder nor the data folder can take the file: the index keeps it."""
        worklist, _ = indexed(tree.root)
        study = worklist.studies()[0]
        blocker = tree.root / "not-a-folder"
        blocker.write_text("a file where the data folder should be")
        gone = replace(study, path=tree.root / "missing" / "folder")
        with monkeypatch.context() as patched:
            patched.setenv("MAMMO_VIEWER_DATA_DIR", str(blocker))
            notice = worklist.set_status(gone, "alice", Status.FLAGGED)
        assert notice is not None and "index only" in notice
        assert worklist.studies("alice")[0].status is Status.FLAGGED

    def test_status_without_marks_listed_as_reader(self, tree: Tree) -> None:
        """A reader who only set a status appears with zero marks."""
        worklist, _ = indexed(tree.root)
        study = worklist.studies()[0]
        worklist.set_status(study, "zoe", Status.FLAGGED)
        assert worklist.studies()[0].readers["zoe"].calcifications == 0
        conn = db.connect(worklist.index_file)
        rows = db.statuses(conn)
        conn.close()
        assert [(r.reader_key, r.status) for r in rows] == [("zoe", "flagged")]


class TestLegacyIndex:
    """Earlier versions kept the index in the user data folder; it moves to the cache folder."""

    def test_old_index_moves_and_is_used(self, tree: Tree) -> None:
        """The old file becomes the cache folder's index: statuses kept, no file read again."""
        old = db.legacy_index_path(tree.root)
        before = Worklist(tree.root, index_file=old)
        list(before.scan())
        study = next(s for s in before.studies() if s.study_instance_uid == tree.b)
        before.set_status(study, "alice", Status.DONE)
        worklist = Worklist(tree.root)
        assert worklist.index_file == db.index_path(tree.root) != old
        assert worklist.index_file.is_file() and not old.exists()
        assert list(worklist.scan())[-1].total == 0
        by_uid = {s.study_instance_uid: s for s in worklist.studies("alice")}
        assert by_uid[tree.b].status is Status.DONE

    def test_unreadable_old_index_is_rebuilt(self, tree: Tree) -> None:
        """An old file that is not SQLite is moved, found unreadable and rebuilt from the files."""
        old = db.legacy_index_path(tree.root)
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_bytes(b"not a database" * 100)
        worklist, steps = indexed(tree.root)
        assert steps[-1].total == 9 and len(worklist.studies()) == 3
        assert not old.exists()

    def test_an_index_in_the_cache_wins(self, tree: Tree) -> None:
        """With an index in the cache folder already, the old file is left alone."""
        indexed(tree.root)
        old = db.legacy_index_path(tree.root)
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_bytes(b"older")
        worklist = Worklist(tree.root)
        assert list(worklist.scan())[-1].total == 0
        assert old.read_bytes() == b"older"

    def test_a_failed_move_indexes_afresh(self, tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
        """When the old file cannot be moved, it stays where it was and the tree is indexed anew."""
        old = db.legacy_index_path(tree.root)
        list(Worklist(tree.root, index_file=old).scan())

        def refuse(src: object, dst: object) -> None:
            raise PermissionError("in use")

        monkeypatch.setattr(db.os, "replace", refuse)
        worklist, steps = indexed(tree.root)
        assert old.is_file() and steps[-1].total == 9 and len(worklist.studies()) == 3
