"""DICOM SR export: a TID 1500 Measurement Report per study and reader, built with highdicom.

Each calcification is a planar ROI measurement group (finding "Individual Calcification",
SCT 129770007) with its outline as a closed SCOORD POLYLINE (or a POINT for a point-only
mark) on the referenced image, and its long axis (Length, SCT 410668003) and area (SCT
42798000) in mm / mm2 when the image is calibrated. Each exported cluster is a group with
finding "Calcification Cluster" (SCT 129769006), its outline, its span as a Length, its
area, its number of calcifications (DCM 111038) and its BI-RADS category (CID 6027).

SCOORD coordinates put the corner of the top-left pixel at (0, 0) (PS3.3 C.18.6.1.1), so
every mammo-viewer point (pixel centres at integers) is shifted by +0.5.

The source images' headers are read with pydicom from the study folder, matched by SOP
Instance UID; marks on images not found there are left out, with a message. By default
the SR is de-identified (:mod:`viewer.interop.deidentify`): only a kept list of attributes
is taken from the source headers, the patient and study attributes are empty, the UIDs are
kept (or replaced consistently, ``replace_uids``) and the reader is a pseudonym.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import highdicom as hd
import numpy as np
from highdicom.coding_schemes import CodingSchemeIdentificationItem
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from viewer import __version__
from viewer.core.annotations import Calcification, Cluster, ImageAnnotations
from viewer.core.cluster_metrics import cluster_metrics
from viewer.core.finding_places import link_position
from viewer.core.geometry import Point, Spacing, SpacingSource
from viewer.core.reading import FindingRef
from viewer.dicom.file_kinds import is_plainly_not_dicom
from viewer.dicom.read_guard import DicomImageError, read_dataset
from viewer.interop.deidentify import mark_deidentified, source_reference
from viewer.interop.options import ExportOptions, study_file_stem
from viewer.store.safe_names import inside
from viewer.store.study_tree import AnnotatedStudy

SCOORD_SHIFT = 0.5
INDIVIDUAL_CALCIFICATION = codes.SCT.IndividualCalcification
CALCIFICATION_CLUSTER = codes.SCT.CalcificationCluster
NUMBER_OF_CALCIFICATIONS = codes.DCM.NumberOfCalcifications
MAMMOGRAPHY = codes.SCT.Mammography
BREAST = hd.sr.CodedConcept("76752008", "SCT", "Breast")
LATERALITY = {
    "R": hd.sr.CodedConcept("24028007", "SCT", "Right"),
    "L": hd.sr.CodedConcept("7771000", "SCT", "Left"),
}
# Clock positions: the SNOMED CT codes of PS3.16 CID 6018 "Clockface Location or Region", as
# pydicom's code dictionary holds them (codes.SCT._4OClockPosition is 129775002).
_CLOCK_CODES = {hour: getattr(codes.SCT, f"_{hour}OClockPosition") for hour in range(1, 13)}


def clock_code(hour: float) -> hd.sr.CodedConcept:
    """The SCT code of the whole clock hour nearest ``hour`` ("4 o'clock position")."""
    whole = round(hour) % 12 or 12
    code = _CLOCK_CODES[whole]
    return hd.sr.CodedConcept(code.value, code.scheme_designator, code.meaning)


def finding_sites(study: AnnotatedStudy, key: tuple[str, int], item_id: str) -> list[hd.sr.FindingSite]:
    """The breast with its laterality and clock face, for a finding linked across CC and MLO; else none."""
    model = study.model
    link = model.reading.link_of(FindingRef(key, item_id))
    position = link_position(model, link) if link is not None else None
    if position is None:
        return []
    return [
        hd.sr.FindingSite(
            anatomic_location=BREAST,
            laterality=LATERALITY[position.laterality],
            topographical_modifier=clock_code(position.clock_hour),
        )
    ]


NO_UNITS = Code("1", "UCUM", "no units")

# The BI-RADS lexicon's ids (resources/birads.json) as PS3.16 CID 6010 "Mammography
# Calcification Type" and CID 6012 "Calcification Distribution Modifier"; "indeterminate" has none.
MORPHOLOGY_CODES: dict[str, Code] = {
    "skin": codes.SCT.CalcifiedSkinOfBreast,
    "vascular": codes.SCT.VascularCalcificationRadiographicFinding,
    "coarse_popcorn": codes.SCT.CoarsePopcornLikeCalcification,
    "large_rod_like": codes.SCT.LargeRodLikeCalcification,
    "round": codes.SCT.RoundShapedCalcification,
    "punctate": codes.SCT.PunctateCalcification,
    "rim": codes.SCT.EggshellCalcification,
    "dystrophic": codes.SCT.DystrophicCalcification,
    "milk_of_calcium": codes.SCT.MilkOfCalciumCalcification,
    "suture": codes.SCT.CalcifiedSutureMaterial,
    "amorphous": codes.SCT.AmorphousCalcification,
    "coarse_heterogeneous": codes.SCT.HeterogeneousCalcification,
    "fine_pleomorphic": codes.DCM.FinePleomorphicCalcification,
    "fine_linear_branching": codes.SCT.FineLinearBranchingCastingCalcification,
}
DISTRIBUTION_CODES: dict[str, Code] = {
    "diffuse": codes.SCT.DiffuseCalcificationDistribution,
    "regional": codes.SCT.RegionalCalcificationDistribution,
    "grouped": codes.SCT.GroupedCalcificationDistribution,
    "linear": codes.SCT.LinearCalcificationDistribution,
    "segmental": codes.SCT.SegmentalCalcificationDistribution,
}
CALCIFICATION_TYPE = codes.DCM.CalcificationType
CALCIFICATION_DISTRIBUTION = codes.DCM.CalcificationDistribution

ASSESSMENT_CATEGORY = codes.DCM.AssessmentCategory
"""(111005, DCM, "Assessment Category"): the concept PS3.16 TID 4002 and TID 4203 give CID 6027 to."""

BIRADS_SCHEME = "BI"
"""PS3.16 Table 8-1 "BI": ACR BI-RADS(R); its codes are Atlas paragraph ids, its version required."""
BIRADS_SCHEME_VERSION = "4.0"

# PS3.16 CID 6027 "Assessment from BI-RADS(R)", code for code and meaning for meaning: SNOMED CT
# for 0-5 (the meanings the standard gives, not SNOMED's fully specified names, which pass the
# 64 characters of a Code Meaning), the BI-RADS scheme for 4A, 4B, 4C and 6, which SNOMED lacks.
# CID 6027's "4A - Low suspicion" ... "4C - Moderate suspicion" are its words for the Atlas's
# low, moderate and high suspicion for malignancy; CID 6027's plain "4" (SCT 397144001) has no
# category of its own here and reads back as none.
ASSESSMENT_CODES: dict[str, Code] = {
    "0": Code("397138000", "SCT", "0 - Incomplete - Need additional imaging evaluation +/- priors"),
    "1": Code("397140005", "SCT", "1 - Negative"),
    "2": Code("397141009", "SCT", "2 - Benign"),
    "3": Code("397143007", "SCT", "3 - Probably Benign"),
    "4A": Code("MA.II.A.5.4A", BIRADS_SCHEME, "4A - Low suspicion", BIRADS_SCHEME_VERSION),
    "4B": Code("MA.II.A.5.4B", BIRADS_SCHEME, "4B - Intermediate suspicion", BIRADS_SCHEME_VERSION),
    "4C": Code("MA.II.A.5.4C", BIRADS_SCHEME, "4C - Moderate suspicion", BIRADS_SCHEME_VERSION),
    "5": Code("397145000", "SCT", "5 - Highly suggestive of malignancy"),
    "6": Code("MA.II.A.5.6", BIRADS_SCHEME, "6 - Known biopsy proven malignancy", BIRADS_SCHEME_VERSION),
}


def _evaluations(
    morphology: str | None, distribution: str | None, assessment: str | None = None
) -> list[hd.sr.QualitativeEvaluation]:
    """The mark's morphology, distribution and BI-RADS category as coded qualitative evaluations
    (none for what is unknown)."""
    out = []
    if morphology in MORPHOLOGY_CODES:
        out.append(hd.sr.QualitativeEvaluation(CALCIFICATION_TYPE, MORPHOLOGY_CODES[morphology]))
    if distribution in DISTRIBUTION_CODES:
        out.append(hd.sr.QualitativeEvaluation(CALCIFICATION_DISTRIBUTION, DISTRIBUTION_CODES[distribution]))
    if assessment in ASSESSMENT_CODES:
        out.append(hd.sr.QualitativeEvaluation(ASSESSMENT_CATEGORY, ASSESSMENT_CODES[assessment]))
    return out


# Where the pixel spacing of a length or area came from (DOMAIN.md section 3), as the
# measurement's Measurement Method (TID 300). DICOM has no codes for these, so they are a
# private coding scheme ("99" designators are private, PS3.16 section 8.2), identified in the
# SR's Coding Scheme Identification Sequence.
SPACING_SCHEME = "99MAMMOVIEWER"
SPACING_METHODS: dict[SpacingSource, hd.sr.CodedConcept] = {
    source: hd.sr.CodedConcept(value, SPACING_SCHEME, meaning)
    for source, value, meaning in (
        (SpacingSource.PIXEL_SPACING, "SPACING-PS", "mm with Pixel Spacing (0028,0030)"),
        (SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "SPACING-IPS-ERMF", "mm with Imager Pixel Spacing / ERMF"),
        (
            SpacingSource.IMAGER_PIXEL_SPACING_SID_SOD,
            "SPACING-IPS-SID",
            "mm with Imager Pixel Spacing, SID/SOD",
        ),
        (SpacingSource.IMAGER_PIXEL_SPACING, "SPACING-IPS", "mm at the detector (Imager Pixel Spacing)"),
        (SpacingSource.MANUAL, "SPACING-MANUAL", "mm with the reader's calibration line"),
    )
}
SPACING_CODING_SCHEME = CodingSchemeIdentificationItem(
    designator=SPACING_SCHEME,
    name="mammo-viewer pixel spacing sources",
    responsible_organization="mammo-viewer",
)


def spacing_source_of(code_value: str, scheme: str) -> SpacingSource | None:
    """The spacing source a Measurement Method code names, if it is one of :data:`SPACING_METHODS`."""
    if scheme != SPACING_SCHEME:
        return None
    return next((s for s, c in SPACING_METHODS.items() if c.value == code_value), None)


class SourceHeaders:
    """DICOM headers of a study folder, found by SOP Instance UID (read once, lazily)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._by_uid: dict[str, Dataset] | None = None

    def _scan(self) -> dict[str, Dataset]:
        found: dict[str, Dataset] = {}
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(root) / name
                if is_plainly_not_dicom(name):
                    continue
                try:
                    # a file without the preamble opens in the viewer (read_dataset accepts what
                    # clearly is DICOM): its marks belong in the report too
                    ds = read_dataset(path, stop_before_pixels=True)
                except DicomImageError:
                    continue
                uid = str(ds.get("SOPInstanceUID", ""))
                if uid and "Rows" in ds:
                    found.setdefault(uid, ds)
        return found

    def get(self, sop_instance_uid: str) -> Dataset | None:
        if self._by_uid is None:
            self._by_uid = self._scan()
        return self._by_uid.get(sop_instance_uid)


