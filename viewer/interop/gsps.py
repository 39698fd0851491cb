"""DICOM GSPS export: the reader's outlines as graphics, for viewers that show presentation states.

One Grayscale Softcopy Presentation State per study and reader (and per polarity and Modality
LUT of the images, which one state shares), built with highdicom, referencing every
marked image of the study folder. Two graphic layers: ``CALCIFICATIONS`` (each outline a
closed POLYLINE, a point-only mark a POINT) and ``CLUSTERS`` (each exported cluster's outline,
with a text naming it, its number of calcifications and its BI-RADS category).

Graphic data in PIXEL units put the corner of the top-left pixel at (0, 0) (PS3.3 C.10.5.1.2),
as SCOORDs do: every mammo-viewer point (pixel centres at integers) is shifted by +0.5. The
images' own display (Modality LUT, windows or VOI LUTs with their VOI LUT Function) is copied
by highdicom from their headers, so the state shows the image as its file says; MONOCHROME1
images get an INVERSE Presentation LUT (PS3.3 C.11.6.1), MONOCHROME2 ones IDENTITY.

De-identification is the SR's (:mod:`viewer.interop.deidentify`): by default only the kept
list of header attributes is taken, plus the attributes that say how to display the pixels
(:data:`DISPLAY_ATTRIBUTES`), none of which identifies anyone.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from viewer import __version__
from viewer.core.annotations import Calcification, Cluster, ImageAnnotations
from viewer.core.cluster_metrics import cluster_metrics
from viewer.core.geometry import Point
from viewer.interop.deidentify import mark_deidentified, source_reference
from viewer.interop.options import ExportOptions, study_file_stem
from viewer.interop.sr import SCOORD_SHIFT, SourceHeaders
from viewer.store.safe_names import inside
from viewer.store.study_tree import AnnotatedStudy

DISPLAY_ATTRIBUTES = (
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsStored",
    "PixelRepresentation",
    "RescaleSlope",
    "RescaleIntercept",
    "RescaleType",
    "ModalityLUTSequence",
    "WindowCenter",
    "WindowWidth",
    "WindowCenterWidthExplanation",
    "VOILUTFunction",
    "VOILUTSequence",
)
"""How an image's pixels are shown (PS3.3 C.11): copied into the state, never identifying."""

CALCIFICATION_LAYER = hd.pr.GraphicLayer(
    layer_name="CALCIFICATIONS", order=1, description="calcification outlines (mammo-viewer)"
)
CLUSTER_LAYER = hd.pr.GraphicLayer(
    layer_name="CLUSTERS", order=2, description="calcification cluster outlines (mammo-viewer)"
)


def _points(points: Iterable[Point], close: bool) -> np.ndarray:
    pts = list(points)
    if close:
        pts.append(pts[0])
    return np.asarray(pts, dtype=np.float64) + SCOORD_SHIFT


def _calcification_graphic(calc: Calcification) -> hd.pr.GraphicObject:
    if calc.outline is None:
        return hd.pr.GraphicObject(
            graphic_type=hd.pr.GraphicTypeValues.POINT,
            graphic_data=_points([calc.center], close=False),
            units=hd.pr.AnnotationUnitsValues.PIXEL,
        )
    return hd.pr.GraphicObject(
        graphic_type=hd.pr.GraphicTypeValues.POLYLINE,
        graphic_data=_points(calc.outline, close=True),
        units=hd.pr.AnnotationUnitsValues.PIXEL,
    )


def cluster_text(cluster: Cluster, count: int) -> str:
    """What a viewer shows beside a cluster: ``"cluster k1: 5 calcifications, BI-RADS 4B"``."""
    text = f"cluster {cluster.id}: {count} calcification{'s' if count != 1 else ''}"
    return text + (f", BI-RADS {cluster.assessment}" if cluster.assessment else "")


