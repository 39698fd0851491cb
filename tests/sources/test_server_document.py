"""Tests of viewer.sources.server_document: a reader's part is read like an annotation file."""

from __future__ import annotations

import pytest

from tests.fixtures.point_marks import STUDY_UID, point_marks
from viewer.core.annotations import Cluster, ClusterState
from viewer.sources.server_document import SharedAnnotations
from viewer.store.errors import SidecarError
from viewer.store.serialize import to_dict

WHERE = "http://pacs.example/dicom-web/studies/1.2.3"


def shared(*models_by_key: tuple[str, dict[str, object]]) -> SharedAnnotations:
    return SharedAnnotations(STUDY_UID, dict(models_by_key))


class TestReaderParts:
    def test_a_part_round_trips(self) -> None:
        """A reader's part comes back as the annotations that were put in it."""
        model = point_marks("Ann", [(10, 10), (50, 50)])
        back = shared(("ann", to_dict(model))).model("ann", WHERE)
        assert back.count() == model.count() and back.reader == "Ann"

    def test_an_inconsistent_part_is_refused_naming_the_study_and_reader(self) -> None:
        """A cluster of an unknown mark passes the schema but not the model stage: refused, named."""
        model = point_marks("Ann", [(10, 10)])
        image = next(iter(model.images.values()))
        image.clusters["k"] = Cluster("k", ("no-such-mark",), ClusterState.CONFIRMED)
        doc = shared(("ann", to_dict(model)))
        with pytest.raises(SidecarError, match=rf"^{WHERE} \(reader ann\) is inconsistent \(.*no-such-mark"):
            doc.model("ann", WHERE)
        models, problems = doc.models(WHERE)
        assert models == {} and len(problems) == 1 and "(reader ann)" in problems[0]
