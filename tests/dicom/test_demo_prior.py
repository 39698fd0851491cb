"""Tests for viewer.dicom.demo_prior: the demo patient a year earlier, without the new cluster."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from viewer.dicom.demo import demo_phantoms, ensure_demo_study
from viewer.dicom.demo_prior import NEW_CLUSTER_SIZE, PRIOR_DATE, ensure_demo_prior, prior_phantom
from viewer.dicom.study import open_study


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("demo-root")
    ensure_demo_study(root / "demo-study")
    ensure_demo_prior(root / "demo-prior")
    return root / "demo-study", root / "demo-prior"


class TestDemoPrior:
    def test_same_patient_earlier_date_other_study(self, folders: tuple[Path, Path]) -> None:
        """The prior is the demo patient's, a year earlier, a different study with four views."""
        current, prior = (open_study([f]) for f in folders)
        assert sorted(prior.by_view()) == ["LCC", "LMLO", "RCC", "RMLO"]
        c, p = current.images[0], prior.images[0]
        assert p.patient_id == c.patient_id and p.study_date == PRIOR_DATE < c.study_date
        assert p.study_instance_uid != c.study_instance_uid
        assert not {i.sop_instance_uid for i in current.images} & {i.sop_instance_uid for i in prior.images}

    def test_the_left_cluster_is_new(self) -> None:
        """The left views of the prior lack exactly the current group of seven; the rest are the same."""
        current = demo_phantoms()
        for index in range(4):
            now, then = current[index], prior_phantom(index)
            missing = [t for t in now.truth if t not in then.truth]
            assert len(missing) == (NEW_CLUSTER_SIZE if now.laterality == "L" else 0)
            assert all(t in now.truth for t in then.truth)
        # Away from the group, the breast is pixel for pixel the same breast.
        lcc_now, lcc_then = current[1].pixels, prior_phantom(1).pixels
        assert np.array_equal(lcc_now[:200], lcc_then[:200])

    def test_written_once(self, folders: tuple[Path, Path]) -> None:
        """Ensuring the prior again rewrites nothing that is current."""
        _, prior = folders
        before = {p: p.stat().st_mtime_ns for p in prior.glob("*.dcm")}
        ensure_demo_prior(prior)
        assert {p: p.stat().st_mtime_ns for p in prior.glob("*.dcm")} == before
        ds = pydicom.dcmread(next(iter(before)), stop_before_pixels=True)
        assert ds.StudyDate == PRIOR_DATE
