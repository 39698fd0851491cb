"""Tests of viewer.store.sidecar_reading: the one pipeline the viewer and `validate` read a sidecar with."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import orjson
import pytest

from viewer.assets import resource_path
from viewer.headless.validate import check_file
from viewer.store import sidecar
from viewer.store.errors import CorruptSidecarError, NewerSidecarError
from viewer.store.sidecar_reading import Stage, collection_paused, read_sidecar_bytes


def _v1() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(resource_path("examples/v1.json").read_bytes())
    return data


def _ghost() -> bytes:
    data = _v1()
    data["images"][0]["clusters"][0]["member_ids"].append("ghost")
    return orjson.dumps(data)


def _bad_state() -> bytes:
    data = _v1()
    data["images"][0]["clusters"][0]["state"] = "perhaps"
    return orjson.dumps(data)


CASES: list[tuple[str, bytes, Stage | None]] = [
    ("valid v1", resource_path("examples/v1.json").read_bytes(), None),
    ("valid v0", resource_path("examples/v0.json").read_bytes(), None),
    ("not JSON", b"{oops", Stage.JSON),
    ("array", b"[]", Stage.JSON),
    ("no version", b'{"reader": "x"}', Stage.VERSION),
    ("boolean version", b'{"schema_version": true}', Stage.VERSION),
    ("newer", b'{"schema_version": 9}', Stage.NEWER),
    ("v0 that cannot upgrade", b'{"version": 0, "marks": [{"x": 1}]}', Stage.MIGRATION),
    ("schema", _bad_state(), Stage.SCHEMA),
    ("inconsistent ids", _ghost(), Stage.MODEL),
]


class TestOnePipeline:
    @pytest.mark.parametrize(("what", "data", "stage"), CASES, ids=[c[0] for c in CASES])
    def test_viewer_and_validate_agree(
        self, tmp_path: Path, what: str, data: bytes, stage: Stage | None
    ) -> None:
        """The stage that stops the reading decides both what the viewer raises and what validate says."""
        reading = read_sidecar_bytes(data)
        assert reading.failed is stage, reading.problems
        path = tmp_path / "mammo-annotations.x.json"
        path.write_bytes(data)
        problems, summary = check_file(path)
        if stage is None:
            assert reading.model is not None and problems == [] and summary.startswith("valid")
            assert sidecar.load(path).count() == reading.model.count()
            return
        expected = NewerSidecarError if stage is Stage.NEWER else CorruptSidecarError
        with pytest.raises(expected) as info:
            sidecar.load_document(path)
        assert str(path) in str(info.value)
        assert problems and summary == ("newer" if stage is Stage.NEWER else "invalid")
        assert problems[0].startswith(reading.problems[0])
        assert path.read_bytes() == data  # never touched
        if stage is not Stage.MODEL:  # the worklist reads only up to the schema
            with pytest.raises(expected):
                sidecar.parse(data, path)

    def test_migrated_flag(self) -> None:
        """A version-0 file is read through the migration and says so."""
        reading = read_sidecar_bytes(resource_path("examples/v0.json").read_bytes())
        assert reading.version == 0 and reading.migrated and reading.failed is None

    def test_problem_limit(self) -> None:
        """validate lists many schema problems where the viewer's message keeps the first few."""
        data = _v1()
        for image in data["images"]:
            for calc in image["calcifications"]:
                calc["center"] = [1.0]
        raw = orjson.dumps(data)
        assert len(read_sidecar_bytes(raw, problem_limit=50).problems) == 7
        assert len(read_sidecar_bytes(raw, problem_limit=3).problems) == 3


class TestCollectionPaused:
    @pytest.mark.parametrize(("what", "data", "stage"), CASES, ids=[c[0] for c in CASES])
    def test_collector_state_restored(self, what: str, data: bytes, stage: Stage | None) -> None:
        """A reading that passes or stops at any stage leaves automatic collection as it found it."""
        was = gc.isenabled()
        try:
            for enabled in (True, False):
                (gc.enable if enabled else gc.disable)()
                assert read_sidecar_bytes(data).failed is stage
                assert gc.isenabled() is enabled
        finally:
            (gc.enable if was else gc.disable)()

    def test_paused_inside_and_after_an_error(self) -> None:
        """Collection is off inside the block and back on after it, also when the block raises."""
        was = gc.isenabled()
        gc.enable()
        try:
            with pytest.raises(RuntimeError), collection_paused():
                assert not gc.isenabled()
                raise RuntimeError("inside")
            assert gc.isenabled()
        finally:
            (gc.enable if was else gc.disable)()
