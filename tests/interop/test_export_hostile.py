"""Exports of crafted data: every file inside --out, nothing of the profile's list carried over."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset

from tests.fixtures.synthetic_study import write_study
from viewer.interop.deidentify import KEPT
from viewer.interop.exports import export_path
from viewer.interop.options import ExportOptions
from viewer.store import sidecar
from viewer.store.study_tree import load_studies

# Attributes of PS3.15 Table E.1-1 (Basic Profile: D, Z, X, U ...) set in the source with a
# value no export may contain; the list is the test's, independent of the code's kept list.
PROFILE_VALUES: dict[str, Any] = {
    "PatientName": "Leak^Patient",
    "PatientID": "LEAK-PID-77",
    "PatientBirthDate": "19451231",
    "PatientBirthTime": "235959",
    "PatientSex": "F",
    "PatientAge": "079Y",
    "PatientWeight": "61.5",
    "PatientAddress": "1 Leak Street",
    "PatientTelephoneNumbers": "555-0177",
    "PatientComments": "LEAK comment",
    "PatientMotherBirthName": "Leak^Mother",
    "OtherPatientNames": "Leak^Other",
    "OtherPatientIDs": "LEAK-OTHER-ID",
    "IssuerOfPatientID": "LEAK-ISSUER",
    "EthnicGroup": "LEAKETHNIC",
    "MedicalRecordLocator": "LEAK-MRL",
    "AdditionalPatientHistory": "LEAK history",
    "AdmittingDiagnosesDescription": "LEAK diagnosis",
    "AccessionNumber": "LEAKACC9",
    "StudyID": "LEAKSID",
    "StudyDate": "20011109",
    "StudyTime": "091530",
    "StudyDescription": "LEAK study description",
    "SeriesDescription": "LEAK series description",
    "ReferringPhysicianName": "Leak^Referrer",
    "PerformingPhysicianName": "Leak^Performer",
    "OperatorsName": "Leak^Operator",
    "PhysiciansOfRecord": "Leak^Record",
    "NameOfPhysiciansReadingStudy": "Leak^Reading",
    "InstitutionName": "LEAK Hospital",
    "InstitutionAddress": "2 Leak Road",
    "InstitutionalDepartmentName": "LEAK Radiology",
    "StationName": "LEAKSTATION",
    "DeviceSerialNumber": "LEAK-SN-1",
    "RequestingPhysician": "Leak^Requester",
    "RequestedProcedureDescription": "LEAK procedure",
    "ImageComments": "LEAK image comment",
    "AcquisitionDate": "20011108",
    "ContentDate": "20011107",
    "SeriesDate": "20011106",
}


@contextlib.contextmanager
def _writing_unchecked() -> Iterator[None]:
    """pydicom writes values that break the UI rules, as a crafted file would hold them."""
    before = pydicom.config.settings.writing_validation_mode
    pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
    try:
        yield
    finally:
        pydicom.config.settings.writing_validation_mode = before


def _leaky_study(root: Path, *, birth_date: bool = True, preamble: bool = True) -> Path:
    """The synthetic study with every value above in its headers; ``preamble=False`` writes each
    file as a bare dataset (no preamble, no ``DICM``, no file meta), as old writers did."""
    folder = root / "study"
    write_study(folder)
    for path in sorted(folder.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        for keyword, value in PROFILE_VALUES.items():
            setattr(ds, keyword, value)
        if not birth_date:
            del ds.PatientBirthDate
        if preamble:
            ds.save_as(path, enforce_file_format=True)
        else:
            ds.preamble = None
            del ds.file_meta
            pydicom.dcmwrite(path, ds, enforce_file_format=False, implicit_vr=False, little_endian=True)
    return folder


def _leaked(ds: Dataset) -> dict[str, Any]:
    """The profile's values found in ``ds``: the same value anywhere, or a distinctive one inside
    any text (short ones like "F" or a time also occur by chance inside UIDs and codes)."""
    values = _strings(ds)
    text = "\n".join(values)
    return {k: v for k, v in PROFILE_VALUES.items() if v in values or (len(v) >= 8 and v in text)}


def _strings(ds: Dataset) -> list[str]:
    found: list[str] = []
    for element in ds.iterall():
        if element.VR != "SQ" and element.value is not None:
            found.append(str(element.value))
    return found


class TestDeidentifiedSr:
    def test_no_profile_value_in_sr(self, tmp_path: Path) -> None:
        """The default SR holds none of the source's values of the profile's attributes."""
        folder = _leaky_study(tmp_path)
        result = export_path(folder, "sr", tmp_path / "out", ExportOptions())
        (path,) = result.written
        sr = pydicom.dcmread(path)
        assert not _leaked(sr)
        for keyword in PROFILE_VALUES:
            for element in sr.iterall():
                if element.keyword == keyword:
                    assert str(element.value) != PROFILE_VALUES[keyword], keyword
        assert sr.PatientIdentityRemoved == "YES"
        codes = {item.CodeValue for item in sr.DeidentificationMethodCodeSequence}
        assert codes == {"113100", "113110"}  # Basic Profile, Retain UIDs Option

    @pytest.mark.parametrize("fmt", ["sr", "gsps"])
    def test_source_without_preamble(self, tmp_path: Path, fmt: str) -> None:
        """Images written without preamble or file meta (they open in the viewer) are in the SR and
        the presentation state, with every mark, de-identified: they were skipped, '0 files'."""
        folder = _leaky_study(tmp_path, preamble=False)
        assert pydicom.dcmread(next(folder.glob("*.dcm")), force=True).preamble is None
        result = export_path(folder, fmt, tmp_path / "out", ExportOptions())
        assert not result.messages
        (path,) = result.written
        ds = pydicom.dcmread(path)
        assert not _leaked(ds) and ds.PatientIdentityRemoved == "YES"
        sources = {pydicom.dcmread(p, force=True).SOPInstanceUID for p in folder.glob("*.dcm")}
        referenced = {e.value for e in ds.iterall() if e.keyword == "ReferencedSOPInstanceUID"}
        assert referenced == sources

    def test_no_profile_value_in_gsps(self, tmp_path: Path) -> None:
        """The default presentation state holds none of the source's values of the profile either."""
        folder = _leaky_study(tmp_path)
        (path,) = export_path(folder, "gsps", tmp_path / "out", ExportOptions()).written
        gsps = pydicom.dcmread(path)
        assert not _leaked(gsps)
        assert gsps.PatientIdentityRemoved == "YES"
        assert {item.CodeValue for item in gsps.DeidentificationMethodCodeSequence} == {"113100", "113110"}

    def test_kept_list_has_no_profile_attribute(self) -> None:
        """The code's kept list names none of the attributes above."""
        assert not set(KEPT) & set(PROFILE_VALUES)

    def test_keep_identity_keeps_them(self, tmp_path: Path) -> None:
        """--keep-identity is the opt-out: the patient's name is in the SR."""
        folder = _leaky_study(tmp_path)
        result = export_path(folder, "sr", tmp_path / "out", ExportOptions(keep_identity=True))
        sr = pydicom.dcmread(result.written[0])
        assert str(sr.PatientName) == "Leak^Patient" and "PatientIdentityRemoved" not in sr

    @pytest.mark.parametrize("keep", [False, True])
    def test_source_without_birth_date(self, tmp_path: Path, keep: bool) -> None:
        """A source without Patient Birth Date exports (it crashed the SR before)."""
        folder = _leaky_study(tmp_path, birth_date=False)
        result = export_path(folder, "sr", tmp_path / "out", ExportOptions(keep_identity=keep))
        assert pydicom.dcmread(result.written[0]).PatientBirthDate == ""

    def test_uids_replaced_consistently(self, tmp_path: Path) -> None:
        """replace_uids: no source UID in the SR; one study UID throughout; references agree."""
        folder = _leaky_study(tmp_path)
        sources = [pydicom.dcmread(p) for p in sorted(folder.glob("*.dcm"))]
        result = export_path(folder, "sr", tmp_path / "out", ExportOptions(replace_uids=True))
        sr = pydicom.dcmread(result.written[0])
        text = "\n".join(_strings(sr))
        for ds in sources:
            assert ds.SOPInstanceUID not in text and ds.StudyInstanceUID not in text
        evidence = sr.CurrentRequestedProcedureEvidenceSequence
        assert [item.StudyInstanceUID for item in evidence] == [sr.StudyInstanceUID]
        referenced = {
            r.ReferencedSOPInstanceUID
            for item in evidence
            for s in item.ReferencedSeriesSequence
            for r in s.ReferencedSOPSequence
        }
        assert len(referenced) == 2
        codes = {item.CodeValue for item in sr.DeidentificationMethodCodeSequence}
        assert codes == {"113100"}

    @pytest.mark.parametrize("fmt", ["coco", "inbreast", "csv"])
    def test_uids_replaced_in_every_format(self, tmp_path: Path, fmt: str) -> None:
        """replace_uids reaches COCO and INbreast too (they wrote the source UIDs, in the JSON and
        in the file names): no source SOP, series or study UID in any file written or its name."""
        folder = _leaky_study(tmp_path)
        sources = [pydicom.dcmread(p) for p in sorted(folder.glob("*.dcm"))]
        result = export_path(folder, fmt, tmp_path / "out", ExportOptions(replace_uids=True))
        assert result.written
        for path in result.written:
            text = path.read_text(encoding="utf-8-sig") + str(path.relative_to(tmp_path / "out"))
            for ds in sources:
                for uid in (ds.SOPInstanceUID, ds.SeriesInstanceUID, ds.StudyInstanceUID):
                    assert uid not in text, (fmt, path.name, uid)
        if fmt == "coco":
            images = json.loads(result.written[0].read_text(encoding="utf-8"))["images"]
            # one new UID an image: its file name is its (new) SOP Instance UID
            assert all(i["file_name"] == f"{i['sop_instance_uid']}.dcm" for i in images)


