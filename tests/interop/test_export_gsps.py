"""Tests of viewer.interop.gsps: presentation states with the outlines, valid for dciodvfy."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from tests.fixtures.dciodvfy import dciodvfy_errors
from tests.fixtures.dicom_files import make_dataset, write_dicom, write_tomo
from tests.fixtures.synthetic_study import write_study
from viewer.core.annotations import Calcification, StudyAnnotations
from viewer.dicom.study import open_study
from viewer.interop.exports import export_studies
from viewer.interop.gsps import export_gsps
from viewer.interop.options import ExportOptions
from viewer.store.sidecar import sidecar_path
from viewer.store.study_tree import AnnotatedStudy, load_studies


def _annotations(ds: Dataset) -> dict[str, list[Dataset]]:
    """The state's graphic annotation items by layer name."""
    out: dict[str, list[Dataset]] = {}
    for item in ds.GraphicAnnotationSequence:
        out.setdefault(str(item.GraphicLayer), []).append(item)
    return out


class TestSyntheticStudy:
    @pytest.fixture
    def exported(self, tmp_path: Path) -> tuple[StudyAnnotations, Path]:
        model = write_study(tmp_path / "study")
        files, messages = export_gsps(load_studies(tmp_path)[0], tmp_path / "out", ExportOptions())
        assert messages == [] and len(files) == 1
        return model, files[0]

    def test_valid_and_reloads(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """The state passes dciodvfy with no error and reads back as a GSPS of the study."""
        model, path = exported
        assert dciodvfy_errors(path) == []
        ds = pydicom.dcmread(path)
        assert ds.SOPClassUID == pydicom.uid.GrayscaleSoftcopyPresentationStateStorage
        assert ds.StudyInstanceUID == model.study_instance_uid and ds.ContentLabel == "CALCIFICATIONS"
        assert {str(i.GraphicLayer) for i in ds.GraphicLayerSequence} == {"CALCIFICATIONS", "CLUSTERS"}

    def test_outlines_on_their_images(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """Each mark's outline is a closed polyline shifted +0.5 on its image; a point mark a POINT."""
        model, path = exported
        layers = _annotations(pydicom.dcmread(path))
        by_image = {
            str(item.ReferencedImageSequence[0].ReferencedSOPInstanceUID): item
            for item in layers["CALCIFICATIONS"]
        }
        for image in model.images.values():
            if not image.calcifications:
                continue
            objects = by_image[image.sop_instance_uid].GraphicObjectSequence
            assert len(objects) == len(image.calcifications)
            for calc, obj in zip(image.calcifications.values(), objects, strict=True):
                data = np.asarray(obj.GraphicData, dtype=float).reshape(-1, 2)
                assert obj.GraphicAnnotationUnits == "PIXEL"
                if calc.outline is None:
                    assert obj.GraphicType == "POINT"
                    np.testing.assert_allclose(data, [np.asarray(calc.center) + 0.5])
                else:
                    assert obj.GraphicType == "POLYLINE"
                    np.testing.assert_allclose(data, np.asarray([*calc.outline, calc.outline[0]]) + 0.5)

    def test_cluster_outline_and_text(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """The cluster is drawn on its own layer with its count and BI-RADS category as text."""
        _, path = exported
        (item,) = _annotations(pydicom.dcmread(path))["CLUSTERS"]
        (outline,) = item.GraphicObjectSequence
        assert outline.GraphicType == "POLYLINE" and len(outline.GraphicData) >= 8
        (text,) = item.TextObjectSequence
        assert text.UnformattedTextValue == "cluster k1: 5 calcifications, BI-RADS 4B"

    def test_deidentified_by_default(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """Patient attributes are empty and the reader a pseudonym, as in the SR."""
        ds = pydicom.dcmread(exported[1])
        assert str(ds.PatientName) == "" and ds.PatientID == "" and ds.PatientIdentityRemoved == "YES"
        assert "Dr" not in str(ds.ContentDescription)

    def test_export_format(self, tmp_path: Path) -> None:
        """``gsps`` is an export format of the one entry point the command and the window use."""
        write_study(tmp_path / "study")
        result = export_studies(load_studies(tmp_path)[0], "gsps", tmp_path / "out", ExportOptions(), [])
        assert [p.name.endswith(".gsps.dcm") for p in result.written] == [True]


REAL_FILES = {
    # windows and a VOI LUT, SIGMOID: the windows with their function are kept
    "fodicom_GH133_GE_SenographeEssential_MG.dcm": ("IDENTITY", "window", "SIGMOID"),
    "fodicom_CR-ModalitySequenceLUT.dcm": ("INVERSE", None, None),  # MONOCHROME1, a Modality LUT
    "pydicomdata_vlut_04.dcm": ("IDENTITY", "lut", None),  # a VOI LUT only
    "wg04_MG1_J2KI.dcm": ("IDENTITY", "window", None),  # JPEG 2000
}


class TestRealImages:
    @pytest.mark.parametrize(("name", "expected"), list(REAL_FILES.items()))
    def test_display_of_the_file_kept(
        self, shared_data: Path, tmp_path: Path, name: str, expected: tuple[str, str | None, str | None]
    ) -> None:
        """A mark on a real image: dciodvfy clean, the image's polarity, Modality LUT and VOI kept."""
        folder = tmp_path / "study"
        folder.mkdir()
        shutil.copy(shared_data / name, folder / name)
        (image,) = open_study([folder]).images
        model = StudyAnnotations("Dr. B", image.study_instance_uid)
        record = model.ensure_image(image.annotation_record(0))
        outline = [(10.0, 10.0), (14.0, 10.0), (14.0, 14.0), (10.0, 14.0)]
        model.put_calcification(record.key, Calcification.create((12.0, 12.0), outline, record.spacing))
        study = AnnotatedStudy(folder, sidecar_path(folder, "Dr. B"), model)
        # the CR test file's own UIDs are not valid UIDs (999.999.01...): replaced, as an export may
        options = ExportOptions(replace_uids=name.startswith("fodicom_CR"))
        (path,), messages = export_gsps([study], tmp_path / "out", options)
        assert messages == []
        # a table copied as the file has it keeps what dciodvfy finds wrong with it (the CR file's
        # 16-bit Modality LUT holds 10-bit values); nothing else may be wrong
        inherited = {e for e in dciodvfy_errors(folder / name) if "LUT" in e}
        assert set(dciodvfy_errors(path)) <= inherited
        ds = pydicom.dcmread(path)
        source = pydicom.dcmread(folder / name, stop_before_pixels=True)
        shape, voi, function = expected
        assert ds.PresentationLUTShape == shape
        assert ("ModalityLUTSequence" in ds) == ("ModalityLUTSequence" in source)
        if voi is None:
            assert "SoftcopyVOILUTSequence" not in ds
            return
        (item,) = ds.SoftcopyVOILUTSequence
        if voi == "lut":
            table, original = item.VOILUTSequence[0], source.VOILUTSequence[0]
            assert list(table.LUTDescriptor) == list(original.LUTDescriptor)
            words = np.frombuffer(table.LUTData, dtype=np.uint16)
            np.testing.assert_array_equal(words, np.asarray(original.LUTData, dtype=np.uint16))
        else:
            centers = [float(c) for c in np.atleast_1d(source.WindowCenter)]
            assert [float(c) for c in np.atleast_1d(item.WindowCenter)] == centers
            assert item.get("VOILUTFunction") == function and "VOILUTSequence" not in item


def _one_mark_study(folder: Path, reader: str = "Dr. C") -> AnnotatedStudy:
    """The only image of ``folder`` with one 4 px square mark, as an annotated study."""
    (image,) = open_study([folder]).images
    model = StudyAnnotations(reader, image.study_instance_uid)
    record = model.ensure_image(image.annotation_record(0))
    outline = [(10.0, 10.0), (14.0, 10.0), (14.0, 14.0), (10.0, 14.0)]
    model.put_calcification(record.key, Calcification.create((12.0, 12.0), outline, record.spacing))
    return AnnotatedStudy(folder, sidecar_path(folder, reader), model)


class TestImageKinds:
    def test_monochrome1_mammogram(self, tmp_path: Path) -> None:
        """A MONOCHROME1 mammogram with a SIGMOID window: INVERSE, its window kept, dciodvfy clean."""
        folder = tmp_path / "study"
        folder.mkdir()
        ds = make_dataset(
            photometric="MONOCHROME1",
            WindowCenter=2048,
            WindowWidth=4096,
            VOILUTFunction="SIGMOID",
            ImageLaterality="L",
            ImagerPixelSpacing=[0.1, 0.1],
        )
        write_dicom(ds, folder / "m1.dcm")
        (path,), messages = export_gsps([_one_mark_study(folder)], tmp_path / "out", ExportOptions())
        assert messages == [] and dciodvfy_errors(path) == []
        state = pydicom.dcmread(path)
        assert state.PresentationLUTShape == "INVERSE" and state.Laterality == "L"
        (voi,) = state.SoftcopyVOILUTSequence
        assert (float(voi.WindowCenter), voi.VOILUTFunction) == (2048.0, "SIGMOID")

    def test_tomosynthesis_left_out(self, tmp_path: Path) -> None:
        """A multi-frame image keeps its display per frame: no state for it, and a message saying so."""
        folder = write_tomo(tmp_path / "tomo", 3)
        files, messages = export_gsps([_one_mark_study(folder)], tmp_path / "out", ExportOptions())
        assert files == [] and len(messages) == 1 and "several frames" in messages[0]
