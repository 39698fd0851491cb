"""Hypothesis strategies for annotation models, and a deep comparison of two models."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from viewer.core.annotations import (
    Calcification,
    Calibration,
    Cluster,
    ClusterState,
    ImageAnnotations,
    Intensity,
    Sizes,
    StudyAnnotations,
)
from viewer.core.geometry import Spacing, SpacingSource

coords = st.floats(min_value=-10.0, max_value=5000.0, allow_nan=False, allow_infinity=False)
mm = st.floats(min_value=0.001, max_value=2.0, allow_nan=False, allow_infinity=False)
anything = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(max_size=12)
uids = st.from_regex(r"1\.2\.[1-9][0-9]{0,5}(\.[0-9]{1,6}){0,4}", fullmatch=True)
timestamps = st.one_of(
    st.just(""),
    st.datetimes().map(lambda d: d.replace(microsecond=0).isoformat() + "Z"),
)
points = st.tuples(coords, coords)


@st.composite
def spacings(draw: st.DrawFn) -> Spacing:
    """Any valid spacing, uncalibrated or from each source."""
    source = draw(st.sampled_from(list(SpacingSource)))
    if source is SpacingSource.NONE:
        return Spacing.uncalibrated()
    return Spacing(
        draw(mm),
        draw(mm),
        source,
        draw(text),
        ermf=draw(st.none() | st.floats(1.0, 2.0)),
        calibration_type=draw(st.none() | st.sampled_from(["GEOMETRY", "FIDUCIAL"])),
    )


@st.composite
def calcifications(draw: st.DrawFn, ident: str, spacing: Spacing) -> Calcification:
    center = draw(points)
    outline = draw(st.none() | st.lists(points, min_size=3, max_size=8).map(tuple))
    sizes = Sizes.of_outline(outline, spacing) if outline is not None else None
    intensity = draw(st.none() | st.builds(Intensity, anything, anything, anything, anything))
    return Calcification(
        ident,
        center,
        outline,
        sizes,
        intensity,
        draw(st.none() | text),
        draw(text),
        draw(timestamps),
        draw(timestamps),
    )


@st.composite
def images(draw: st.DrawFn, n: int) -> ImageAnnotations:
    spacing = draw(spacings())
    calibration = None
    if draw(st.booleans()):
        p1 = draw(points)
        p2 = (p1[0] + draw(st.floats(1.0, 500.0)), p1[1] + draw(st.floats(-50.0, 50.0)))
        calibration = Calibration(
            f"cal{n}", p1, p2, draw(st.floats(0.5, 100.0)), draw(text), draw(timestamps)
        )
    img = ImageAnnotations(
        sop_instance_uid=f"{draw(uids)}.{n}",
        frame=draw(st.integers(0, 40)),
        study_instance_uid=draw(uids),
        series_instance_uid=draw(st.just("") | uids),
        rows=draw(st.integers(0, 5000)),
        columns=draw(st.integers(0, 5000)),
        laterality=draw(st.none() | st.sampled_from(["L", "R", "B", "U"])),
        view=draw(st.none() | st.sampled_from(["CC", "MLO", "ML", "XCCL"])),
        dicom_spacing=spacing,
        calibration=calibration,
    )
    for i in range(draw(st.integers(0, 6))):
        calc = draw(calcifications(f"m{n}-{i}", img.spacing))
        img.calcifications[calc.id] = calc
    ids = list(img.calcifications)
    for k in range(draw(st.integers(0, 2)) if ids else 0):
        members = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
        outline = draw(st.none() | st.lists(points, min_size=3, max_size=6).map(tuple))
        img.clusters[f"k{n}-{k}"] = Cluster(
            f"k{n}-{k}",
            tuple(members),
            draw(st.sampled_from(list(ClusterState))),
            outline,
            draw(st.none() | text),
            draw(st.none() | st.sampled_from(["2", "3", "4A", "4B", "5"])),
            draw(st.none() | text),
            draw(text),
            draw(text),
            draw(timestamps),
            draw(timestamps),
        )
    return img


@st.composite
def studies(draw: st.DrawFn) -> StudyAnnotations:
    """A model with 0-3 images, each with marks, clusters and maybe a calibration."""
    model = StudyAnnotations(draw(text), draw(st.just("") | uids))
    for n in range(draw(st.integers(0, 3))):
        img = draw(images(n))
        model.images[img.key] = img
    model.created = draw(timestamps)
    model.modified = draw(timestamps)
    return model


def model_state(model: StudyAnnotations) -> dict[str, Any]:
    """Every stored field of a model, as comparable Python objects (dataclass equality)."""
    return {
        "reader": model.reader,
        "study": model.study_instance_uid,
        "created": model.created,
        "modified": model.modified,
        "images": [
            (
                key,
                img.study_instance_uid,
                img.series_instance_uid,
                img.rows,
                img.columns,
                img.laterality,
                img.view,
                img.dicom_spacing,
                img.calibration,
                list(img.calcifications.items()),
                list(img.clusters.items()),
            )
            for key, img in model.images.items()
        ],
    }
