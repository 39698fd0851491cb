"""Publish: the reader's marks as a TID 1500 SR stored on a real Orthanc, valid for dciodvfy."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import pydicom
import pytest

from tests.fixtures.dciodvfy import dciodvfy_errors
from tests.fixtures.orthanc_server import OrthancServer
from tests.fixtures.pacs_clients import add_mark, open_from_server
from viewer.core.annotations import StudyAnnotations
from viewer.dicom.study import open_study
from viewer.session.publish import publish_sr
from viewer.sources.dicomweb import DicomwebServer, ServerError
from viewer.sources.pacs_cache import StudyCache


class TestPublish:
    def test_sr_on_the_server_is_valid_and_reloads(
        self, own_orthanc: OrthancServer, demo_files: list[Path], tmp_path: Path
    ) -> None:
        """The published report joins the study on the server, passes dciodvfy and reloads."""
        uid = str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)
        study = open_from_server(own_orthanc.dicomweb, uid, tmp_path / "cache")
        model = StudyAnnotations("Alice", uid)
        marks = [add_mark(model, study, i) for i in range(3)] + [add_mark(model, study, 9, view="LMLO")]
        published = publish_sr(own_orthanc.dicomweb, study.images[0].path.parent.parent, model)
        assert published.messages == []
        server = DicomwebServer(own_orthanc.dicomweb)
        srs = [r for r in server.instances(uid) if r.sop_instance_uid == published.sop_instance_uid]
        assert len(srs) == 1
        assert srs[0].sop_class_uid == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
        ds = server.client.retrieve_instance(uid, srs[0].series_uid, srs[0].sop_instance_uid)
        path = tmp_path / "published.dcm"
        ds.save_as(path, enforce_file_format=True)
        assert dciodvfy_errors(path) == []
        report = hd.sr.srread(path)
        assert isinstance(report.content, hd.sr.MeasurementReport)
        groups = report.content.get_planar_roi_measurement_groups()
        assert len(groups) == len(marks)
        assert ds.PatientID == pydicom.dcmread(demo_files[0], stop_before_pixels=True).PatientID
        # the presentation state went with it: on the server, valid, the marks' outlines on their images
        (state_uid,) = published.presentation_states
        (ref,) = [r for r in server.instances(uid) if r.sop_instance_uid == state_uid]
        assert ref.sop_class_uid == pydicom.uid.GrayscaleSoftcopyPresentationStateStorage
        state = server.client.retrieve_instance(uid, ref.series_uid, ref.sop_instance_uid)
        state_path = tmp_path / "published-gsps.dcm"
        state.save_as(state_path, enforce_file_format=True)
        assert dciodvfy_errors(state_path) == []
        drawn = [
            obj for item in state.GraphicAnnotationSequence for obj in item.get("GraphicObjectSequence", [])
        ]
        assert len(drawn) == len(marks)
        # the images are still the study's images; the SR is one more object, not an image
        again = open_study([server.retrieve_study(uid, StudyCache(tmp_path / "cache2"))])
        assert len(again.by_view()) == 4
        assert any(p.skipped for p in again.problems)

    def test_nothing_to_publish(
        self, own_orthanc: OrthancServer, demo_files: list[Path], tmp_path: Path
    ) -> None:
        """A reader with no mark on the study's images is told there is nothing to publish."""
        uid = str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)
        study = open_from_server(own_orthanc.dicomweb, uid, tmp_path / "cache")
        with pytest.raises(ServerError, match="nothing to publish"):
            publish_sr(
                own_orthanc.dicomweb, study.images[0].path.parent.parent, StudyAnnotations("Alice", uid)
            )
