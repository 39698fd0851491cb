"""A small synthetic mammography study written with pydicom, with a sidecar of known marks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from viewer.core.annotations import (
    Calcification,
    Cluster,
    ClusterState,
    ImageAnnotations,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.landmarks import Landmarks
from viewer.core.reading import FindingLink, FindingRef, ImageLandmarks
from viewer.store.sidecar import save, sidecar_path

MG_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
ROWS, COLUMNS = 64, 48
SPACING = Spacing(0.1, 0.1, SpacingSource.IMAGER_PIXEL_SPACING, "mm at the detector")


def write_image(
    folder: Path,
    name: str,
    study_uid: str,
    series_uid: str,
    laterality: str,
    view: str,
    patient: str = "Doe^Jane",
) -> Dataset:
    """Write one tiny 'For Presentation' mammogram; return its dataset."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = MG_FOR_PRESENTATION
    ds.SOPClassUID = MG_FOR_PRESENTATION
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.PatientName = patient
    ds.PatientID = "PID-0001"
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "F"
    ds.StudyDate = "20250131"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "ACC1"
    ds.StudyID = "1"
    ds.ReferringPhysicianName = "Ref^Doc"
    ds.Modality = "MG"
    ds.Manufacturer = "test"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ImageLaterality = laterality
    ds.ViewPosition = view
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImagerPixelSpacing = [SPACING.row_mm, SPACING.col_mm]
    ds.Rows, ds.Columns = ROWS, COLUMNS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.PixelData = (np.arange(ROWS * COLUMNS, dtype=np.uint16) % 4096).tobytes()
    ds.save_as(folder / name, enforce_file_format=True)
    return ds


def write_study(folder: Path, reader: str = "Dr. A") -> StudyAnnotations:
    """Two images (L CC, L MLO), marks on both, a confirmed 5-mark cluster on the CC.

    Returns the model that was saved as the reader's sidecar in ``folder``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    study_uid, series_uid = generate_uid(), generate_uid()
    cc = write_image(folder, "cc.dcm", study_uid, series_uid, "L", "CC")
    mlo = write_image(folder, "mlo.dcm", study_uid, series_uid, "L", "MLO")
    model = StudyAnnotations(reader, study_uid)
    ids = []
    for ds in (cc, mlo):
        img = ImageAnnotations(
            ds.SOPInstanceUID,
            0,
            study_uid,
            series_uid,
            ROWS,
            COLUMNS,
            ds.ImageLaterality,
            ds.ViewPosition,
            SPACING,
        )
        model.images[img.key] = img
    cc_img = model.images[(cc.SOPInstanceUID, 0)]
    for i, (x, y) in enumerate([(10, 10), (14, 12), (12, 16), (17, 15), (15, 19)]):
        # a 3 x 3 pixel square traced along pixel edges (centres at integers)
        outline = [(x - 1.5, y - 1.5), (x + 1.5, y - 1.5), (x + 1.5, y + 1.5), (x - 1.5, y + 1.5)]
        calc = Calcification.create(
            (float(x), float(y)), outline, SPACING, morphology="fine_pleomorphic", reader=reader
        )
        calc = Calcification(
            f"c{i}",
            calc.center,
            calc.outline,
            calc.sizes,
            None,
            calc.morphology,
            reader,
            calc.created,
            calc.modified,
        )
        cc_img.calcifications[calc.id] = calc
        ids.append(calc.id)
    cc_img.clusters["k1"] = Cluster(
        "k1",
        tuple(ids),
        ClusterState.CONFIRMED,
        distribution="grouped",
        assessment="4B",
        note="call Jane Doe back",
    )
    mlo_img = model.images[(mlo.SOPInstanceUID, 0)]
    point = Calcification("p1", (30.0, 40.0), reader=reader)
    mlo_img.calcifications[point.id] = point
    save(model, sidecar_path(folder, reader))
    return model


def write_linked_study(folder: Path) -> None:
    """The synthetic L CC cluster linked to the L MLO point mark, with nipples on both views."""
    model = write_study(folder)
    cc_key = next(k for k, img in model.images.items() if img.view == "CC")
    mlo_key = next(k for k, img in model.images.items() if img.view == "MLO")
    # CC: rows run to the patient's right; the cluster (around row 14) is above the nipple at row 30:
    # towards the patient's left, lateral. MLO: the mark at row 40 is below the nipple at row 30.
    model.reading.landmarks[cc_key] = ImageLandmarks(
        Landmarks((40.0, 30.0), ((0.0, 0.0), (0.0, 63.0))), ("A", "R")
    )
    model.reading.landmarks[mlo_key] = ImageLandmarks(
        Landmarks((40.0, 30.0), ((0.0, 0.0), (0.0, 63.0))), ("A", "F")
    )
    model.reading.links["l1"] = FindingLink("l1", "L", FindingRef(cc_key, "k1"), FindingRef(mlo_key, "p1"))
    save(model, sidecar_path(folder, model.reader))