def _scoord(points: list[Point], close: bool) -> np.ndarray:
    pts = list(points) + ([points[0]] if close else [])
    return np.asarray(pts, dtype=np.float64) + SCOORD_SHIFT


def _source(ds: Dataset, img: ImageAnnotations) -> hd.sr.SourceImageForRegion:
    frames = [img.frame + 1] if int(ds.get("NumberOfFrames", 1) or 1) > 1 else None
    return hd.sr.SourceImageForRegion(
        referenced_sop_class_uid=ds.SOPClassUID,
        referenced_sop_instance_uid=ds.SOPInstanceUID,
        referenced_frame_numbers=frames,
    )


def _tracking(study: AnnotatedStudy, kind: str, ident: str) -> hd.sr.TrackingIdentifier:
    # the same finding keeps its tracking UID across exports, as TID 1500 intends
    uid = generate_uid(entropy_srcs=[study.model.study_instance_uid, study.model.reader, kind, ident])
    return hd.sr.TrackingIdentifier(uid=uid, identifier=f"{kind} {ident}")


def _mm_measurements(
    length_mm: float | None, area_mm2: float | None, spacing: Spacing
) -> list[hd.sr.Measurement]:
    """Length and area in mm, each naming the spacing source it was measured with."""
    method = SPACING_METHODS.get(spacing.source)
    out = []
    if length_mm is not None:
        out.append(
            hd.sr.Measurement(
                name=codes.SCT.Length, value=float(length_mm), unit=codes.UCUM.Millimeter, method=method
            )
        )
    if area_mm2 is not None:
        out.append(
            hd.sr.Measurement(
                name=codes.SCT.Area, value=float(area_mm2), unit=codes.UCUM.SquareMillimeter, method=method
            )
        )
    return out


