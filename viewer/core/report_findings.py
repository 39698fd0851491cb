"""A study's findings in a radiologist's words: what a report says, from the model alone.

Each finding is a cluster or a calcification outside any cluster; a finding linked across
CC and MLO (:class:`viewer.core.reading.FindingLink`) is one finding with its clock face.
The words follow the BI-RADS lexicon (texts from the :class:`viewer.core.lexicon.Lexicon`
given); every size says the spacing it was measured with. Rejected groups and program
suggestions are not findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from viewer.core.annotations import Cluster, ImageAnnotations, ImageKey, StudyAnnotations
from viewer.core.cluster_metrics import cluster_metrics
from viewer.core.finding_places import link_position, locate_item
from viewer.core.lexicon import Lexicon
from viewer.core.location import FindingPosition, ViewLocation
from viewer.core.reading import CATEGORIES, COMPOSITIONS, FindingRef

SIDES = {"R": "right", "L": "left"}


@dataclass(frozen=True)
class FindingView:
    """A finding as seen on one image."""

    ref: FindingRef
    view_label: str
    kind: str
    """``"cluster"`` or ``"calcification"``."""
    location: ViewLocation | None


@dataclass
class ReportFinding:
    """One finding of the report."""

    number: int
    laterality: str | None
    what: str
    """E.g. "Grouped fine pleomorphic calcifications, 7 calcifications over 6.2 mm (<spacing label>)"."""
    where: str
    """"left breast, 4 o'clock, 5.6 cm from the nipple, middle depth", or a view and the nipple distance."""
    assessment: str | None
    recommendation: str | None
    note: str
    views: list[FindingView] = field(default_factory=list)
    position: FindingPosition | None = None


def _view_label(image: ImageAnnotations) -> str:
    return f"{image.laterality or '?'}{image.view or '?'}"


def _mm(value: float | None, px: float) -> str:
    return f"{value:.1f} mm" if value is not None else f"{px:.0f} px"


def _morphology(lexicon: Lexicon, image: ImageAnnotations, ids: tuple[str, ...], given: str | None) -> str:
    if given:
        return lexicon.morphology.text_of(given).lower()
    counts = Counter(image.calcifications[i].morphology for i in ids if i in image.calcifications)
    counts.pop(None, None)
    if not counts:
        return ""
    words = [lexicon.morphology.text_of(m).lower() for m, _ in counts.most_common(2)]
    return " and ".join(words)


def _cluster_words(lexicon: Lexicon, image: ImageAnnotations, cluster: Cluster) -> str:
    metrics = cluster_metrics(cluster, image)
    distribution = lexicon.distribution.text_of(cluster.distribution) if cluster.distribution else "Grouped?"
    morphology = _morphology(lexicon, image, cluster.member_ids, getattr(cluster, "morphology", None))
    head = f"{distribution} {morphology} calcifications".replace("  ", " ")
    size = f"{metrics.count} calcifications over {_mm(metrics.span_mm, metrics.span_px)}"
    return f"{head[:1].upper()}{head[1:]}, {size} ({metrics.spacing.label})"


def _calc_words(lexicon: Lexicon, image: ImageAnnotations, calc_id: str) -> str:
    calc = image.calcifications[calc_id]
    morphology = lexicon.morphology.text_of(calc.morphology).lower() if calc.morphology else ""
    head = f"{morphology} calcification".strip()
    if calc.sizes is None:
        return f"{head[:1].upper()}{head[1:]}, a point mark (not measured)"
    s = calc.sizes
    return (
        f"{head[:1].upper()}{head[1:]}, {_mm(s.long_axis_mm, s.long_axis_px)} long axis ({s.spacing.label})"
    )


def _where_one_view(laterality: str | None, view: FindingView) -> str:
    side = f"{SIDES[laterality]} breast" if laterality in SIDES else "breast of unknown side"
    parts = [side, f"seen on {view.view_label} only"]
    loc = view.location
    if loc is not None:
        distance = loc.nipple_distance_mm
        parts.append(
            f"{distance / 10:.1f} cm from the nipple"
            if distance is not None
            else f"{loc.nipple_distance_px:.0f} px from the nipple"
        )
        parts.append(f"{loc.depth.value} depth")
    return ", ".join(parts)


def _descriptors(lexicon: Lexicon, cluster: Cluster | None) -> tuple[str | None, str | None, str]:
    if cluster is None:
        return None, None, ""
    assessment = f"BI-RADS {cluster.assessment}" if cluster.assessment else None
    recommendation = (
        lexicon.recommendation.text_of(cluster.recommendation) if cluster.recommendation else None
    )
    return assessment, recommendation, cluster.note


def report_findings(model: StudyAnnotations, lexicon: Lexicon) -> list[ReportFinding]:
    """The study's findings: linked ones first (by breast), then clusters and lone marks of each view."""
    out: list[ReportFinding] = []
    used: set[tuple[ImageKey, str]] = set()

    def view_of(ref: FindingRef) -> FindingView | None:
        image = model.images.get(ref.image)
        if image is None:
            return None
        kind = "cluster" if ref.item_id in image.clusters else "calcification"
        if kind == "calcification" and ref.item_id not in image.calcifications:
            return None
        return FindingView(ref, _view_label(image), kind, locate_item(model, ref))

    def words(ref: FindingRef) -> tuple[str, Cluster | None]:
        image = model.images[ref.image]
        cluster = image.clusters.get(ref.item_id)
        if cluster is not None:
            return _cluster_words(lexicon, image, cluster), cluster
        return _calc_words(lexicon, image, ref.item_id), None

    links = sorted(model.reading.links.values(), key=lambda lk: (lk.laterality, lk.created, lk.id))
    for link in links:
        views = [view_of(link.cc), view_of(link.mlo)]
        if any(v is None for v in views):
            continue
        position = link_position(model, link)
        what, cluster = words(link.cc)
        where = position.description if position else f"{SIDES[link.laterality]} breast, seen on CC and MLO"
        assessment, recommendation, note = _descriptors(lexicon, cluster)
        out.append(
            ReportFinding(
                len(out) + 1,
                link.laterality,
                what,
                where,
                assessment,
                recommendation,
                note,
                [v for v in views if v is not None],
                position,
            )
        )
        used |= {(link.cc.image, link.cc.item_id), (link.mlo.image, link.mlo.item_id)}

    for key, image in model.images.items():
        in_clusters = {m for c in image.clusters.values() if not c.rejected for m in c.member_ids}
        items = [cid for cid, c in image.clusters.items() if not c.rejected]
        items += [cid for cid in image.calcifications if cid not in in_clusters]
        for item_id in items:
            if (key, item_id) in used:
                continue
            ref = FindingRef(key, item_id)
            view = view_of(ref)
            if view is None:
                continue
            what, cluster = words(ref)
            assessment, recommendation, note = _descriptors(lexicon, cluster)
            out.append(
                ReportFinding(
                    len(out) + 1,
                    image.laterality,
                    what,
                    _where_one_view(image.laterality, view),
                    assessment,
                    recommendation,
                    note,
                    [view],
                )
            )
    return out


def composition_sentence(composition: str | None) -> str:
    """The Atlas's sentence for a breast composition, or that none was given."""
    if composition is None:
        return "Breast composition: not stated."
    return f"Breast composition {composition}: {COMPOSITIONS[composition]}."


def category_words(category: str | None) -> str:
    """``"BI-RADS 4B: Moderate suspicion for malignancy"``, or "not stated"."""
    return "not stated" if category is None else f"BI-RADS {category}: {CATEGORIES[category]}"
