"""Tests of viewer.store.migrate: older layouts are read as the current one."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pytest

from viewer.assets import resource_path
from viewer.core.geometry import SpacingSource
from viewer.store import migrate, schema, sidecar
from viewer.store.errors import CorruptSidecarError

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
