"""Tests of viewer.store.serialize: the model <-> the sidecar document."""

from __future__ import annotations

import gc
import math
from dataclasses import replace

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.annotation_strategies import model_state, studies
from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    Intensity,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing, SpacingSource
from viewer.store import schema, serialize
from viewer.store.errors import SidecarError
from viewer.store.sidecar_reading import read_sidecar_bytes

SPACING = Spacing(0.07, 0.05, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "mm at the breast plane", ermf=1.1)


def _model() -> tuple[StudyAnnotations, ImageAnnotations]:
    model = StudyAnnotations("dr a", "1.2.3")
    img = ImageAnnotations("1.2.3.4", 0, "1.2.3", "1.2.3.5", 100, 80, "R", "CC", SPACING)
    model.images[img.key] = img
    return model, img


class TestRoundTrip:
    @pytest.mark.slow
    @given(studies())
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_from_dict_restores_every_field(self, model: StudyAnnotations) -> None:
        """from_dict(to_dict(m)) equals m in every stored field, through real JSON bytes."""
        data = orjson.loads(serialize.serialize(model))
        back = serialize.from_dict(data)
        assert model_state(back) == model_state(model)

    @given(studies())
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_serialized_bytes_equal_to_dict(self, model: StudyAnnotations) -> None:
        """The fast, cached serialize() writes exactly the document to_dict() describes."""
        assert orjson.loads(serialize.serialize(model)) == serialize.to_dict(model)

    @given(studies(), st.booleans())
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_spliced_bytes_equal_fragments_in_place(self, model: StudyAnnotations, hostile: bool) -> None:
        """The marks' texts joined into the document give the bytes of the fragments encoded in
        place, also when a reader's note holds the name of a slot."""
        if hostile and model.images:
            img = next(iter(model.images.values()))
            img.clusters["hostile"] = Cluster(
                "hostile", (), ClusterState.CONFIRMED, note="\0marks of image 0\0"
            )
        marks = [
            [orjson.dumps(serialize._calcification_to_dict(c)) for c in img.calcifications.values()]
            for img in model.images.values()
        ]
        data = serialize.to_dict_skeleton(model)
        for img_doc, texts in zip(data["images"], marks, strict=True):
            img_doc["calcifications"] = [orjson.Fragment(t) for t in texts]
        assert serialize.spliced(serialize.to_dict_skeleton(model), marks) == serialize.dumps(data)

    @given(studies())
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_documents_match_the_schema(self, model: StudyAnnotations) -> None:
        """Every model serialises to a document the shipped schema accepts."""
        data = serialize.to_dict(model)
        assert schema.problems(data) == []
        assert schema.is_valid(data)


class TestLayout:
    def test_header_fields(self) -> None:
        """The document names its version, program, reader and times."""
        model, _ = _model()
        data = serialize.to_dict(model)
        assert data["schema_version"] == serialize.SCHEMA_VERSION == 2
        assert data["program"]["name"] == "mammo-viewer"
        assert data["reader"] == "dr a"
        assert data["created"].endswith("Z")

    def test_one_line_per_calcification(self) -> None:
        """Calcifications are written one per line, so a diff shows which mark changed."""
        model, img = _model()
        for i in range(3):
            c = Calcification.create((10.0 + i, 20.0), [(9, 19), (12, 19), (12, 22)], SPACING)
            img.calcifications[c.id] = c
        lines = serialize.serialize(model).decode().splitlines()
        for c in img.calcifications.values():
            assert sum(f'"id":"{c.id}"' in line for line in lines) == 1

    def test_effective_spacing_written(self) -> None:
        """A manual calibration shows as the spacing in force beside the DICOM spacing."""
        from viewer.core.annotations import Calibration

        model, img = _model()
        img.calibration = Calibration("c", (0.0, 0.0), (100.0, 0.0), 10.0)
        doc = serialize.to_dict(model)["images"][0]
        assert doc["dicom_spacing"]["source"] == "imager_pixel_spacing_ermf"
        assert doc["spacing"]["source"] == "manual"
        assert math.isclose(doc["spacing"]["col_mm"], 0.1)

    def test_cluster_metrics_written(self) -> None:
        """A cluster's derived count and span are in the file."""
        from viewer.core.annotations import Cluster

        model, img = _model()
        ids = []
        for x in (10.0, 20.0, 30.0):
            c = Calcification.create((x, 10.0), [(x - 1, 9), (x + 1, 9), (x + 1, 11)], SPACING)
            img.calcifications[c.id] = c
            ids.append(c.id)
        img.clusters["k"] = Cluster("k", tuple(ids), ClusterState.CONFIRMED)
        metrics = serialize.to_dict(model)["images"][0]["clusters"][0]["metrics"]
        assert metrics["count"] == 3
        assert metrics["span_mm"] > 20 * 0.05

    def test_non_finite_intensity_dropped(self) -> None:
        """NaN statistics (JSON has no NaN) are left out instead of making the file invalid."""
        model, img = _model()
        c = Calcification.create((5.0, 5.0), None, SPACING, intensity=Intensity(math.nan, 1.0, 0.0, 1.0))
        img.calcifications[c.id] = c
        data = orjson.loads(serialize.serialize(model))
        assert data["images"][0]["calcifications"][0]["intensity"] is None
        assert schema.is_valid(data)


