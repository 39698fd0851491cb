"""Tests of the CSV import: our own CSV export read back, and bad rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.fixtures.synthetic_study import write_study
from viewer.cli import main
from viewer.interop.csv_export import COLUMNS, export_csv
from viewer.interop.imports import import_labels
from viewer.interop.options import ExportOptions
from viewer.store.sidecar import load, sidecar_path
from viewer.store.study_tree import load_studies


def _export(tmp_path: Path, options: ExportOptions | None = None) -> Path:
    studies, _ = load_studies(tmp_path / "study")
    out = tmp_path / "marks.csv"
    export_csv(studies, out, options or ExportOptions())
    return out


class TestRoundTrip:
    """export --format csv, then import --format csv: every mark, outline and membership back."""

    def test_export_then_import(self, tmp_path: Path) -> None:
        """Centres and outlines exact, point marks stay points, the cluster holds the same marks
        with its distribution and assessment; sizes measured again with the image's spacing."""
        original = write_study(tmp_path / "study")
        result = import_labels(tmp_path / "study", "csv", _export(tmp_path), reader="back")
        assert result.skipped == []
        assert (result.calcifications, result.clusters) == (6, 1)
        back = load(sidecar_path(tmp_path / "study", "back"))
        for key, img in original.images.items():
            got = back.images[key]
            by_center = {c.center: c for c in got.calcifications.values()}
            assert set(by_center) == {c.center for c in img.calcifications.values()}
            ids = {}
            for calc in img.calcifications.values():
                twin = by_center[calc.center]
                assert twin.outline == calc.outline and twin.morphology == calc.morphology
                assert (twin.sizes is None) == (calc.sizes is None)
                if calc.sizes is not None and twin.sizes is not None:
                    assert twin.sizes.long_axis_mm == pytest.approx(calc.sizes.long_axis_mm)
                assert twin.imported == "csv:marks.csv"
                ids[calc.id] = twin.id
            want = [
                (sorted(ids[m] for m in c.member_ids), c.distribution, c.assessment)
                for c in img.clusters.values()
            ]
            have = [(sorted(c.member_ids), c.distribution, c.assessment) for c in got.clusters.values()]
            assert have == want

    def test_the_note_comes_back_only_when_it_was_exported(self, tmp_path: Path) -> None:
        """De-identified exports drop free text; an identified one keeps the cluster's note."""
        write_study(tmp_path / "study")
        import_labels(tmp_path / "study", "csv", _export(tmp_path, ExportOptions(keep_identity=True)), "back")
        (cluster,) = (
            c
            for img in load(sidecar_path(tmp_path / "study", "back")).images.values()
            for c in img.clusters.values()
        )
        assert cluster.note == "call Jane Doe back"

    def test_reimport_replaces_what_it_brought(self, tmp_path: Path) -> None:
        """Importing the same file twice leaves one copy of each mark."""
        write_study(tmp_path / "study")
        out = _export(tmp_path)
        import_labels(tmp_path / "study", "csv", out, "back")
        import_labels(tmp_path / "study", "csv", out, "back")
        assert load(sidecar_path(tmp_path / "study", "back")).count()[0] == 6

    def test_replaced_uids_are_written_and_match_nothing(self, tmp_path: Path) -> None:
        """--replace-uids reaches the CSV too (it kept the real UIDs before); such a file points
        at no image of the study, and every image is listed as skipped."""
        original = write_study(tmp_path / "study")
        out = _export(tmp_path, ExportOptions(replace_uids=True))
        with out.open(encoding="utf-8-sig") as fh:
            uids = {row["sop_instance_uid"] for row in csv.DictReader(fh)}
        assert uids.isdisjoint({img.sop_instance_uid for img in original.images.values()})
        result = import_labels(tmp_path / "study", "csv", out, "back")
        assert result.calcifications == 0 and len(result.skipped) == 2


class TestBadRows:
    def test_each_bad_row_is_named_and_the_rest_imported(self, tmp_path: Path) -> None:
        """A bad outline vertex, a non-finite centre, a rejected cluster, an unknown row type."""
        write_study(tmp_path / "study")
        out = _export(tmp_path)
        with out.open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        calcs = [r for r in rows if r["row_type"] == "calcification" and r["outline"]]
        calcs[0]["outline"] = "1 2;3"
        calcs[1]["center_x"] = "nan"
        cluster = next(r for r in rows if r["row_type"] == "cluster")
        rejected = dict(cluster, id="k9", cluster_state="rejected")
        odd = dict(cluster, row_type="finding")
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows([*rows, rejected, odd])
        result = import_labels(tmp_path / "study", "csv", out, "back")
        reasons = " | ".join(str(s) for s in result.skipped)
        assert "outline vertex '3' is not 'x y'" in reasons
        assert "not a finite number" in reasons
        assert "a rejected cluster is not a cluster" in reasons
        assert "row_type 'finding'" in reasons
        assert len(result.skipped) == 4 and result.calcifications == 4 and result.clusters == 1

    def test_not_our_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A CSV without our columns: one skipped line naming them, exit status 1, nothing written."""
        write_study(tmp_path / "study")
        other = tmp_path / "other.csv"
        other.write_text("a,b\n1,2\n")
        code = main(["import", str(tmp_path / "study"), "--format", "csv", "--from", str(other), "--json"])
        report = json.loads(capsys.readouterr().out)
        assert "not a mammo-viewer CSV export" in report["skipped"][0]["reason"]
        assert report["calcifications"] == 0
        assert code == 1
        assert not sidecar_path(tmp_path / "study", "csv").exists()
