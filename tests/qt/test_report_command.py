"""``mammo-viewer report``: the study's findings as HTML and PDF, and what it says when it cannot."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from viewer.cli import main
from viewer.core.annotations import Calcification, Cluster, ClusterState, StudyAnnotations
from viewer.core.reading import FindingLink, FindingRef, StudyAssessment
from viewer.dicom.demo import demo_phantoms
from viewer.dicom.demo_prior import NEW_CLUSTER_SIZE
from viewer.dicom.study import open_study
from viewer.store import sidecar


def _annotate(folder: Path, reader: str = "Dr. R") -> None:
    """The demo's left group marked on LCC and LMLO, confirmed, linked; an assessment (no landmarks saved)."""
    study = open_study([folder])
    model = StudyAnnotations(reader, study.study_instance_uid)
    keys = {}
    truth = {f"{p.laterality}{p.view}": p for p in demo_phantoms()}
    for image in study.images:
        model.ensure_image(image.annotation_record())
        name = image.view_label
        if name not in ("LCC", "LMLO"):
            continue
        key = keys[name] = (image.sop_instance_uid, 0)
        ids = []
        for t in truth[name].truth[:NEW_CLUSTER_SIZE]:
            (x, y), r = t.center, t.diameter_px_x / 2
            ring = [
                (x + r * math.cos(a), y + r * math.sin(a))
                for a in np.linspace(0, 2 * math.pi, 10, endpoint=False)
            ]
            calc = Calcification.create(
                (x, y), ring, model.images[key].spacing, morphology="fine_pleomorphic"
            )
            model.put_calcification(key, calc)
            ids.append(calc.id)
        model.put_cluster(
            key, Cluster(f"k{name}", tuple(ids), ClusterState.CONFIRMED, distribution="grouped")
        )
    model.reading.links["l"] = FindingLink(
        "l", "L", FindingRef(keys["LCC"], "kLCC"), FindingRef(keys["LMLO"], "kLMLO")
    )
    model.reading.assessment = StudyAssessment("b", "1", "4B", recommendation="biopsy")
    sidecar.save(model, sidecar.sidecar_path(folder, reader))


class TestReportCommand:
    def test_html_and_pdf(
        self, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """HTML names the linked finding with its clock face and thumbnails; a PDF is written; no patient."""
        _annotate(demo_folder)
        html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
        assert main(["report", str(demo_folder), "--out", str(html)]) == 0
        text = html.read_text(encoding="utf-8")
        # The generator put the left group lateral and below the nipple: 3 to 5 o'clock on a left breast.
        assert any(f"Left breast, {h} o&#x27;clock" in text for h in (3, 4, 5)), text[:2000]
        assert "Grouped fine pleomorphic calcifications, 7 calcifications over" in text
        assert text.count("data:image/png;base64,") == 2
        assert "BI-RADS 4B" in text and "DEMO^MAMMO" not in text and "DEMO-0001" not in text
        assert main(["report", str(demo_folder), "--out", str(pdf), "--identify"]) == 0
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert not list(tmp_path.glob(".*.tmp"))

    def test_identify_names_the_patient(self, demo_folder: Path, tmp_path: Path) -> None:
        """--identify adds the patient's name and ID."""
        _annotate(demo_folder)
        out = tmp_path / "r.html"
        assert main(["report", str(demo_folder), "--out", str(out), "--identify"]) == 0
        assert "DEMO^MAMMO" in out.read_text(encoding="utf-8")

    def test_what_it_says_when_it_cannot(
        self, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No annotations, several readers, a wrong suffix: one line naming the problem and the way out."""
        assert main(["report", str(demo_folder), "--out", str(tmp_path / "r.html")]) == 1
        assert "no annotation file" in capsys.readouterr().err
        _annotate(demo_folder, "Dr. R")
        _annotate(demo_folder, "Dr. S")
        assert main(["report", str(demo_folder), "--out", str(tmp_path / "r.html")]) == 1
        assert "choose one with --reader" in capsys.readouterr().err
        assert main(["report", str(demo_folder), "--out", str(tmp_path / "r.html"), "--reader", "Dr. S"]) == 0
        assert main(["report", str(demo_folder), "--out", str(tmp_path / "r.docx")]) == 2
        assert "must end in .html or .pdf" in capsys.readouterr().err
        empty = tmp_path / "empty"
        shutil.copytree(demo_folder, empty, ignore=shutil.ignore_patterns("*.dcm"))
        assert main(["report", str(empty), "--out", str(tmp_path / "x.html")]) == 1
        assert f"{empty}: no DICOM images found" in capsys.readouterr().err
