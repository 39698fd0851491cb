"""Tests of viewer.store.sidecar: naming, loading, saving."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from tests.fixtures.annotation_strategies import model_state, studies
from viewer.assets import resource_path
from viewer.core.annotations import StudyAnnotations
from viewer.store import sidecar
from viewer.store.errors import CorruptSidecarError, NewerSidecarError, SidecarError


class TestNames:
    @pytest.mark.parametrize(
        "reader,stem",
        [
            ("ann", "ann"),
            ("dr-a", "dr-a"),
            ("Dr. A. Example", "dr-a-example_"),
            ("  ", "reader_"),
            ("../../etc", "etc_"),
            ("Zoë Ng", "zoe-ng_"),
            ("a_b", "a-b_"),
        ],
    )
    def test_sidecar_path(self, tmp_path: Path, reader: str, stem: str) -> None:
        """One file per reader in the study folder, with a safe name that says whose it is."""
        path = sidecar.sidecar_path(tmp_path, reader)
        assert path.parent == tmp_path and sidecar.is_sidecar_name(path.name)
        key = path.name.removeprefix(sidecar.SIDECAR_PREFIX).removesuffix(sidecar.SIDECAR_SUFFIX)
        assert key == stem if not stem.endswith("_") else key.startswith(stem) and len(key) == len(stem) + 12
        assert re.fullmatch(r"[a-z0-9_-]+", key)

    def test_names_never_shared(self, tmp_path: Path) -> None:
        """Names that differ only in case, punctuation or script get different files, each stable."""
        names = [
            "A. Reader",
            "a reader",
            "A_READER",
            "a-reader",
            "a-reader_",
            "\uff21 Reader",  # fullwidth A
            "\U0001d49c" * 60,  # 60 four-byte letters
            "a" * 200,
        ]
        paths = [sidecar.sidecar_path(tmp_path, n) for n in names]
        assert len(set(paths)) == len(names)
        assert paths == [sidecar.sidecar_path(tmp_path, n) for n in names]
        for path in paths:
            assert len(path.name.encode()) < 120  # far from any file system's 255-byte limit
            path.write_bytes(b"{}")  # no ENAMETOOLONG

    def test_companions_are_not_sidecars(self) -> None:
        """Lock, recovery, backup and temporary files are not taken for sidecars."""
        for name in (
            "mammo-annotations.a.json.lock",
            "mammo-annotations.a.json.recovery",
            "mammo-annotations.a.v0-backup.json",
            ".mammo-annotations.a.json.1f.tmp",
        ):
            assert not sidecar.is_sidecar_name(name)


class TestSaveLoad:
    @given(studies())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def test_round_trip_every_field(self, tmp_path: Path, model: StudyAnnotations) -> None:
        """save() then load() gives back every field of the model."""
        path = tmp_path / "mammo-annotations.x.json"
        sidecar.save(model, path)
        assert model_state(sidecar.load(path)) == model_state(model)

    def test_examples_load(self) -> None:
        """The stored example of the current version loads, with its clusters and calibration."""
        loaded = sidecar.load_document(resource_path("examples/v2.json"))
        assert loaded.version == 2 and not loaded.migrated
        model = loaded.model
        assert model.count() == (7, 2)
        cc = next(i for i in model.images.values() if i.view == "CC")
        assert cc.clusters["k1"].confirmed
        mlo = next(i for i in model.images.values() if i.view == "MLO")
        assert mlo.calibration is not None and mlo.spacing.source.value == "manual"
        reading = model.reading
        assert reading.assessment.left == "4B" and reading.assessment.overall_category == "4B"
        assert reading.landmarks[mlo.key].landmarks.source.value == "reader"
        (link,) = reading.links.values()
        assert link.cc.item_id == "k1" and link.mlo.image == mlo.key

    def test_v1_example_migrates_with_an_empty_reading(self) -> None:
        """A version-1 file loads as version 2 with no landmarks, links or assessment."""
        loaded = sidecar.load_document(resource_path("examples/v1.json"))
        assert loaded.version == 1 and loaded.migrated
        assert loaded.model.count() == (7, 2)
        reading = loaded.model.reading
        assert not reading.landmarks and not reading.links and reading.assessment.empty


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, type[SidecarError], str]]:
    example = orjson.loads(resource_path("examples/v2.json").read_bytes())
    newer = dict(example, schema_version=99)
    wrong = dict(example)
    wrong["images"] = [dict(example["images"][0], frame="first")]
    cases = {
        "truncated": (
            resource_path("examples/v2.json").read_bytes()[:500],
            CorruptSidecarError,
            "invalid JSON",
        ),
        "not-object": (b"[1, 2]", CorruptSidecarError, "no JSON object"),
        "no-version": (b'{"reader": "x"}', CorruptSidecarError, "no schema_version"),
        "newer": (orjson.dumps(newer), NewerSidecarError, "newer mammo-viewer .*version 99"),
        "schema": (orjson.dumps(wrong), CorruptSidecarError, "/images/0/frame"),
        "empty": (b"", CorruptSidecarError, "invalid JSON"),
    }
    out = {}
    for name, (data, exc, msg) in cases.items():
        path = tmp_path / f"mammo-annotations.{name}.json"
        path.write_bytes(data)
        out[name] = (path, exc, msg)
    return out


class TestBadFiles:
    @pytest.mark.parametrize("case", ["truncated", "not-object", "no-version", "newer", "schema", "empty"])
    def test_error_names_file_and_keeps_it(self, tmp_path: Path, case: str) -> None:
        """A bad file raises an error naming it and the reason, and stays byte for byte."""
        path, exc, msg = _bad_files(tmp_path)[case]
        before = path.read_bytes()
        with pytest.raises(exc, match=msg) as info:
            sidecar.load(path)
        assert str(path) in str(info.value)
        assert path.read_bytes() == before

    def test_unreadable(self, tmp_path: Path) -> None:
        """A missing file is a SidecarError naming it, not a traceback."""
        with pytest.raises(SidecarError, match=r"cannot read .*nothing\.json"):
            sidecar.load(tmp_path / "nothing.json")


class TestHostileDocuments:
    def test_infinite_number_refused(self, tmp_path: Path) -> None:
        """A coordinate of 1e999 (infinity once read) makes the file unusable, named and unchanged."""
        doc = resource_path("examples/v1.json").read_bytes()
        text = doc.decode()
        first = text.index('"center":[') + len('"center":[')
        data = (text[:first] + "1e999" + text[text.index(",", first) :]).encode()
        path = tmp_path / "mammo-annotations.x.json"
        path.write_bytes(data)
        with pytest.raises(CorruptSidecarError, match=r"not a readable annotation file .*infinity"):
            sidecar.load(path)
        assert path.read_bytes() == data

    @pytest.mark.parametrize("images", [["not an object"], [1, 2], "images", [None]])
    def test_v0_with_odd_images_is_a_message(self, tmp_path: Path, images: object) -> None:
        """An old-format file whose image entries are not objects: a message, no traceback."""
        doc = orjson.loads(resource_path("examples/v0.json").read_bytes())
        doc["images"] = images
        path = tmp_path / "mammo-annotations.x.json"
        path.write_bytes(orjson.dumps(doc))
        with pytest.raises(CorruptSidecarError, match=str(path)):
            sidecar.load(path)
