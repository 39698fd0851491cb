"""Tests of viewer.store.session: the annotation file of one opened study and reader."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.fixtures.annotation_strategies import model_state
from tests.fixtures.read_only import make_read_only
from viewer.assets import resource_path
from viewer.core.annotations import Calcification, ImageAnnotations, StudyAnnotations
from viewer.core.geometry import Spacing, SpacingSource
from viewer.store import session, sidecar
from viewer.store.errors import SidecarError
from viewer.store.locations import user_data_dir
from viewer.store.serialize import serialize

STUDY = "1.2.3"
SPACING = Spacing(0.07, 0.07, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector")


def _add_mark(model: StudyAnnotations, x: float = 10.0) -> Calcification:
    key = ("1.2.3.4", 0)
    if key not in model.images:
        model.images[key] = ImageAnnotations("1.2.3.4", 0, STUDY, "1.2.3.5", 100, 100, "L", "CC", SPACING)
    calc = Calcification.create((x, 20.0), [(x - 2, 18), (x + 2, 18), (x + 2, 22)], SPACING)
    model.put_calcification(key, calc)
    return calc


@pytest.fixture
def store(tmp_path: Path) -> Iterator[session.AnnotationStore]:
    """A store on an empty, writable study folder."""
    opened = session.AnnotationStore.open(tmp_path, "dr a", STUDY)
    yield opened
    opened.close()


@pytest.fixture
def read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A study folder nothing can be written into.

    See :func:`tests.fixtures.read_only.make_read_only`.
    """
    folder = tmp_path / "cd"
    folder.mkdir()
    make_read_only(folder, monkeypatch)
    yield folder
    folder.chmod(0o755)


