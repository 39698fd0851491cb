"""Tests of viewer.store.migrate: older layouts are read as the current one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import pytest

from viewer.assets import resource_path
from viewer.core.geometry import SpacingSource
from viewer.store import migrate, schema, sidecar
from viewer.store.errors import CorruptSidecarError
from viewer.store.sidecar_reading import Stage, read_sidecar_bytes

V0_CC = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000003"
V0_MLO = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000004"


class TestV0:
    def test_example_migrates(self) -> None:
        """The stored v0 example becomes a valid v1 document with every mark."""
        data = orjson.loads(resource_path("examples/v0.json").read_bytes())
        assert migrate.document_version(data) == 0
        doc = migrate.migrate(data, 0)
        assert schema.problems(doc) == []
        assert doc["reader"] == "Dr. A. Example"
        assert sum(len(i["calcifications"]) for i in doc["images"]) == 3

    def test_marks_keep_place_and_get_sizes(self) -> None:
        """Centres stay; sizes are measured from the outline with the recorded spacing."""
        loaded = sidecar.load_document(resource_path("examples/v0.json"))
        assert loaded.migrated and loaded.version == 0
        cc = loaded.model.image((V0_CC, 0))
        assert cc.dicom_spacing.source is SpacingSource.IMAGER_PIXEL_SPACING_ERMF
        a1 = cc.calcifications["a1"]
        assert a1.center == (812.0, 1533.5)
        assert a1.sizes is not None
        # the outline is a 4 x 4 px square: its diagonal at 0.07 mm/px
        assert a1.sizes.long_axis_mm is not None
        assert math.isclose(a1.sizes.long_axis_mm, math.hypot(4, 4) * 0.07)
        assert cc.calcifications["a2"].sizes is None
        mlo = loaded.model.image((V0_MLO, 0))
        assert not mlo.dicom_spacing.calibrated
        b1_sizes = mlo.calcifications["b1"].sizes
        assert b1_sizes is not None and b1_sizes.long_axis_mm is None
        assert math.isclose(b1_sizes.long_axis_px, math.hypot(5, 3))

    def test_file_not_touched(self, tmp_path: Path) -> None:
        """Loading a v0 file migrates in memory only."""
        path = tmp_path / "old.json"
        data = resource_path("examples/v0.json").read_bytes()
        path.write_bytes(data)
        sidecar.load(path)
        assert path.read_bytes() == data

    def test_broken_v0_is_corrupt(self, tmp_path: Path) -> None:
        """A v0 file missing its marks is reported as corrupt, naming the file."""
        path = tmp_path / "old.json"
        path.write_bytes(b'{"version": 0, "reader": "x"}')
        with pytest.raises(CorruptSidecarError, match=r"old\.json .*version 0.* cannot be upgraded"):
            sidecar.load(path)

    def test_unknown_old_version(self) -> None:
        """A version with no migration step is refused with a clear message."""
        with pytest.raises(ValueError, match="schema version -1 is unknown"):
            migrate.migrate({}, -1)


def _with_value(doc: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of ``doc`` with the value at ``path`` replaced."""
    copy = orjson.loads(orjson.dumps(doc))
    place = copy
    for key in path[:-1]:
        place = place[key]
    place[path[-1]] = value
    return copy


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON document (objects' members and lists' items), depth first."""
    found: list[tuple[str | int, ...]] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


_WRONG_VALUES: list[Any] = [["a", 1], {"k": 1}, "text", -3, 0.5, None, True]


class TestV0Malformed:
    def test_image_entry_not_an_object(self, tmp_path: Path) -> None:
        """An image entry that is a list is named in a message that says the file was kept."""
        path = tmp_path / "mammo-annotations.Reader.json"
        path.write_bytes(b'{"version": 0, "images": {"1.2.3": [512, 512]}, "marks": []}')
        with pytest.raises(CorruptSidecarError) as caught:
            sidecar.load(path)
        message = str(caught.value)
        assert message.startswith(str(path))
        assert "image entry '1.2.3' is not an object (it is a list)" in message, message
        assert "left unchanged" in message and "read-only" in message

    def test_images_not_an_object(self) -> None:
        """``images`` given as a list (the 'dictionary update sequence' of before) is named."""
        reading = read_sidecar_bytes(b'{"version": 0, "images": [["1.2.3", 4]], "marks": []}')
        assert reading.failed is Stage.MIGRATION
        expected = "schema version 0 cannot be upgraded: images is not an object (it is a list)"
        assert reading.problems == [expected]

    def test_every_place_with_every_wrong_type(self) -> None:
        """Any value of the v0 example replaced by a wrong type: an upgrade, or a message naming it.

        Never an exception, and never the catch-all for shapes the checks missed.
        """
        doc = orjson.loads(resource_path("examples/v0.json").read_bytes())
        places = [p for p in _paths(doc) if p != ("version",)]
        assert len(places) > 40
        outcomes = set()
        for place in places:
            for value in _WRONG_VALUES:
                text = orjson.dumps(_with_value(doc, place, value))
                reading = read_sidecar_bytes(text)
                outcomes.add(reading.failed)
                if reading.failed is Stage.MIGRATION:
                    problem = reading.problems[0]
                    assert "layout (" not in problem, (place, value, problem)
                    named = [k for k in place if isinstance(k, str) and k not in ("images", "marks")]
                    assert not named or named[-1] in problem, (place, value, problem)
                    assert place[0] not in ("images", "marks") or place[0][:-1] in problem, problem
                    assert problem.startswith("schema version 0 cannot be upgraded: "), problem
                else:
                    assert reading.failed in (None, Stage.SCHEMA), (place, value, reading.problems)
        assert Stage.MIGRATION in outcomes and None in outcomes

    def test_repeated_mark_id_keeps_both(self) -> None:
        """Two v0 marks with one id on one image both arrive (version 0 did not keep ids unique)."""
        doc = orjson.loads(resource_path("examples/v0.json").read_bytes())
        doc["marks"][1]["id"] = doc["marks"][0]["id"]
        reading = read_sidecar_bytes(orjson.dumps(doc))
        assert reading.failed is None and reading.model is not None
        assert sum(len(img.calcifications) for img in reading.model.images.values()) == 3