def _cluster_graphics(
    cluster: Cluster, img: ImageAnnotations
) -> tuple[hd.pr.GraphicObject, hd.pr.TextObject] | None:
    m = cluster_metrics(cluster, img)
    if len(m.outline) < 3:
        return None
    outline = _points(m.outline, close=True)
    graphic = hd.pr.GraphicObject(
        graphic_type=hd.pr.GraphicTypeValues.POLYLINE,
        graphic_data=outline,
        units=hd.pr.AnnotationUnitsValues.PIXEL,
    )
    # anchored at the outline's top-left corner, the anchor drawn: the text may sit off the image
    anchor = (float(outline[:, 0].min()), float(outline[:, 1].min()))
    text = hd.pr.TextObject(
        text_value=cluster_text(cluster, m.count),
        units=hd.pr.AnnotationUnitsValues.PIXEL,
        anchor_point=anchor,
        anchor_point_visible=True,
    )
    return graphic, text


def _reference(ds: Dataset, options: ExportOptions) -> Dataset:
    """The header copy the state references: the SR's kept attributes and how to display the pixels."""
    out = source_reference(ds, options)
    for keyword in DISPLAY_ATTRIBUTES:
        if keyword in ds and keyword not in out:
            setattr(out, keyword, copy.deepcopy(ds[keyword].value))
    if "ModalityLUTSequence" in out:
        # a table and a rescale: PS3.3 C.11.1 allows one; the table is what pydicom (and the viewer) use
        for keyword in ("RescaleSlope", "RescaleIntercept", "RescaleType"):
            if keyword in out:
                delattr(out, keyword)
    if "WindowCenter" in out and "VOILUTSequence" in out:
        # both given: highdicom copies one kind; the windows are what the viewer offers first
        del out.VOILUTSequence
    for keyword in ("ModalityLUTSequence", "VOILUTSequence"):
        for lut in out.get(keyword, []) or []:
            _lut_data_as_words(lut)
    return out


def _display_key(reference: Dataset) -> tuple[str, ...]:
    """What one presentation state must share: polarity and Modality LUT (PS3.3 C.11.1, C.11.6)."""
    table = reference.get("ModalityLUTSequence")
    lut = hashlib.sha256(bytes(table[0].LUTData)).hexdigest() if table else ""
    return (
        str(reference.get("PhotometricInterpretation", "MONOCHROME2")),
        *(str(reference.get(k, "")) for k in ("RescaleSlope", "RescaleIntercept", "RescaleType")),
        lut,
    )


def _modality_lut(reference: Dataset) -> hd.ModalityLUTTransformation | None:
    """The image's Modality LUT table for the state (highdicom copies a rescale, not a table)."""
    table = reference.get("ModalityLUTSequence")
    if not table:
        return None
    lut = table[0]
    words = np.frombuffer(lut.LUTData, dtype=np.uint8 if int(lut.LUTDescriptor[2]) == 8 else np.uint16)
    return hd.ModalityLUTTransformation(
        modality_lut=hd.ModalityLUT(
            lut_type=str(lut.get("ModalityLUTType", "US") or "US"),
            first_mapped_value=int(lut.LUTDescriptor[1]),
            lut_data=words,
            lut_explanation=lut.get("LUTExplanation"),
        )
    )


def _lut_data_as_words(lut: Dataset) -> None:
    """LUT Data read as a list of numbers (VR US) made the bytes of OW, which highdicom reads."""
    data = lut.get("LUTData")
    if data is None or isinstance(data, bytes):
        return
    bits = int(lut.LUTDescriptor[2])
    values = np.asarray(list(data) if not isinstance(data, int) else [data])
    lut["LUTData"] = DataElement(
        0x00283006, "OW", values.astype(np.uint8 if bits == 8 else np.uint16).tobytes()
    )


def _annotation(
    img: ImageAnnotations, reference: Dataset, options: ExportOptions
) -> list[hd.pr.GraphicAnnotation]:
    out = []
    marks = [_calcification_graphic(c) for c in img.calcifications.values()]
    if marks:
        out.append(
            hd.pr.GraphicAnnotation(
                referenced_images=[reference],
                graphic_layer=CALCIFICATION_LAYER,
                graphic_objects=marks,
            )
        )
    drawn = [
        graphics
        for cluster in img.clusters.values()
        if options.exports_cluster(cluster)
        if (graphics := _cluster_graphics(cluster, img)) is not None
    ]
    if drawn:
        out.append(
            hd.pr.GraphicAnnotation(
                referenced_images=[reference],
                graphic_layer=CLUSTER_LAYER,
                graphic_objects=[g for g, _ in drawn],
                text_objects=[t for _, t in drawn],
            )
        )
    return out


