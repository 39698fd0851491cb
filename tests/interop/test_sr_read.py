"""Tests of viewer.interop.sr_read: measurement reports read back as another reader's marks."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import highdicom as hd
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sr._cid_dict import cid_concepts
from pydicom.sr.codedict import codes

from tests.fixtures.synthetic_study import write_study
from viewer.core.annotations import ClusterState, StudyAnnotations
from viewer.core.geometry import Spacing, SpacingSource
from viewer.interop.options import ExportOptions
from viewer.interop.sr import (
    DISTRIBUTION_CODES,
    MORPHOLOGY_CODES,
    SPACING_METHODS,
    _mm_measurements,
    export_sr,
    spacing_source_of,
)
from viewer.interop.sr_read import ReportError, ReportFiles, read_report, reports_in
from viewer.store.study_tree import load_studies


@pytest.fixture
def exported(tmp_path: Path) -> tuple[StudyAnnotations, Path]:
    """The synthetic study's marks and the SR written from them (in the study folder)."""
    model = write_study(tmp_path / "study")
    files, messages = export_sr(
        load_studies(tmp_path)[0], tmp_path / "study", ExportOptions(keep_identity=True)
    )
    assert messages == [] and len(files) == 1
    return model, files[0]


class TestOurReport:
    def test_marks_come_back(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """Every calcification returns on its image with its outline, a point mark as a point."""
        model, path = exported
        reading = read_report(path)
        assert reading.reader == "Dr. A" and reading.study_instance_uid == model.study_instance_uid
        assert reading.skipped == [] and reading.shapes == []
        for key, image in model.images.items():
            back = reading.model.images[key]
            assert set(back.calcifications) == set(image.calcifications)
            for calc in image.calcifications.values():
                again = back.calcifications[calc.id]
                assert again.morphology == calc.morphology  # CID 6010 code and back
                if calc.outline is None:
                    assert again.outline is None and again.center == pytest.approx(calc.center, abs=1e-4)
                else:
                    assert again.outline is not None
                    assert [p for q in again.outline for p in q] == pytest.approx(
                        [p for q in calc.outline for p in q], abs=1e-4
                    )
                    # the 3x3 squares' centres are their vertices' mean
                    assert again.center == pytest.approx(calc.center, abs=1e-4)

    def test_deidentified_report_names_the_pseudonym(self, tmp_path: Path) -> None:
        """A de-identified export reads back under the pseudonym it was written with."""
        write_study(tmp_path / "study")
        files, _ = export_sr(load_studies(tmp_path)[0], tmp_path / "out", ExportOptions())
        assert read_report(files[0]).reader == "reader-1"

    def test_cluster_with_its_members(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """A cluster comes back confirmed, holding the calcifications inside its outline."""
        model, path = exported
        reading = read_report(path)
        for key, image in model.images.items():
            for cluster in image.clusters.values():
                again = reading.model.images[key].clusters[cluster.id]
                assert again.state is ClusterState.CONFIRMED
                assert set(again.member_ids) == set(cluster.member_ids)
                assert (again.morphology, again.distribution) == (cluster.morphology, cluster.distribution)

    def test_sizes_keep_their_spacing_source(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """Each length and area names the spacing it was measured with, and its value is the mark's."""
        model, path = exported
        reading = read_report(path)
        for key, image in model.images.items():
            for calc in image.calcifications.values():
                if calc.sizes is None:
                    assert (key, calc.id) not in reading.measurements or not reading.measurements[
                        (key, calc.id)
                    ]
                    continue
                found = {m.name: m for m in reading.measurements[(key, calc.id)]}
                assert found["Length"].value == pytest.approx(calc.sizes.long_axis_mm)
                assert found["Area"].value == pytest.approx(calc.sizes.area_mm2)
                assert found["Length"].spacing_source is calc.sizes.spacing.source
                assert found["Area"].unit == "mm2"

    def test_outlines_measured_with_the_open_images_spacing(
        self, exported: tuple[StudyAnnotations, Path]
    ) -> None:
        """Sizes of the marks read back use the spacing the caller gives for the image."""
        _, path = exported
        spacing = Spacing(0.05, 0.05, SpacingSource.PIXEL_SPACING, "mm")
        reading = read_report(path, lambda key: spacing)
        calc = next(c for i in reading.model.images.values() for c in i.calcifications.values() if c.sizes)
        assert calc.sizes is not None and calc.sizes.spacing == spacing
        assert calc.sizes.area_mm2 == pytest.approx(9 * 0.05 * 0.05)

    @pytest.mark.parametrize("source", list(SPACING_METHODS))
    def test_every_spacing_source_round_trips(self, source: SpacingSource) -> None:
        """The Measurement Method code of each source reads back as that source (ERMF is not IPS)."""
        spacing = Spacing(0.07, 0.07, source, "mm", ermf=1.1 if "ermf" in source.value else None)
        (length,) = _mm_measurements(1.0, None, spacing)
        method = next(
            i for i in length[0].ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "370129005"
        )
        code = method.ConceptCodeSequence[0]
        assert spacing_source_of(code.CodeValue, code.CodingSchemeDesignator) is source

    def test_uncalibrated_sizes_name_no_source(self) -> None:
        """Without a spacing there is no method: nothing claims a source it did not have."""
        (length,) = _mm_measurements(1.0, None, Spacing.uncalibrated())
        assert "ContentSequence" not in length[0]

    def test_scheme_identified_in_the_file(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """The private coding scheme of the spacing sources is declared, as PS3.3 asks."""
        ds = pydicom.dcmread(exported[1])
        assert [i.CodingSchemeDesignator for i in ds.CodingSchemeIdentificationSequence] == ["99MAMMOVIEWER"]


class TestOtherToolsReport:
    def test_dwv_ruler(self, shared_data: Path) -> None:
        """dwv's TID 1500 ruler report: three lines, 4.03 mm each, on its MR image; no calcification."""
        path = shared_data / "dwv_tid1500_sr-ruler.dcm"
        reading = read_report(path)
        assert reading.model.images == {} and reading.skipped == []
        assert len(reading.shapes) == 3
        ref = pydicom.dcmread(path).CurrentRequestedProcedureEvidenceSequence[0]
        image_uid = ref.ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID
        for shape in reading.shapes:
            assert shape.key == (image_uid, 0) and shape.graphic_type == "POLYLINE" and len(shape.points) == 2
            assert [m.text for m in shape.measurements] == ["Length 4.03 mm"]
            assert shape.text == "Length 4.03 mm"  # dwv's "{length}" template is not shown
        (a, b) = reading.shapes[0].points
        # graphic data (3.911, 5.848) -> (7.937, 5.848), pixel centres moved to integers
        assert [*a, *b] == pytest.approx([3.41139245, 5.34810114, 7.43670893, 5.34810114])

    def test_not_a_report(self, tmp_path: Path) -> None:
        """An image, a text SR and a text file each give a message naming the file."""
        write_study(tmp_path / "study")
        with pytest.raises(ReportError, match=r"cc\.dcm: not a structured report"):
            read_report(tmp_path / "study" / "cc.dcm")
        text = tmp_path / "notes.dcm"
        text.write_text("not DICOM")
        with pytest.raises(ReportError, match=r"notes\.dcm"):
            read_report(text)
        basic = hd.sr.EnhancedSR(
            evidence=[pydicom.dcmread(tmp_path / "study" / "cc.dcm")],
            content=_text_container(),
            series_instance_uid=hd.UID(),
            series_number=1,
            sop_instance_uid=hd.UID(),
            instance_number=1,
        )
        basic.save_as(tmp_path / "basic.dcm", enforce_file_format=True)
        with pytest.raises(
            ReportError, match=r"basic\.dcm: a structured report, but not a measurement report"
        ):
            read_report(tmp_path / "basic.dcm")


def _text_container() -> Dataset:
    item = hd.sr.ContainerContentItem(name=codes.DCM.Finding, template_id="2000")
    item.ContentSequence = pydicom.Sequence(
        [hd.sr.TextContentItem(name=codes.DCM.Finding, value="no comment", relationship_type="CONTAINS")]
    )
    return item


class TestReportsInFolder:
    def test_finds_the_studys_reports(
        self, exported: tuple[StudyAnnotations, Path], shared_data: Path
    ) -> None:
        """Reports of the study are read; images, another study's report and text files are passed over."""
        model, path = exported
        folder = path.parent
        shutil.copy(shared_data / "dwv_tid1500_sr-ruler.dcm", folder / "dwv.dcm")  # another study
        (folder / "notes.txt").write_text("hello")
        readings, problems = reports_in(folder, model.study_instance_uid)
        assert [r.path for r in readings] == [path] and problems == []
        (folder / "series").mkdir()
        shutil.move(path, folder / "series" / path.name)  # a server's study: a folder per series
        readings, _ = reports_in(folder, model.study_instance_uid)
        assert [r.path for r in readings] == [folder / "series" / path.name]
        hidden = folder.parent / ".cache" / "study"  # the user cache folder is often a hidden one
        shutil.copytree(folder, hidden)
        assert len(reports_in(hidden, model.study_instance_uid)[0]) == 1
        shutil.copytree(folder, hidden / ".trash")  # but a hidden folder inside the study is not read
        assert len(reports_in(hidden, model.study_instance_uid)[0]) == 1
        everything, _ = reports_in(folder, "")
        assert sorted(r.path.name for r in everything) == sorted([path.name, "dwv.dcm"])

    def test_files_read_once_while_unchanged(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """With the files of an earlier call, an unchanged file is not read again; a changed one is."""
        model, path = exported
        files = ReportFiles()
        first, _ = reports_in(path.parent, model.study_instance_uid, files=files)
        read = files.reads
        assert [r.path for r in first] == [path] and read == len(list(path.parent.iterdir()))
        # the same size and time but other bytes: taken for the same file, so not read again
        st = path.stat()
        path.write_bytes(b"x" * st.st_size)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        again, _ = reports_in(path.parent, model.study_instance_uid, files=files)
        assert files.reads == read and [r.path for r in again] == [path]
        assert again[0].model.images.keys() == first[0].model.images.keys()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # changed: read again
        changed, _ = reports_in(path.parent, model.study_instance_uid, files=files)
        assert files.reads == read + 1 and changed == []


class TestCodedDescriptors:
    def test_every_lexicon_term_has_its_context_groups_code(self) -> None:
        """Each BI-RADS morphology and distribution of the lexicon but "indeterminate" has a code of
        CID 6010 / CID 6012 (pydicom's tables), and no two share one."""
        lexicon = json.loads((Path(__file__).parents[2] / "resources" / "birads.json").read_text())
        for set_name, table, cid in (
            ("morphology", MORPHOLOGY_CODES, 6010),
            ("distribution", DISTRIBUTION_CODES, 6012),
        ):
            ids = {label["id"] for label in lexicon["sets"][set_name]["labels"]} - {"indeterminate"}
            assert set(table) == ids
            members = {
                (getattr(getattr(codes, scheme), name).value, scheme)
                for scheme, names in cid_concepts[cid].items()
                for name in names
            }
            assert {(c.value, c.scheme_designator) for c in table.values()} <= members
            assert len({c.value for c in table.values()}) == len(table)


class TestDamagedReports:
    def test_item_without_its_value(self, exported: tuple[StudyAnnotations, Path], tmp_path: Path) -> None:
        """A TEXT item that lost its value: a message naming the file, no exception escapes."""
        ds = pydicom.dcmread(exported[1])
        for seq_item in _items(ds):
            if "TextValue" in seq_item:
                del seq_item.TextValue
                break
        ds.save_as(tmp_path / "damaged.dcm")
        with pytest.raises(ReportError, match=r"damaged\.dcm: the report's content cannot be read"):
            read_report(tmp_path / "damaged.dcm")

    @pytest.mark.parametrize("fraction", [0.5, 0.75, 0.9, 0.99])
    def test_cut_short_is_refused(
        self, exported: tuple[StudyAnnotations, Path], tmp_path: Path, fraction: float
    ) -> None:
        """A copy of the report cut short inside its content: refused naming the file, no partial reading."""
        data = exported[1].read_bytes()
        cut = tmp_path / "cut.sr.dcm"
        cut.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(ReportError, match=r"^cut\.sr\.dcm: is cut short"):
            read_report(cut)

    def test_cut_short_with_undefined_lengths(
        self, exported: tuple[StudyAnnotations, Path], tmp_path: Path
    ) -> None:
        """Another writer's sequences of undefined length, cut before their delimiters: refused too."""
        ds = pydicom.dcmread(exported[1])
        for elem in ds.iterall():
            if elem.VR == "SQ":
                elem.is_undefined_length = True
                for item in elem.value:
                    item.is_undefined_length_sequence_item = True
        whole = tmp_path / "whole.dcm"
        ds.save_as(whole)
        assert read_report(whole).model.images  # uncut, it reads
        data = whole.read_bytes()
        for fraction in (0.5, 0.8, 0.95):
            cut = tmp_path / "cut.dcm"
            cut.write_bytes(data[: int(len(data) * fraction)])
            with pytest.raises(ReportError, match=r"^cut\.dcm: is cut short"):
                read_report(cut)

    def test_cut_short_report_in_a_folder_is_a_problem(self, exported: tuple[StudyAnnotations, Path]) -> None:
        """Among a study's files, the cut report is named as a problem, not listed as a reading."""
        model, path = exported
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) * 2 // 3])
        readings, problems = reports_in(path.parent, model.study_instance_uid)
        assert readings == [] and len(problems) == 1 and f"{path.name}: is cut short" in problems[0]


def _items(ds: Dataset) -> list[Dataset]:
    out: list[Dataset] = []
    for item in ds.get("ContentSequence", []):
        out.append(item)
        out += _items(item)
    return out
