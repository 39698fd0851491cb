"""Tests for viewer.store.reading_serialize: the reading (landmarks, links, assessment) saved and loaded."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from viewer.core.annotations import Calcification, Cluster, ClusterState, ImageAnnotations, StudyAnnotations
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.landmarks import ChestWall, Landmarks
from viewer.core.reading import FindingLink, FindingRef, ImageLandmarks, StudyAssessment
from viewer.core.reading_commands import LinkFindings, SetAssessment, SetLandmarks
from viewer.store import schema, sidecar
from viewer.store.errors import NewerSidecarError
from viewer.store.serialize import to_dict

SPACING = Spacing(0.1, 0.1, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "mm at the breast plane (ERMF 1.1)", 1.1)
CC, MLO = ("1.2.3.1", 0), ("1.2.3.2", 0)


def _model() -> StudyAnnotations:
    """A left breast: a cluster of three on CC, one mark on MLO, landmarks on both."""
    model = StudyAnnotations("dr a", "1.2.3")
    for key, view in ((CC, "CC"), (MLO, "MLO")):
        model.ensure_image(
            ImageAnnotations(key[0], 0, "1.2.3", "", 1200, 960, "L", view, dicom_spacing=SPACING)
        )
    for i, (x, y) in enumerate([(400.0, 500.0), (410.0, 505.0), (405.0, 515.0)]):
        model.put_calcification(CC, Calcification(f"c{i}", (x, y)))
    model.put_cluster(CC, Cluster("k1", ("c0", "c1", "c2"), ClusterState.CONFIRMED))
    model.put_calcification(MLO, Calcification("m1", (420.0, 640.0)))
    SetLandmarks(
        CC, None, ImageLandmarks(Landmarks((650.0, 600.0), ((0.0, 0.0), (0.0, 1199.0))), ("A", "R"))
    ).do(model)
    wall = ((300.0, 0.0), (0.0, 660.0))
    SetLandmarks(
        MLO, None, ImageLandmarks(Landmarks((690.0, 540.0), wall, ChestWall.PECTORAL), ("A", "F"))
    ).do(model)
    LinkFindings(FindingLink("l1", "L", FindingRef(CC, "k1"), FindingRef(MLO, "m1"))).do(model)
    SetAssessment(StudyAssessment(), StudyAssessment("c", "1", "4A", None, "biopsy", "New group, left.")).do(
        model
    )
    return model


class TestReadingRoundTrip:
    def test_save_and_load(self, tmp_path: Path) -> None:
        """Landmarks, links and the assessment come back equal after save and load."""
        model = _model()
        path = tmp_path / "mammo-annotations.dr-a.json"
        sidecar.save(model, path)
        back = sidecar.load(path).reading
        assert back.landmarks == model.reading.landmarks
        assert back.links == model.reading.links
        assert back.assessment == model.reading.assessment

    def test_derived_position_and_locations_written(self) -> None:
        """The file carries the link's clock face and every item's nipple distance with its spacing."""
        data = to_dict(_model())
        assert schema.problems(data) == []
        (link,) = data["reading"]["links"]
        # CC: the cluster's centre is 93.3 rows above the nipple; rows run to the patient's right,
        # so it is 9.33 mm to the patient's left (lateral on a left breast). MLO: 100 rows below
        # the nipple, 10 mm inferior. atan2(9.33, -10) = 137 degrees from 12: 4.6 hours.
        assert link["position"]["quadrant"] == "LOQ"
        assert link["position"]["clock_hour"] == pytest.approx(4.57, abs=0.01)
        assert link["position"]["clock"] == "5 o'clock"
        kinds = sorted(r["kind"] for r in data["reading"]["locations"])
        assert kinds == ["calcification"] * 4 + ["cluster"]
        assert all(r["spacing_label"] == SPACING.label for r in data["reading"]["locations"])

    def test_dangling_link_not_written(self) -> None:
        """A link whose mark was deleted is left out of the file."""
        model = _model()
        model.remove_calcification(MLO, "m1")
        assert to_dict(model)["reading"]["links"] == []

    def test_bad_category_refused_by_schema(self) -> None:
        """A category outside BI-RADS is a schema problem, named by its pointer."""
        data = to_dict(_model())
        data["reading"]["assessment"]["left"] = "7"
        assert [p.pointer for p in schema.problems(data)] == ["/reading/assessment/left"]

    def test_newer_version_refused_and_kept(self, tmp_path: Path) -> None:
        """A version-3 file is refused as newer and left byte-identical."""
        data = to_dict(_model())
        data["schema_version"] = 3
        path = tmp_path / "mammo-annotations.dr-a.json"
        content = orjson.dumps(data)
        path.write_bytes(content)
        with pytest.raises(NewerSidecarError, match="newer"):
            sidecar.load(path)
        assert path.read_bytes() == content