def build_gsps(
    study: AnnotatedStudy, headers: SourceHeaders, options: ExportOptions
) -> tuple[list[hd.pr.GrayscaleSoftcopyPresentationState], list[str]]:
    """The presentation states of one study and reader, and messages about what was left out.

    One state per polarity and Modality LUT of the marked images (usually one); none when no
    marked image is in the study folder.
    """
    messages: list[str] = []
    groups: dict[tuple[str, ...], tuple[list[Dataset], list[hd.pr.GraphicAnnotation]]] = {}
    for img in study.model.images.values():
        if not img.calcifications and not img.clusters:
            continue
        ds = headers.get(img.sop_instance_uid)
        if ds is None:
            messages.append(
                f"{study.sidecar}: image {img.sop_instance_uid} is not in "
                f"{study.folder}; its marks are not in the presentation state"
            )
            continue
        if int(ds.get("NumberOfFrames", 1) or 1) > 1 or "SharedFunctionalGroupsSequence" in ds:
            # an enhanced or multi-frame image (tomosynthesis) keeps its display per frame, in
            # functional groups this state does not copy: left out rather than shown wrongly
            messages.append(
                f"{study.sidecar}: image {img.sop_instance_uid} has several frames: its marks are "
                "not in the presentation state (written for single-frame images only; the SR has them)"
            )
            continue
        reference = _reference(ds, options)
        annotations = _annotation(img, reference, options)
        if not annotations:
            continue
        images, found = groups.setdefault(_display_key(reference), ([], []))
        if all(i.SOPInstanceUID != reference.SOPInstanceUID for i in images):
            images.append(reference)
        found.extend(annotations)
    reader = options.reader(study.model.reader) or "reader"
    states = []
    for number, (key, (images, annotations)) in enumerate(sorted(groups.items()), start=1):
        shape = "INVERSE" if key[0] == "MONOCHROME1" else "IDENTITY"
        try:
            state = hd.pr.GrayscaleSoftcopyPresentationState(
                referenced_images=images,
                series_instance_uid=hd.UID(),
                series_number=9902,
                sop_instance_uid=hd.UID(),
                instance_number=number,
                manufacturer="mammo-viewer",
                manufacturer_model_name="mammo-viewer",
                software_versions=__version__,
                device_serial_number="none",
                content_label="CALCIFICATIONS",
                content_description=f"calcification marks of {reader}"[:64],
                graphic_annotations=annotations,
                graphic_layers=[CALCIFICATION_LAYER, CLUSTER_LAYER],
                modality_lut_transformation=_modality_lut(images[0]),
                presentation_lut_transformation=hd.PresentationLUTTransformation(
                    presentation_lut_shape=shape
                ),
            )
        except (ValueError, AttributeError, TypeError) as exc:  # what highdicom cannot copy
            messages.append(f"{study.sidecar}: no presentation state for {len(images)} image(s): {exc}")
            continue
        # General Series: Laterality is Type 2C for a paired organ; one state may show both breasts
        state.Laterality = _laterality(images)
        mark_deidentified(state, options)
        states.append(state)
    return states, messages


def _laterality(images: list[Dataset]) -> str:
    """The series' Laterality: the one side all images show, else empty (both breasts, or unknown).

    dciodvfy asks for the attribute (Type 2C) whenever it cannot tell the organ is unpaired.
    """
    sides = {str(i.get("ImageLaterality", i.get("Laterality", "")) or "") for i in images}
    return sides.pop() if len(sides) == 1 and sides <= {"L", "R"} else ""


def export_gsps(
    studies: Iterable[AnnotatedStudy], out: Path, options: ExportOptions
) -> tuple[list[Path], list[str]]:
    """Write the presentation states of each study and reader into the folder ``out``.

    Returns the files written and messages about marks left out.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    messages: list[str] = []
    headers: dict[Path, SourceHeaders] = {}
    for study in studies:
        source = headers.setdefault(study.folder, SourceHeaders(study.folder))
        states, notes = build_gsps(study, source, options)
        messages += notes
        name = study_file_stem(study.model, options)
        for number, state in enumerate(states, start=1):
            suffix = "" if len(states) == 1 else f".{number}"
            path = inside(out, out / f"{name}{suffix}.gsps.dcm")
            state.save_as(path, enforce_file_format=True)
            written.append(path)
    return written, messages
