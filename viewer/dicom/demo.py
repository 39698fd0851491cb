"""The built-in demo study: four synthetic mammography views written as real DICOM.

``mammo-viewer`` with no path opens this study. The images are made by
:mod:`viewer.core.phantom`, so the calcifications' sizes and places are known: the tests
take their ground truth from :func:`demo_phantoms`, the folder holds DICOM files only.

Each file is a "Digital Mammography X-Ray Image Storage - For Presentation" object
(1.2.840.10008.5.1.4.1.1.1.2) in explicit VR little endian with Imager Pixel Spacing
and an Estimated Radiographic Magnification Factor, so the spacing a reader resolves
(DOMAIN.md section 3, rule 3) is ``IMAGER_PIXEL_SPACING_MM / ERMF``, the spacing the
phantoms are drawn in. UIDs are derived from fixed text, so writing the study again
gives the same UIDs and marks saved against it still match.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from viewer.core.phantom import CalcSpec, Phantom, breast_point, make_mammogram, patient_orientation

DEMO_VERSION = "3"
"""Bump when the pictures or the header change: :func:`ensure_demo_study` rewrites older files."""
VERSION_MARKER = f"mammo-viewer synthetic demo v{DEMO_VERSION}"
MG_FOR_PRESENTATION = UID("1.2.840.10008.5.1.4.1.1.1.2")
ROWS, COLS = 2400, 1900
IMAGER_PIXEL_SPACING_MM = 0.085
ERMF = 1.08
SPACING_MM = IMAGER_PIXEL_SPACING_MM / ERMF
"""Spacing at the breast plane (IPS / ERMF) in mm, the same along rows and columns."""
SOURCE_TO_DETECTOR_MM = 660.0
VIEWS: tuple[tuple[str, str], ...] = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))
"""The order of the views, and of the files :func:`write_demo_study` returns."""
_VIEW_CODES = {"CC": ("399162004", "cranio-caudal"), "MLO": ("399368009", "medio-lateral oblique")}
_UID_SEED = "mammo-viewer demo study"


def _cluster(center: tuple[float, float]) -> list[CalcSpec]:
    """Seven fine specks within about 6 mm: a BI-RADS group (>= 5 within 1 cm)."""
    step = 1.0 / SPACING_MM  # pixels per mm
    offsets_mm = [(0.0, 0.0), (1.6, 0.9), (-1.2, 1.8), (2.4, -1.5), (-2.0, -1.1), (0.6, 3.0), (3.4, 1.9)]
    sizes_mm = [0.45, 0.3, 0.25, 0.6, 0.35, 0.4, 0.5]
    return [
        CalcSpec((center[0] + dx * step, center[1] + dy * step), d)
        for (dx, dy), d in zip(offsets_mm, sizes_mm, strict=True)
    ]


def _specs(laterality: str, view: str) -> list[CalcSpec]:
    """Known calcifications of one view (centres in pixels, diameters in mm)."""

    def at(depth: float, height: float, d: float) -> CalcSpec:
        return CalcSpec(breast_point(ROWS, COLS, laterality, depth, height), d)

    if (laterality, view) == ("L", "CC"):
        return [
            *_cluster(breast_point(ROWS, COLS, "L", 0.32, 0.42)),
            at(0.18, 0.62, 1.2),
            at(0.48, 0.55, 0.8),
            at(0.25, 0.3, 2.0),
        ]
    if (laterality, view) == ("L", "MLO"):
        return [*_cluster(breast_point(ROWS, COLS, "L", 0.36, 0.52)), at(0.2, 0.75, 1.0), at(0.5, 0.62, 0.5)]
    if (laterality, view) == ("R", "CC"):
        return [at(0.22, 0.4, 0.6), at(0.4, 0.6, 1.5), at(0.12, 0.7, 0.3), at(0.5, 0.45, 0.2)]
    return [at(0.3, 0.6, 0.6), at(0.45, 0.72, 1.5), at(0.2, 0.82, 0.35), at(0.55, 0.5, 0.9)]


def demo_phantom(index: int) -> Phantom:
    """One demo view, ``index`` into :data:`VIEWS`, with its calcifications' truth."""
    lat, view = VIEWS[index]
    return make_mammogram(
        ROWS, COLS, (SPACING_MM, SPACING_MM), lat, view, seed=101 + index, calcifications=_specs(lat, view)
    )


def demo_phantoms() -> list[Phantom]:
    """The four demo views RCC, LCC, RMLO, LMLO with their calcifications' truth."""
    return [demo_phantom(i) for i in range(len(VIEWS))]