def _calcification_group(
    study: AnnotatedStudy,
    calc: Calcification,
    img: ImageAnnotations,
    source: hd.sr.SourceImageForRegion,
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    if calc.outline is None:
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POINT,
            graphic_data=_scoord([calc.center], close=False),
            source_image=source,
        )
        measurements: list[hd.sr.Measurement] = []
    else:
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=_scoord(list(calc.outline), close=True),
            source_image=source,
        )
        sizes = calc.sizes
        measurements = (
            _mm_measurements(sizes.long_axis_mm, sizes.area_mm2, sizes.spacing) if sizes is not None else []
        )
    sites = finding_sites(study, (img.sop_instance_uid, img.frame), calc.id)
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(study, "calcification", calc.id),
        referenced_region=region,
        finding_type=INDIVIDUAL_CALCIFICATION,
        measurements=measurements or None,
        qualitative_evaluations=_evaluations(calc.morphology, None) or None,
        finding_sites=sites or None,
    )


def _cluster_group(
    study: AnnotatedStudy,
    cluster: Cluster,
    img: ImageAnnotations,
    source: hd.sr.SourceImageForRegion,
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations | None:
    m = cluster_metrics(cluster, img)
    if len(m.outline) < 3:
        return None
    measurements = _mm_measurements(m.span_mm, m.area_mm2, m.spacing)
    measurements.append(hd.sr.Measurement(name=NUMBER_OF_CALCIFICATIONS, value=float(m.count), unit=NO_UNITS))
    region = hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=_scoord(list(m.outline), close=True),
        source_image=source,
    )
    sites = finding_sites(study, (img.sop_instance_uid, img.frame), cluster.id)
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(study, "cluster", cluster.id),
        referenced_region=region,
        finding_type=CALCIFICATION_CLUSTER,
        measurements=measurements,
        qualitative_evaluations=_evaluations(cluster.morphology, cluster.distribution, cluster.assessment)
        or None,
        finding_sites=sites or None,
    )


