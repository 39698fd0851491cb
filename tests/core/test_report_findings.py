"""Tests for viewer.core.report_findings: the study's findings in a radiologist's words."""

from __future__ import annotations

from viewer.core.annotations import Calcification, Cluster, ClusterState, ImageAnnotations, StudyAnnotations
from viewer.core.geometry import Spacing, SpacingSource
from viewer.core.landmarks import Landmarks
from viewer.core.lexicon import Lexicon
from viewer.core.reading import FindingLink, FindingRef, ImageLandmarks
from viewer.core.report_findings import category_words, composition_sentence, report_findings
from viewer.store.lexicon_file import load_lexicon

SPACING = Spacing(0.1, 0.1, SpacingSource.PIXEL_SPACING, "mm (corrected)")
CC, MLO, RCC = ("1.1", 0), ("1.2", 0), ("1.3", 0)


def _ring(x: float, y: float, r: float = 3.0) -> list[tuple[float, float]]:
    return [(x + r, y), (x, y + r), (x - r, y), (x, y - r)]


def _model() -> StudyAnnotations:
    model = StudyAnnotations("dr a", "1")
    for key, lat, view in ((CC, "L", "CC"), (MLO, "L", "MLO"), (RCC, "R", "CC")):
        model.ensure_image(ImageAnnotations(key[0], 0, "1", "", 1000, 800, lat, view, dicom_spacing=SPACING))
    ids = []
    for i in range(5):
        calc = Calcification.create(
            (300.0 + 8 * i, 400.0 + 5 * i),
            _ring(300.0 + 8 * i, 400.0 + 5 * i),
            SPACING,
            morphology="fine_pleomorphic",
        )
        model.put_calcification(CC, calc)
        ids.append(calc.id)
    model.put_cluster(
        CC,
        Cluster(
            "k",
            tuple(ids),
            ClusterState.CONFIRMED,
            distribution="grouped",
            assessment="4B",
            recommendation="biopsy",
        ),
    )
    model.put_calcification(MLO, Calcification("m", (320.0, 560.0)))
    model.put_calcification(RCC, Calcification.create((500.0, 500.0), _ring(500.0, 500.0, 6.0), SPACING))
    for key, orientation in ((CC, ("A", "R")), (MLO, ("A", "F"))):
        lm = Landmarks((700.0, 500.0), ((0.0, 0.0), (0.0, 999.0)))
        model.reading.landmarks[key] = ImageLandmarks(lm, orientation)
    model.reading.links["l"] = FindingLink("l", "L", FindingRef(CC, "k"), FindingRef(MLO, "m"))
    return model


def _lexicon() -> Lexicon:
    return load_lexicon()


class TestReportFindings:
    def test_linked_cluster_first_in_words(self) -> None:
        """The linked group reads: location, distribution, morphology, count, span with spacing, category."""
        findings = report_findings(_model(), _lexicon())
        first = findings[0]
        assert first.where.startswith("left breast, ") and "o'clock" in first.where
        assert first.what.startswith("Grouped fine pleomorphic calcifications, 5 calcifications over ")
        assert first.what.endswith("(mm (corrected))")
        assert first.assessment == "BI-RADS 4B" and first.recommendation
        assert [v.view_label for v in first.views] == ["LCC", "LMLO"]

    def test_unlinked_findings_say_their_view(self) -> None:
        """Members of the cluster are not listed again; the right breast's mark says its view only."""
        findings = report_findings(_model(), _lexicon())
        assert len(findings) == 2
        second = findings[1]
        assert second.where == "right breast, seen on RCC only"
        assert "long axis" in second.what and "mm (corrected)" in second.what

    def test_sentences(self) -> None:
        """Composition and category sentences use the Atlas's words."""
        assert composition_sentence("d").startswith("Breast composition d: The breasts are extremely dense")
        assert composition_sentence(None) == "Breast composition: not stated."
        assert category_words("4A") == "BI-RADS 4A: Low suspicion for malignancy"
