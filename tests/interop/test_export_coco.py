"""Tests of viewer.interop.coco."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pytest

from tests.fixtures.synthetic_study import write_study
from viewer.core.annotations import Cluster, ClusterState
from viewer.interop.coco import CALCIFICATION_CATEGORY, CLUSTER_CATEGORY, export_coco, to_coco
from viewer.interop.options import ExportOptions
from viewer.store.study_tree import AnnotatedStudy, load_studies


@pytest.fixture
def studies(tmp_path: Path) -> list[AnnotatedStudy]:
    """One synthetic study with 6 marks and a confirmed cluster."""
    write_study(tmp_path / "study")
    return load_studies(tmp_path)[0]


def _by_mark(doc: dict, mark_id: str) -> dict:
    return next(a for a in doc["annotations"] if a["attributes"].get("mark_id") == mark_id)


class TestCoco:
    def test_structure(self, studies: list[AnnotatedStudy]) -> None:
        """Images, annotations and categories are linked by unique ids, as COCO requires."""
        doc = to_coco(studies, ExportOptions())
        assert {c["name"] for c in doc["categories"]} == {"calcification", "cluster"}
        image_ids = {i["id"] for i in doc["images"]}
        assert len(image_ids) == len(doc["images"]) == 2
        ann_ids = [a["id"] for a in doc["annotations"]]
        assert len(set(ann_ids)) == len(ann_ids) == 7
        for ann in doc["annotations"]:
            assert ann["image_id"] in image_ids
            assert ann["iscrowd"] == 0
            xs, ys = ann["segmentation"][0][0::2], ann["segmentation"][0][1::2]
            assert ann["bbox"] == [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            assert ann["area"] > 0
        assert all(
            i["file_name"].endswith(".dcm") and i["width"] == 48 and i["height"] == 64 for i in doc["images"]
        )
        assert "De-identified" in doc["info"]["description"]

    def test_pixel_corner_convention(self, studies: list[AnnotatedStudy]) -> None:
        """A mark covering pixels 9..11 (centres) gets the COCO box [9, 12) on each axis."""
        c0 = _by_mark(to_coco(studies, ExportOptions()), "c0")
        assert c0["bbox"] == [9.0, 9.0, 3.0, 3.0]
        assert c0["category_id"] == CALCIFICATION_CATEGORY
        assert math.isclose(c0["attributes"]["long_axis_mm"], math.hypot(3, 3) * 0.1)

    def test_point_only_mark(self, studies: list[AnnotatedStudy]) -> None:
        """A point-only mark is the one pixel around its centre, flagged as such."""
        p1 = _by_mark(to_coco(studies, ExportOptions()), "p1")
        assert p1["bbox"] == [30.0, 40.0, 1.0, 1.0]
        assert p1["attributes"]["point_only"] is True

    def test_cluster_states(self, studies: list[AnnotatedStudy]) -> None:
        """Confirmed clusters are exported; suggested only on request; rejected never."""
        img = next(i for i in studies[0].model.images.values() if i.clusters)
        members = tuple(img.calcifications)[:2]
        img.clusters["s"] = Cluster("s", members, ClusterState.SUGGESTED)
        img.clusters["r"] = Cluster("r", members, ClusterState.REJECTED)

        def clusters(options: ExportOptions) -> set[str]:
            doc = to_coco(studies, options)
            return {
                a["attributes"]["cluster_id"]
                for a in doc["annotations"]
                if a["category_id"] == CLUSTER_CATEGORY
            }

        assert clusters(ExportOptions()) == {"k1"}
        assert clusters(ExportOptions(include_suggested=True)) == {"k1", "s"}

    # pycocotools' compiled mask code trips a numpy 2 deprecation that is not ours to fix
    @pytest.mark.filterwarnings("ignore::DeprecationWarning")
    def test_pycocotools_reads_it(self, studies: list[AnnotatedStudy], tmp_path: Path) -> None:
        """pycocotools loads the file and rasterises each polygon inside its box."""
        coco_mod = pytest.importorskip("pycocotools.coco", reason="pycocotools not installed")
        path = export_coco(studies, tmp_path / "coco.json", ExportOptions())[0]
        coco = coco_mod.COCO(str(path))
        assert len(coco.getAnnIds()) == 7
        ann = coco.loadAnns([_by_mark(orjson.loads(path.read_bytes()), "c0")["id"]])[0]
        mask = coco.annToMask(ann)
        rows, cols = mask.nonzero()
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == (9, 11, 9, 11)
