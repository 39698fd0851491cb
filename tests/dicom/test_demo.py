"""Tests for viewer.dicom.demo: the built-in four-view demo study."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest

from viewer.core.geometry import SpacingSource
from viewer.core.phantom import Phantom
from viewer.dicom.demo import (
    ERMF,
    IMAGER_PIXEL_SPACING_MM,
    MG_FOR_PRESENTATION,
    SPACING_MM,
    VERSION_MARKER,
    VIEWS,
    demo_dataset,
    demo_phantom,
    demo_phantoms,
    ensure_demo_study,
    write_demo_study,
)
from viewer.dicom.image import MammoImage


@pytest.fixture(scope="module")
def phantoms() -> list[Phantom]:
    return demo_phantoms()


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo_study(tmp_path_factory.mktemp("demo"))


def _groups(points_mm: list[tuple[float, float]], link_mm: float) -> list[set[int]]:
    """Single-linkage groups: members within ``link_mm`` of another member."""
    groups: list[set[int]] = []
    for i in range(len(points_mm)):
        joined = [g for g in groups if any(math.dist(points_mm[i], points_mm[j]) <= link_mm for j in g)]
        merged = {i}.union(*joined)
        groups = [g for g in groups if g not in joined] + [merged]
    return groups


class TestDemoPhantoms:
    def test_four_views_in_order(self, phantoms: list[Phantom]) -> None:
        """RCC, LCC, RMLO, LMLO, at least 2000x1600, 12 bits."""
        assert [(p.laterality, p.view) for p in phantoms] == list(VIEWS)
        assert VIEWS == (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))
        for p in phantoms:
            assert p.pixels.shape[0] >= 2000 and p.pixels.shape[1] >= 1600
            assert int(p.pixels.max()) < 4096

    def test_deterministic(self, phantoms: list[Phantom]) -> None:
        """Making the phantoms again gives the same truth."""
        assert demo_phantom(0).truth == phantoms[0].truth

    def test_sizes_and_places(self, phantoms: list[Phantom]) -> None:
        """Calcifications are 0.2-2 mm, inside the breast, spanning small and large."""
        diameters = [t.diameter_mm for p in phantoms for t in p.truth]
        assert min(diameters) == pytest.approx(0.2) and max(diameters) == pytest.approx(2.0)
        for p in phantoms:
            for t in p.truth:
                assert p.breast_mask[int(round(t.center[1])), int(round(t.center[0]))]

    def test_has_a_cluster(self, phantoms: list[Phantom]) -> None:
        """LCC holds a group of >= 5 calcifications each within 1 cm of another."""
        lcc = phantoms[1]
        pts = [(t.center[0] * SPACING_MM, t.center[1] * SPACING_MM) for t in lcc.truth]
        assert max(len(g) for g in _groups(pts, 10.0)) >= 5
        # the singles are scattered: at least two marks belong to no group of 2+
        everyone = [
            (t.center[0] * SPACING_MM, t.center[1] * SPACING_MM) for p in phantoms[:1] for t in p.truth
        ]
        assert sum(1 for g in _groups(everyone, 10.0) if len(g) == 1) >= 2


class TestDemoFiles:
    def test_header(self, study: list[Path]) -> None:
        """Each file is MG For Presentation with the mammography attributes set."""
        assert [p.name for p in study] == ["RCC.dcm", "LCC.dcm", "RMLO.dcm", "LMLO.dcm"]
        uids = set()
        for path, (lat, view) in zip(study, VIEWS, strict=True):
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
            assert ds.SOPClassUID == MG_FOR_PRESENTATION
            assert ds.PresentationIntentType == "FOR PRESENTATION"
            assert ds.ImageLaterality == lat and ds.ViewPosition == view
            code = ds.ViewCodeSequence[0]
            assert code.CodingSchemeDesignator == "SCT"
            assert code.CodeValue == {"CC": "399162004", "MLO": "399368009"}[view]
            assert ds.BitsStored == 12 and ds.PatientName == "DEMO^MAMMO"
            assert list(ds.ImagerPixelSpacing) == [IMAGER_PIXEL_SPACING_MM] * 2
            assert float(ds.EstimatedRadiographicMagnificationFactor) == ERMF
            assert len(ds.WindowCenter) == len(ds.WindowCenterWidthExplanation) == 2
            assert ds.ImageComments == VERSION_MARKER
            uids.add(ds.StudyInstanceUID)
        assert len(uids) == 1

    def test_pixels_and_spacing_round_trip(self, study: list[Path], phantoms: list[Phantom]) -> None:
        """The viewer reads the phantom's pixels and resolves spacing to IPS / ERMF."""
        image = MammoImage.open(study[1])
        assert np.array_equal(image.pixels(), phantoms[1].pixels)
        assert image.spacing.source is SpacingSource.IMAGER_PIXEL_SPACING_ERMF
        assert image.spacing.row_mm == pytest.approx(SPACING_MM)
        assert image.laterality == "L" and image.view == "CC"
        assert image.bright_is_high

    def test_uids_are_stable(self, phantoms: list[Phantom]) -> None:
        """Writing again gives the same UIDs, so saved marks still match."""
        a, b = demo_dataset(phantoms[0], 1), demo_dataset(phantoms[0], 1)
        assert a.SOPInstanceUID == b.SOPInstanceUID and a.StudyInstanceUID == b.StudyInstanceUID
        assert demo_dataset(phantoms[1], 2).SOPInstanceUID != a.SOPInstanceUID

    def test_ensure_keeps_current_files(self, study: list[Path]) -> None:
        """ensure_demo_study does not rewrite files that are current."""
        before = [p.stat().st_mtime_ns for p in study]
        assert ensure_demo_study(study[0].parent) == study
        assert [p.stat().st_mtime_ns for p in study] == before

    def test_ensure_rewrites_damaged_or_old(self, tmp_path: Path, study: list[Path]) -> None:
        """A missing, truncated or older-version file makes ensure_demo_study rewrite."""
        folder = tmp_path / "demo"
        folder.mkdir()
        for p in study[1:]:
            (folder / p.name).write_bytes(p.read_bytes())
        ds = pydicom.dcmread(folder / study[1].name)
        ds.ImageComments = "mammo-viewer synthetic demo v0"
        ds.save_as(folder / study[1].name)
        (folder / study[2].name).write_bytes(b"not dicom")
        paths = ensure_demo_study(folder)
        assert [p.name for p in paths] == [p.name for p in study]
        for p in paths:
            assert pydicom.dcmread(p, stop_before_pixels=True).ImageComments == VERSION_MARKER
        assert not list(folder.glob(".*.tmp"))
