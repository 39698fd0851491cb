"""Tests of viewer.store.sidecar: naming, loading, saving."""

from __future__ import annotations

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
        "reader,name",
        [
            ("Dr. A. Example", "mammo-annotations.dr-a-example.json"),
            ("  ", "mammo-annotations.anonymous.json"),
            ("../../etc", "mammo-annotations.etc.json"),
            ("Zoë Ng", "mammo-annotations.zoë-ng.json"),
            ("a_b", "mammo-annotations.a-b.json"),
        ],
    )
    def test_sidecar_path(self, tmp_path: Path, reader: str, name: str) -> None:
        """One file per reader in the study folder, with a safe name that says what it is."""
        path = sidecar.sidecar_path(tmp_path, reader)
        assert path == tmp_path / name
        assert sidecar.is_sidecar_name(path.name)

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
