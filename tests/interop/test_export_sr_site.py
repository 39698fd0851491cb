"""SR export: a finding linked across CC and MLO carries its finding site (breast, laterality, clock face)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import highdicom as hd
from pydicom.sr._cid_dict import cid_concepts
from pydicom.sr.codedict import codes

from tests.fixtures.synthetic_study import write_linked_study
from viewer.interop.options import ExportOptions
from viewer.interop.sr import CALCIFICATION_CLUSTER, INDIVIDUAL_CALCIFICATION, clock_code, export_sr
from viewer.store.study_tree import load_studies


def test_linked_finding_site(tmp_path: Path) -> None:
    """The cluster and the MLO mark name the left breast at the linked clock position; other marks none."""
    write_linked_study(tmp_path / "study")
    files, messages = export_sr(load_studies(tmp_path)[0], tmp_path / "out", ExportOptions())
    assert messages == []
    sr = hd.sr.srread(files[0])
    assert isinstance(sr.content, hd.sr.MeasurementReport)
    groups = sr.content.get_planar_roi_measurement_groups()
    with_site = [g for g in groups if g.finding_sites]
    assert {g.finding_type for g in with_site} == {CALCIFICATION_CLUSTER, INDIVIDUAL_CALCIFICATION}
    assert len(with_site) == 2
    for group in with_site:
        (site,) = group.finding_sites
        assert site.value == hd.sr.CodedConcept("76752008", "SCT", "Breast")
        assert site.laterality is not None and site.laterality.value == "7771000"
        assert site.topographical_modifier is not None
        # lateral (3 o'clock on a left breast) and inferior: between 3 and 6 o'clock
        assert site.topographical_modifier.meaning in {f"{h} o'clock position" for h in (3, 4, 5, 6)}
    if shutil.which("dciodvfy"):
        run = subprocess.run(["dciodvfy", str(files[0])], capture_output=True, text=True, check=False)
        errors = [line for line in run.stderr.splitlines() if line.startswith("Error")]
        assert errors == [], run.stderr


def test_clock_codes() -> None:
    """Every hour has its own code of CID 6018 "Clockface Location or Region"; 0 and 12 are 12 o'clock."""
    sct = codes.SCT
    values = {clock_code(h).value for h in range(1, 13)}
    assert len(values) == 12
    assert clock_code(0.2).meaning == clock_code(12).meaning == "12 o'clock position"
    cid_6018 = {getattr(sct, name).value for name in cid_concepts[6018]["SCT"]}
    assert values <= cid_6018
    # PS3.16 CID 6018: (129775002, SCT, "4 o'clock position"); the codes written before were not it
    assert (clock_code(4).value, clock_code(4).scheme_designator) == ("129775002", "SCT")