class TestSaveAndReopen:
    def test_new_study(self, store: session.AnnotationStore, tmp_path: Path) -> None:
        """A study without a file opens writable and empty, saving beside the DICOM files."""
        assert store.path == sidecar.sidecar_path(tmp_path, "dr a")
        assert store.read_only_reason is None and store.notices == []
        assert store.load().count() == (0, 0)
        assert store.load().reader == "dr a"

    def test_round_trip(self, tmp_path: Path) -> None:
        """Marks saved, closed and reopened come back with every field."""
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as first:
            model = first.load()
            _add_mark(model)
            first.save(model)
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as again:
            assert model_state(again.load()) == model_state(model)

    def test_reader_of_sixty_four_byte_letters(self, tmp_path: Path) -> None:
        """A name whose earlier file name is too long for the file system saves and reopens."""
        reader = "\U0001d49c" * 60  # 240 bytes of UTF-8: the earlier name's ENAMETOOLONG
        with session.AnnotationStore.open(tmp_path, reader, STUDY) as first:
            model = first.load()
            _add_mark(model)
            first.save(model)
        with session.AnnotationStore.open(tmp_path, reader, STUDY) as again:
            assert again.load().count() == (1, 0) and again.load().reader == reader

    def test_readers_have_separate_files(self, tmp_path: Path) -> None:
        """Two readers of one study write two files and do not lock each other out."""
        with (
            session.AnnotationStore.open(tmp_path, "dr a", STUDY) as a,
            session.AnnotationStore.open(tmp_path, "dr b", STUDY) as b,
        ):
            assert a.path != b.path
            assert a.read_only_reason is None and b.read_only_reason is None

    def test_concurrent_saves(self, store: session.AnnotationStore) -> None:
        """Saves from several threads at once leave one complete, valid file."""
        model = store.load()
        for i in range(20):
            _add_mark(model, float(i))
        data = serialize(model)
        threads = [threading.Thread(target=store.save_bytes, args=(data,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.path.read_bytes() == data

    def test_leftover_temp_files_removed(self, tmp_path: Path) -> None:
        """Temporary files of a killed save are cleaned up by the next lock holder."""
        debris = tmp_path / f".{sidecar.sidecar_path(tmp_path, 'dr a').name}.0a1b2c3d.tmp"
        debris.write_bytes(b'{"half')
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY):
            assert not debris.exists()


class TestTwoInstances:
    def test_second_window_read_only(self, store: session.AnnotationStore, tmp_path: Path) -> None:
        """A second store on the same file opens read-only and cannot save."""
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as second:
            assert second.read_only_reason is not None
            assert "another mammo-viewer" in second.read_only_reason
            with pytest.raises(SidecarError, match="cannot save"):
                second.save(StudyAnnotations("dr a"))
            second.autosave_bytes(b"ignored")  # silently does nothing
            assert not second.recovery_path.exists()
        store.close()
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as third:
            assert third.read_only_reason is None

    def test_other_process_then_killed(self, tmp_path: Path) -> None:
        """Another process's lock makes us read-only; once it is killed, we take over."""
        code = (
            "import sys, time; from viewer.store.session import AnnotationStore; "
            f"s = AnnotationStore.open(sys.argv[1], 'dr a', '{STUDY}'); "
            "print(s.read_only_reason, flush=True); time.sleep(60)"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "None"
            with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as blocked:
                assert f"process {proc.pid}" in (blocked.read_only_reason or "")
        finally:
            proc.kill()
            proc.communicate()
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as taken:
            assert taken.read_only_reason is None
            assert any("stale lock" in n and str(proc.pid) in n for n in taken.notices)


class TestBadFilesKept:
    @pytest.mark.parametrize(
        "content",
        [
            b'{"schema_version": 1, "reader": "dr a", "images": [',
            orjson.dumps(
                dict(orjson.loads(resource_path("examples/v2.json").read_bytes()), schema_version=7)
            ),
        ],
        ids=["corrupt", "newer"],
    )
    def test_opens_read_only_and_never_writes(self, tmp_path: Path, content: bytes) -> None:
        """Corrupt and newer files make the store read-only and stay byte-identical."""
        path = sidecar.sidecar_path(tmp_path, "dr a")
        path.write_bytes(content)
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as store:
            assert store.read_only_reason is not None and str(path) in store.read_only_reason
            model = store.load()
            _add_mark(model)
            with pytest.raises(SidecarError):
                store.save(model)
            store.autosave_bytes(serialize(model))
            store.discard_recovery()
        assert path.read_bytes() == content
        # the OS lock's empty hidden file is all that appears beside it (taken before reading)
        os_lock = tmp_path / f".{path.name}.lock"
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, os_lock.name])
        assert os_lock.read_bytes() == b""


class TestReadOnlyFolder:
    def test_fallback_used_and_found_again(self, read_only_folder: Path) -> None:
        """A read-only study folder sends the file to the user's data folder, and back next time."""
        with session.AnnotationStore.open(read_only_folder, "dr a", STUDY) as first:
            assert first.path.is_relative_to(user_data_dir())
            assert STUDY in first.path.parts
            assert any("read-only" in n and str(first.path) in n for n in first.notices)
            assert first.read_only_reason is None
            model = first.load()
            _add_mark(model)
            first.save(model)
        assert list(read_only_folder.iterdir()) == []
        with session.AnnotationStore.open(read_only_folder, "dr a", STUDY) as again:
            assert again.path == first.path
            assert model_state(again.load()) == model_state(model)

    def test_fallback_moves_back_when_writable(self, tmp_path: Path) -> None:
        """Marks saved in the fallback are loaded when the folder has become writable."""
        fallback = session.fallback_path(tmp_path, "dr a", STUDY)
        fallback.parent.mkdir(parents=True)
        model = StudyAnnotations("dr a", STUDY)
        _add_mark(model)
        sidecar.save(model, fallback)
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as store:
            assert store.path == sidecar.sidecar_path(tmp_path, "dr a")
            assert store.load().count() == (1, 0)
            assert any(str(fallback) in n for n in store.notices)

    def test_fallback_key_without_uid(self, tmp_path: Path) -> None:
        """Without a Study Instance UID the fallback is keyed by the folder."""
        a = session.fallback_path(tmp_path / "a", "dr a", "")
        b = session.fallback_path(tmp_path / "b", "dr a", "")
        assert a != b and a.parent.name.startswith("folder-")


class TestRecovery:
    def test_autosave_recovered_after_kill(self, tmp_path: Path) -> None:
        """An autosave newer than the last save, left by a killed process, is offered."""
        code = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from tests.store.test_session import _add_mark
from viewer.store.serialize import serialize
from viewer.store.session import AnnotationStore
store = AnnotationStore.open(sys.argv[1], "dr a", "{STUDY}")
model = store.load()
_add_mark(model, 10.0)
store.save(model)
_add_mark(model, 30.0)
store.autosave_bytes(serialize(model))
open(sys.argv[2], "wb").write(serialize(model))
print("autosaved", flush=True)
time.sleep(60)
"""
        expected_file = tmp_path.parent / f"{tmp_path.name}-expected.json"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path), str(expected_file)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "autosaved\n"
            expected = sidecar.from_dict(orjson.loads(expected_file.read_bytes()))
        finally:
            proc.kill()
            proc.communicate()
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as again:
            assert any("stale lock" in n for n in again.notices)
            assert again.load().count() == (1, 0)
            recovered = again.recovery()
            assert recovered is not None
            assert model_state(recovered) == model_state(expected)
            again.discard_recovery()
            assert again.recovery() is None

    def test_save_supersedes_autosave(self, store: session.AnnotationStore) -> None:
        """After a save the autosave is gone, and a late, older autosave is skipped."""
        model = store.load()
        _add_mark(model)
        store.autosave_bytes(serialize(model), revision=1)
        assert store.recovery_path.exists()
        store.save_bytes(serialize(model), revision=2)
        assert not store.recovery_path.exists()
        store.autosave_bytes(serialize(model), revision=1)
        assert not store.recovery_path.exists()

    def test_identical_autosave_not_offered(self, tmp_path: Path) -> None:
        """An autosave holding what the file holds is not offered."""
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as store:
            model = store.load()
            _add_mark(model)
            data = serialize(model)
            store.save_bytes(data)
            store.recovery_path.write_bytes(data)
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as again:
            assert again.recovery() is None


class TestMigration:
    def test_v1_backed_up_on_first_save(self, tmp_path: Path) -> None:
        """A v1 file (no reading) is kept as a backup when first saved as v2, marks intact."""
        old = resource_path("examples/v1.json").read_bytes()
        reader = orjson.loads(old)["reader"]
        path = sidecar.sidecar_path(tmp_path, reader)
        path.write_bytes(old)
        with session.AnnotationStore.open(tmp_path, reader, "") as store:
            assert any("version 1" in n for n in store.notices)
            store.save(store.load())
        backups = list(tmp_path.glob("*.v1-backup.json"))
        assert [b.read_bytes() for b in backups] == [old]
        assert orjson.loads(path.read_bytes())["schema_version"] == 2
        assert sidecar.load(path).count() == (7, 2)

    def test_v0_backed_up_on_first_save(self, tmp_path: Path) -> None:
        """A v0 file is upgraded on load and kept as a backup when first saved as v2."""
        old = resource_path("examples/v0.json").read_bytes()
        path = sidecar.sidecar_path(tmp_path, "Dr. A. Example")
        path.write_bytes(old)
        with session.AnnotationStore.open(tmp_path, "Dr. A. Example", "") as store:
            assert any("version 0" in n for n in store.notices)
            assert path.read_bytes() == old  # opening changes nothing
            store.save(store.load())
        backup = path.with_name(path.name.removesuffix(".json") + ".v0-backup.json")
        assert backup.read_bytes() == old
        assert orjson.loads(path.read_bytes())["schema_version"] == 2
        assert sidecar.load(path).count() == (3, 0)


class TestEarlierNames:
    def test_earlier_named_file_read_and_renamed(self, tmp_path: Path) -> None:
        """A reader's file under the old slug name is read, and the first save moves it aside."""
        earlier = sidecar.earlier_sidecar_path(tmp_path, "Dr. A. Example")
        model = StudyAnnotations("Dr. A. Example", STUDY)
        mark = _add_mark(model)
        sidecar.save(model, earlier)
        with session.AnnotationStore.open(tmp_path, "Dr. A. Example", STUDY) as store:
            assert store.path == sidecar.sidecar_path(tmp_path, "Dr. A. Example") != earlier
            loaded = store.load()
            assert mark.id in loaded.images[("1.2.3.4", 0)].calcifications
            assert any("earlier versions" in n for n in store.notices)
            store.save(loaded)
        assert not earlier.exists()
        names = sorted(p.name for p in tmp_path.iterdir() if sidecar.is_sidecar_name(p.name))
        assert names == [store.path.name]
        assert sidecar.load(store.path).count()[0] == 1

    def test_other_readers_earlier_file_left_alone(self, tmp_path: Path) -> None:
        """'a reader' does not take over the old file of 'A. Reader' that shared its slug."""
        earlier = sidecar.earlier_sidecar_path(tmp_path, "A. Reader")
        model = StudyAnnotations("A. Reader", STUDY)
        _add_mark(model)
        sidecar.save(model, earlier)
        content = earlier.read_bytes()
        with session.AnnotationStore.open(tmp_path, "a reader", STUDY) as store:
            assert store.load().count()[0] == 0
            store.save(store.load())
        assert earlier.read_bytes() == content