class TestPathsStayInside:
    def _hostile(self, root: Path, reader: str) -> Path:
        """A study whose DICOM files and sidecar carry UIDs that are paths."""
        folder = root / "study"
        model = write_study(folder, reader=reader)
        path = sidecar.sidecar_path(folder, reader)
        doc = sidecar.to_dict(model)
        renamed = {}
        for n, img in enumerate(doc["images"]):
            renamed[img["sop_instance_uid"]] = ["../../../escaped", "/tmp/absolute"][n]
            img["sop_instance_uid"] = renamed[img["sop_instance_uid"]]
            img["study_instance_uid"] = "/etc/evil"
        doc["study_instance_uid"] = "/etc/evil"
        sidecar.write_atomic(path, sidecar.serialize(sidecar.from_dict(doc)))
        with _writing_unchecked():
            for file in sorted(folder.glob("*.dcm")):
                ds = pydicom.dcmread(file)
                ds.SOPInstanceUID = renamed[ds.SOPInstanceUID]
                ds.StudyInstanceUID = "/etc/evil"
                ds.save_as(file)
        return folder

    @pytest.mark.parametrize("fmt", ["inbreast", "sr", "csv", "coco"])
    @pytest.mark.parametrize("keep", [False, True])
    def test_every_file_inside_out(self, tmp_path: Path, fmt: str, keep: bool) -> None:
        """UIDs of '../..' or absolute paths and a reader named '../x': all files land inside --out."""
        folder = self._hostile(tmp_path / "in", "../../x")
        out = tmp_path / "exports" / "out"
        before = set((tmp_path).rglob("*"))
        result = export_path(folder, fmt, out, ExportOptions(keep_identity=keep))
        made = set(tmp_path.rglob("*")) - before
        files = {p for p in made if p.is_file()}
        assert files, result.messages
        for path in files | set(result.written):
            assert out.resolve() in path.resolve().parents, path

    def test_two_readers_inbreast_folders(self, tmp_path: Path) -> None:
        """INbreast folders per reader come from safe names; two readers do not share one."""
        root = tmp_path / "in"
        write_study(root / "a", reader="../up")
        write_study(root / "b", reader="..\\up")
        out = tmp_path / "out"
        result = export_path(root, "inbreast", out, ExportOptions(keep_identity=True))
        folders = {p.parent for p in result.written}
        assert len(folders) == 2 and all(f.parent == out for f in folders)


def test_load_studies_sees_hostile_files(tmp_path: Path) -> None:
    """The crafted study loads as an annotated study (the export has something to write)."""
    folder = TestPathsStayInside()._hostile(tmp_path, "r")
    studies, problems = load_studies(folder)
    assert len(studies) == 1 and not problems


def test_method_fits_its_vr() -> None:
    """De-identification Method is LO: at most 64 characters (dciodvfy refuses more)."""
    from viewer.interop.deidentify import METHOD

    assert len(METHOD) <= 64