def build_sr(
    study: AnnotatedStudy, headers: SourceHeaders, options: ExportOptions
) -> tuple[hd.sr.Comprehensive3DSR | None, list[str]]:
    """The SR of one study and reader, and messages about what was left out.

    Returns ``None`` for the SR when none of the annotated images is in the study folder.
    """
    messages: list[str] = []
    groups: list[hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations] = []
    evidence: list[Dataset] = []
    for img in study.model.images.values():
        if not img.calcifications and not img.clusters:
            continue
        ds = headers.get(img.sop_instance_uid)
        if ds is None:
            messages.append(
                f"{study.sidecar}: image {img.sop_instance_uid} is not in "
                f"{study.folder}; its marks are not in the SR"
            )
            continue
        reference = source_reference(ds, options)
        evidence.append(reference)
        source = _source(reference, img)
        groups += [_calcification_group(study, c, img, source) for c in img.calcifications.values()]
        for cluster in img.clusters.values():
            if options.exports_cluster(cluster):
                group = _cluster_group(study, cluster, img, source)
                if group is not None:
                    groups.append(group)
    if not evidence:
        return None, messages
    name = options.reader(study.model.reader) or "reader"
    if "^" not in name:
        name += "^"  # a one-component person name (PS3.5 6.2.1.2), not a family name guess
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(name=name),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=MAMMOGRAPHY,
        imaging_measurements=groups,
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=evidence,
        content=report,
        series_instance_uid=hd.UID(),
        series_number=9901,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="mammo-viewer",
        series_description="mammo-viewer calcification annotations",
        software_versions=__version__,
        coding_schemes=[SPACING_CODING_SCHEME],
    )
    mark_deidentified(sr, options)
    return sr, messages


def export_sr(
    studies: Iterable[AnnotatedStudy], out: Path, options: ExportOptions
) -> tuple[list[Path], list[str]]:
    """Write one SR file per study and reader into the folder ``out``.

    Returns the files written and messages about marks left out.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    messages: list[str] = []
    headers: dict[Path, SourceHeaders] = {}
    for study in studies:
        source = headers.setdefault(study.folder, SourceHeaders(study.folder))
        sr, notes = build_sr(study, source, options)
        messages += notes
        if sr is None:
            continue
        name = study_file_stem(study.model, options)
        path = inside(out, out / f"{name}.sr.dcm")
        sr.save_as(path, enforce_file_format=True)
        written.append(path)
    return written, messages
