"""Tests of the CBIS-DDSM and VinDr-Mammo imports on small files made from the published layouts."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import generate_uid

from tests.fixtures.dicom_files import SECONDARY_CAPTURE, make_dataset, write_dicom
from tests.fixtures.synthetic_study import COLUMNS, ROWS, write_image
from viewer.core.annotations import StudyAnnotations
from viewer.interop.imports import import_labels
from viewer.store.sidecar import load, sidecar_path

CBIS_COLUMNS = [
    "patient_id", "breast density", "left or right breast", "image view", "abnormality id",
    "abnormality type", "calc type", "calc distribution", "assessment", "pathology", "subtlety",
    "image file path", "cropped image file path", "ROI mask file path",
]  # fmt: skip
VINDR_COLUMNS = [
    "image_id", "study_id", "series_id", "laterality", "view_position", "height", "width",
    "breast_birads", "breast_density", "finding_categories", "finding_birads",
    "xmin", "ymin", "xmax", "ymax", "split",
]  # fmt: skip


def _mask_file(path: Path, mask: np.ndarray) -> Path:
    """A CBIS-style ROI mask: a DICOM secondary capture of 0/255."""
    ds = make_dataset(mask.astype(np.uint8) * 255, bits_stored=8, sop_class=SECONDARY_CAPTURE)
    write_dicom(ds, path)
    return path


def _csv(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def _model(study: Path, reader: str) -> StudyAnnotations:
    return load(sidecar_path(study, reader))


class TestCbisDdsm:
    """calc_case_description CSV + one ROI mask per abnormality."""

    def test_calcification_clusters(self, tmp_path: Path) -> None:
        """A calcification row: cluster outlined by its mask, lexicon descriptors, pathology noted."""
        study = tmp_path / "study"
        study.mkdir()
        image_folder = "Calc-Training_P_00005_RIGHT_CC"
        ds = write_image(study, "000000.dcm", generate_uid(), generate_uid(), "R", "CC", patient="x")
        ds.PatientID = image_folder
        ds.save_as(study / "000000.dcm", enforce_file_format=True)
        src = tmp_path / "cbis"
        mask = np.zeros((ROWS, COLUMNS), bool)
        mask[20:30, 10:18] = True
        # the CSV's mask path is stale (as in the dataset); the mask sits in its abnormality folder
        _mask_file(src / f"{image_folder}_1" / "a" / "b" / "1-2.dcm", mask)
        _mask_file(src / f"{image_folder}_1" / "a" / "b" / "1-1.dcm", np.ones((12, 9), bool))  # the crop
        _mask_file(src / f"{image_folder}_2" / "x" / "1-1.dcm", np.ones((10, 10), bool))  # wrong size
        base = {
            "patient_id": "P_00005", "left or right breast": "RIGHT", "image view": "CC",
            "abnormality type": "calcification", "assessment": "4", "pathology": "MALIGNANT",
            "subtlety": "3", "image file path": f"{image_folder}/1.2.3/1.2.4/000000.dcm",
        }  # fmt: skip
        rows = [
            base | {"abnormality id": "1", "calc type": "PLEOMORPHIC", "calc distribution": "CLUSTERED",
                    "ROI mask file path": f"{image_folder}_1/1.2.5/1.2.6/000001.dcm"},
            base | {"abnormality id": "2", "calc type": "AMORPHOUS", "calc distribution": "SEGMENTAL",
                    "ROI mask file path": f"{image_folder}_2/1.2.7/1.2.8/000001.dcm"},
            base | {"abnormality id": "3", "abnormality type": "mass"},
        ]  # fmt: skip
        table = _csv(src / "calc_case_description_train_set.csv", CBIS_COLUMNS, rows)
        result = import_labels(study, "cbis-ddsm", table)
        assert (result.images, result.clusters) == (1, 1)
        reasons = sorted(s.reason for s in result.skipped)
        assert reasons[0] == "abnormality type 'mass': not a calcification"
        assert reasons[1].startswith(f"no mask of the image's size {ROWS}x{COLUMNS} (1-1.dcm is 10x10")
        (img,) = _model(study, "cbis-ddsm").images.values()
        (cluster,) = img.clusters.values()
        assert (cluster.morphology, cluster.distribution, cluster.assessment) == (
            "fine_pleomorphic",
            "grouped",
            "4",
        )
        assert "pathology MALIGNANT" in cluster.note and cluster.imported.startswith("cbis-ddsm:")
        outline = np.asarray(cluster.outline)
        assert outline[:, 0].min() == pytest.approx(9.5, abs=0.5) and outline[:, 0].max() == pytest.approx(
            17.5, abs=0.5
        )
        assert outline[:, 1].min() == pytest.approx(19.5, abs=0.5) and outline[:, 1].max() == pytest.approx(
            29.5, abs=0.5
        )

    def test_not_a_case_table(self, tmp_path: Path) -> None:
        """A CSV without the CBIS columns is one skipped line, nothing written."""
        study = tmp_path / "study"
        study.mkdir()
        write_image(study, "a.dcm", generate_uid(), generate_uid(), "R", "CC")
        table = tmp_path / "x.csv"
        table.write_text("a,b\n1,2\n")
        result = import_labels(study, "cbis-ddsm", table)
        assert result.images == 0 and result.skipped[0].reason.startswith("not a CBIS-DDSM case description")
        assert not sidecar_path(study, "cbis-ddsm").exists()


class TestVindr:
    """finding_annotations.csv: boxes with categories and BI-RADS."""

    def test_boxes(self, tmp_path: Path) -> None:
        """Suspicious Calcification boxes become clusters; masses are skipped; no-finding rows ignored."""
        study = tmp_path / "study"
        study.mkdir()
        image_id = "4e3a578fd6a4b7e0b2c4d7f8e9a1b2c3"
        write_image(study, f"{image_id}.dicom", generate_uid(), generate_uid(), "L", "MLO")
        write_image(study, "other.dicom", generate_uid(), generate_uid(), "L", "CC")
        common = {"image_id": image_id, "laterality": "L", "view_position": "MLO"}
        rows = [
            common | {"finding_categories": "['Suspicious Calcification']", "finding_birads": "BI-RADS 4",
                      "xmin": "5.5", "ymin": "6", "xmax": "20", "ymax": "30.25"},
            common | {"finding_categories": "['Mass', 'Suspicious Calcification']",
                      "finding_birads": "BI-RADS 5", "xmin": "1", "ymin": "1", "xmax": "9", "ymax": "9"},
            common | {"finding_categories": "['Mass']", "finding_birads": "BI-RADS 3",
                      "xmin": "1", "ymin": "1", "xmax": "9", "ymax": "9"},
            common | {"finding_categories": "['Suspicious Calcification']", "xmin": "", "ymin": ""},
            {"image_id": "other", "finding_categories": "['No Finding']"},
            {"image_id": "missing", "finding_categories": "['Suspicious Calcification']",
             "xmin": "1", "ymin": "1", "xmax": "2", "ymax": "2"},
        ]  # fmt: skip
        table = _csv(tmp_path / "finding_annotations.csv", VINDR_COLUMNS, rows)
        result = import_labels(study, "vindr", tmp_path)
        assert (result.images, result.clusters) == (1, 2)
        assert [(s.where, s.reason.split(":")[0].split(" (")[0]) for s in result.skipped] == [
            (f"{table.name} line 4", "Mass"),
            (f"{table.name} line 5", "Suspicious Calcification without a usable box"),
            (f"{table.name} image missing", "no image of study matches missing"),
        ]
        img = next(i for i in _model(study, "vindr").images.values() if i.clusters)
        first, second = img.clusters.values()
        assert first.outline == ((5.5, 6.0), (20.0, 6.0), (20.0, 30.25), (5.5, 30.25))
        assert (first.assessment, second.assessment) == ("4", "5")
        assert "also Mass" in second.note
