"""Tests of viewer.store.merge: a save keeps the marks another writer put in the file."""

from __future__ import annotations

from pathlib import Path

from viewer.core.annotations import Calcification, ImageAnnotations, StudyAnnotations
from viewer.core.geometry import Spacing, SpacingSource
from viewer.store import session, sidecar
from viewer.store.serialize import serialize

STUDY = "1.2.3"
SPACING = Spacing(0.07, 0.07, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector")
KEY = ("1.2.3.4", 0)


def _add_mark(model: StudyAnnotations, x: float) -> Calcification:
    if KEY not in model.images:
        model.images[KEY] = ImageAnnotations("1.2.3.4", 0, STUDY, "1.2.3.5", 100, 100, "L", "CC", SPACING)
    calc = Calcification.create((x, 20.0), [(x - 2, 18), (x + 2, 18), (x + 2, 22)], SPACING)
    model.put_calcification(KEY, calc)
    return calc


def _ids(path: Path) -> set[str]:
    return set(sidecar.load(path).images[KEY].calcifications)


class TestForeignWriter:
    def test_marks_written_past_the_lock_are_kept(self, tmp_path: Path) -> None:
        """A file changed on disk while a store holds it: the next saves keep the other marks."""
        path = sidecar.sidecar_path(tmp_path, "dr a")
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as store:
            model = store.load()
            mine = _add_mark(model, 10.0)
            store.save(model)
            # another program writes the file without the lock: our mark and one of its own
            theirs_model = sidecar.load(path)
            theirs = _add_mark(theirs_model, 50.0)
            sidecar.save(theirs_model, path)
            second = _add_mark(model, 30.0)
            store.save(model)
            assert _ids(path) == {mine.id, second.id, theirs.id}
            assert store.merged_notice is not None and "1 new mark" in store.merged_notice
            # a mark the reader deletes here stays deleted; the other writer's mark stays
            model.remove_calcification(KEY, mine.id)
            store.save(model)
            assert _ids(path) == {second.id, theirs.id}

    def test_other_writers_deletion_respected(self, tmp_path: Path) -> None:
        """A mark the other writer added and then deleted again is not brought back."""
        path = sidecar.sidecar_path(tmp_path, "dr a")
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as store:
            model = store.load()
            mine = _add_mark(model, 10.0)
            store.save(model)
            other = sidecar.load(path)
            theirs = _add_mark(other, 50.0)
            sidecar.save(other, path)
            store.save(model)
            assert _ids(path) == {mine.id, theirs.id}
            other = sidecar.load(path)
            other.remove_calcification(KEY, theirs.id)
            sidecar.save(other, path)
            store.save(model)
            assert _ids(path) == {mine.id}

    def test_unchanged_file_is_written_as_given(self, tmp_path: Path) -> None:
        """Without another writer, the bytes saved are exactly those handed in."""
        path = sidecar.sidecar_path(tmp_path, "dr a")
        with session.AnnotationStore.open(tmp_path, "dr a", STUDY) as store:
            model = store.load()
            _add_mark(model, 10.0)
            store.save(model)
            first = path.read_bytes()
            _add_mark(model, 20.0)
            data = serialize(model)
            store.save_bytes(data)
            assert path.read_bytes() == data != first
            assert store.merged_notice is None
