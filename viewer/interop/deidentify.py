"""What an export copies from a source image's header: a kept list (DICOM PS3.15 Annex E).

The Basic Application Level Confidentiality Profile (PS3.15 E.1, Table E.1-1) lists the
attributes that identify a patient, a visit, a person or a device. Rather than remove those
from a copy of the header (a removed list misses every attribute it forgot: Other Patient
Names, Patient Comments, Admitting Diagnoses ...), a de-identified export builds each source
reference from :data:`KEPT` only: the UIDs that reference the image and the attributes that
describe what the image is, none of them in Table E.1-1 except the UIDs. The patient and
study attributes an SR must carry (Type 2) are written empty (:data:`EMPTIED`, action Z).

UIDs are kept by default (the Retain UIDs Option, E.3.9: the export must still point at the
images it annotates); ``ExportOptions.replace_uids`` replaces each by a new one, the same
within one export (action U). ``--keep-identity`` copies the header as it is.
"""

from __future__ import annotations

import copy

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes

from viewer.interop.options import ExportOptions

UID_ATTRIBUTES = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID")
"""The instance UIDs of Table E.1-1 an export keeps (or replaces consistently)."""

KEPT = (
    "SOPClassUID",
    *UID_ATTRIBUTES,
    "Modality",
    "NumberOfFrames",
    "Rows",
    "Columns",
    "ImageLaterality",
    "Laterality",
    "ViewPosition",
    "PresentationIntentType",
)
"""Everything a de-identified export copies from a source header (none identifies anyone)."""

EMPTIED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
)
"""Type 2 patient and study attributes an SR must have: present and empty (action Z)."""

METHOD = "mammo-viewer: PS3.15 Basic Profile, kept list"
"""De-identification Method (LO: at most 64 characters); the code sequence says which options."""


def source_reference(ds: Dataset, options: ExportOptions) -> Dataset:
    """The copy of a source header an export may use (the SR's evidence).

    With ``options.keep_identity`` the whole header (the Type 2 attributes added empty
    where the file lacks them); otherwise only :data:`KEPT`, UIDs replaced when asked, and
    :data:`EMPTIED` empty.
    """
    if options.keep_identity:
        out = copy.deepcopy(ds)
        for keyword in EMPTIED:
            if keyword not in out:
                setattr(out, keyword, "")
        return out
    out = Dataset()
    for keyword in KEPT:
        if keyword in ds and ds[keyword].value is not None:
            value = ds[keyword].value
            if keyword in UID_ATTRIBUTES:
                value = options.uid(str(value))
            setattr(out, keyword, copy.deepcopy(value))
    for keyword in EMPTIED:
        setattr(out, keyword, "")
    return out


def mark_deidentified(ds: Dataset, options: ExportOptions) -> None:
    """Record in an export's own header how it was de-identified (PS3.15 E.1.1, PS3.3 C.7.1.1)."""
    if options.keep_identity:
        return
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    used = [codes.DCM.BasicApplicationConfidentialityProfile]
    if not options.replace_uids:
        used.append(codes.DCM.RetainUidsOption)
    items = []
    for code in used:
        item = Dataset()
        item.CodeValue = code.value
        item.CodingSchemeDesignator = code.scheme_designator
        item.CodeMeaning = code.meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