class TestFragmentCache:
    def test_edited_mark_is_rewritten(self) -> None:
        """Replacing a mark by an edited copy changes the bytes (no stale cached text)."""
        model, img = _model()
        c = Calcification.create((5.0, 5.0), None, SPACING, morphology="punctate")
        img.calcifications[c.id] = c
        first = serialize.serialize(model)
        img.calcifications[c.id] = Calcification(c.id, (6.0, 5.0), morphology="amorphous")
        second = orjson.loads(serialize.serialize(model))
        assert first != serialize.serialize(model)
        assert second["images"][0]["calcifications"][0]["center"] == [6.0, 5.0]
        assert second["images"][0]["calcifications"][0]["morphology"] == "amorphous"

    def test_entries_are_dropped_with_their_marks(self) -> None:
        """The cache does not keep deleted marks alive or grow without bound."""
        model, img = _model()
        for i in range(50):
            c = Calcification.create((float(i), 5.0), None, SPACING)
            img.calcifications[c.id] = c
        del c
        serialize.serialize(model)
        before = len(serialize._FRAGMENTS)
        img.calcifications.clear()
        gc.collect()
        assert len(serialize._FRAGMENTS) <= before - 50


class TestMarksKeptAsRead:
    @given(studies())
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_saved_again_byte_for_byte(self, model: StudyAnnotations) -> None:
        """A file the program wrote, read for saving and saved again, has the same bytes."""
        written = serialize.serialize(model)
        reading = read_sidecar_bytes(written, for_saving=True)
        assert reading.model is not None
        assert serialize.serialize(reading.model) == written

    def test_other_spelling_reads_back_the_same(self) -> None:
        """A mark written by another program (integers, optional members left out) is written
        back as read, and that text reads back as the same mark."""
        model, img = _model()
        c = Calcification.create((5.0, 5.0), [(4.0, 4.0), (6.0, 4.0), (6.0, 6.0)], SPACING)
        img.calcifications[c.id] = c
        doc = serialize.to_dict(model)
        mark = doc["images"][0]["calcifications"][0]
        mark["center"] = [5, 5]
        for member in ("intensity", "morphology", "reader", "created", "modified"):
            del mark[member]
        reading = read_sidecar_bytes(orjson.dumps(doc), for_saving=True)
        assert reading.model is not None
        saved = orjson.loads(serialize.serialize(reading.model))
        assert saved["images"][0]["calcifications"][0] == mark
        again = read_sidecar_bytes(serialize.serialize(reading.model))
        assert again.model is not None
        assert model_state(again.model) == model_state(reading.model)

    def test_edited_mark_is_written_anew(self) -> None:
        """A mark replaced after the read is converted afresh, not written as it was read."""
        model, img = _model()
        c = Calcification.create((5.0, 5.0), None, SPACING)
        img.calcifications[c.id] = c
        reading = read_sidecar_bytes(serialize.serialize(model), for_saving=True)
        assert reading.model is not None
        back = reading.model.images[img.key]
        back.calcifications[c.id] = back.calcifications[c.id].moved(2.0, 0.0)
        saved = orjson.loads(serialize.serialize(reading.model))
        assert saved["images"][0]["calcifications"][0]["center"] == [7.0, 5.0]


class TestInvalidInput:
    def test_repeated_image_rejected(self) -> None:
        """The same image twice in a document is an error naming it."""
        model, _ = _model()
        data = serialize.to_dict(model)
        data["images"].append(data["images"][0])
        with pytest.raises(ValueError, match=r"1\.2\.3\.4 frame 0 appears twice"):
            serialize.from_dict(data)

    def test_cluster_with_unknown_member_rejected(self) -> None:
        """A cluster naming a mark the image lacks is an error naming both."""
        model, _ = _model()
        data = serialize.to_dict(model)
        data["images"][0]["clusters"].append({"id": "k", "state": "confirmed", "member_ids": ["ghost"]})
        with pytest.raises(ValueError, match="cluster k names unknown calcifications ghost"):
            serialize.from_dict(data)

    def test_unwritable_value_is_a_sidecar_error(self) -> None:
        """A model that cannot form a valid document raises SidecarError, never writes junk."""
        model, img = _model()
        img.rows = -1
        with pytest.raises(SidecarError, match="/images/0/rows"):
            serialize.serialize(model)

    def test_non_finite_number_is_never_written(self) -> None:
        """An infinite coordinate that got past the model is refused, not written as null."""
        model, img = _model()
        c = Calcification.create((5, 5), [(0, 0), (10, 0), (10, 10)], SPACING)
        assert c.outline is not None
        object.__setattr__(c, "outline", ((math.inf, 0.0), *c.outline[1:]))
        img.calcifications[c.id] = c
        with pytest.raises(SidecarError, match="/images/0/calcifications/0/outline/0/0 is not a finite"):
            serialize.serialize(model)

    def test_finite_marks_are_not_walked(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Marks whose text reads back as they are skip the search for a non-finite number (~20 us each)."""
        model, img = _model()
        for i in range(50):
            c = Calcification.create((5 + i, 5), [(i, 0), (10 + i, 0), (10 + i, 10)], SPACING)
            img.calcifications[c.id] = c
        img.calcifications["p"] = replace(Calcification.create((3, 4), None, SPACING), id="p")
        walked: list[str] = []
        original = serialize.non_finite

        def counted(data: object, where: str = "") -> str | None:
            walked.append(where)
            return original(data, where)

        monkeypatch.setattr(serialize, "non_finite", counted)
        serialize.serialize(model)
        assert [w for w in walked if "/calcifications/" in w] == []


class TestSchemaMatchesModel:
    def test_enums(self) -> None:
        """The schema's enums list exactly the model's spacing sources and cluster states."""
        defs = schema.schema()["definitions"]
        assert set(defs["spacing"]["properties"]["source"]["enum"]) == {s.value for s in SpacingSource}
        assert set(defs["cluster"]["properties"]["state"]["enum"]) == {s.value for s in ClusterState}