def demo_file_names() -> list[str]:
    """File names of the four views, in :data:`VIEWS` order."""
    return [f"{lat}{view}.dcm" for lat, view in VIEWS]


def _uid(*parts: str) -> UID:
    return generate_uid(entropy_srcs=[_UID_SEED, *parts])


def _window(phantom: Phantom) -> tuple[float, float]:
    """A window (centre, width) spanning the breast tissue of the image."""
    tissue = phantom.pixels[phantom.breast_mask] if phantom.breast_mask.any() else phantom.pixels
    lo, hi = np.percentile(tissue, [1.0, 99.8])
    return (float(round((lo + hi) / 2)), float(round(hi - lo)))


def demo_dataset(phantom: Phantom, instance: int) -> Dataset:
    """The DICOM dataset of one demo view (pixels included)."""
    lat, view = phantom.laterality, phantom.view
    study_uid = _uid("study")
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = MG_FOR_PRESENTATION
    ds.file_meta.MediaStorageSOPInstanceUID = _uid("image", lat, view)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = MG_FOR_PRESENTATION
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = _uid("series", lat, view)
    ds.FrameOfReferenceUID = _uid("frame of reference", lat)
    ds.SpecificCharacterSet = "ISO_IR 100"

    ds.PatientName = "DEMO^MAMMO"
    ds.PatientID = "DEMO-0001"
    ds.PatientBirthDate = ""
    ds.PatientSex = "F"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20240101"
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "090000"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = "DEMO"
    ds.StudyDescription = "Synthetic screening mammogram (demo)"
    ds.SeriesDescription = f"{lat} {view} synthetic"
    ds.SeriesNumber = instance
    ds.InstanceNumber = instance
    ds.Modality = "MG"
    ds.Manufacturer = "mammo-viewer"
    ds.ManufacturerModelName = "synthetic phantom"
    ds.BodyPartExamined = "BREAST"
    ds.ImageComments = VERSION_MARKER

    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageLaterality = lat
    ds.ViewPosition = view
    code, meaning = _VIEW_CODES[view]
    view_code = Dataset()
    view_code.CodeValue = code
    view_code.CodingSchemeDesignator = "SCT"
    view_code.CodeMeaning = meaning
    view_code.ViewModifierCodeSequence = DicomSequence([])
    ds.ViewCodeSequence = DicomSequence([view_code])
    ds.PatientOrientation = list(patient_orientation(lat, view))
    ds.BreastImplantPresent = "NO"
    ds.BurnedInAnnotation = "NO"

    ds.ImagerPixelSpacing = [IMAGER_PIXEL_SPACING_MM, IMAGER_PIXEL_SPACING_MM]
    ds.EstimatedRadiographicMagnificationFactor = ERMF
    ds.DistanceSourceToDetector = SOURCE_TO_DETECTOR_MM
    ds.DistanceSourceToPatient = round(SOURCE_TO_DETECTOR_MM / ERMF, 1)

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = phantom.photometric_interpretation
    ds.Rows, ds.Columns = phantom.pixels.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = 1
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    ds.PresentationLUTShape = "IDENTITY"
    center, width = _window(phantom)
    ds.WindowCenter = [center, round(center + 0.1 * width)]
    ds.WindowWidth = [width, round(0.7 * width)]
    ds.WindowCenterWidthExplanation = ["NORMAL", "HARDER"]
    ds.LossyImageCompression = "00"
    ds.PixelData = phantom.pixels.astype("<u2").tobytes()
    return ds


def write_demo_study(folder: Path) -> list[Path]:
    """Write the four views into ``folder`` (created if needed); return the paths in VIEWS order.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    """
    return [_write_view(Path(folder), i) for i in range(len(VIEWS))]


def _write_view(folder: Path, index: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = demo_file_names()[index]
    path = folder / name
    tmp = folder / f".{name}.tmp"
    demo_dataset(demo_phantom(index), index + 1).save_as(tmp, enforce_file_format=True)
    os.replace(tmp, path)
    return path


def _is_current(path: Path) -> bool:
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["ImageComments"])
    except (OSError, pydicom.errors.InvalidDicomError):
        return False
    expected = ROWS * COLS * 2
    return bool(ds.get("ImageComments") == VERSION_MARKER and path.stat().st_size > expected)


def ensure_demo_study(folder: Path) -> list[Path]:
    """The demo study's files in ``folder``; a file is written only when missing, damaged
    or from an older version, so this is fast when the study is there."""
    folder = Path(folder)
    return [
        path if _is_current(path) else _write_view(folder, i)
        for i, path in enumerate(folder / name for name in demo_file_names())
    ]
