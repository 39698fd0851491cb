"""The study report as HTML: findings in a radiologist's words, a thumbnail of each with its outline.

The words come from :func:`viewer.core.report_findings.report_findings`; this module reads
the study's images for the thumbnails (each finding cropped, windowed as the viewer shows
it, the cluster's outline and the marks' outlines drawn) and writes the page. Nothing
patient-identifying is written unless ``identify`` is asked: the study is named by its
Study Instance UID only.

Thumbnails are PNG; :meth:`Report.html` embeds them as data URIs (one self-contained
file), or names them (``finding-1-LCC.png``) for a renderer given the images separately
(the PDF writer in :mod:`viewer.qt.report_pdf`).
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from PIL import Image, ImageDraw

from viewer import __version__
from viewer.core.annotations import StudyAnnotations
from viewer.core.cluster_metrics import cluster_metrics
from viewer.core.display_lut import apply_display_lut, display_lut
from viewer.core.geometry import Point
from viewer.core.lexicon import Lexicon
from viewer.core.report_findings import (
    ReportFinding,
    category_words,
    composition_sentence,
    report_findings,
)
from viewer.dicom.image import MammoImage

THUMB_PX = 220
"""Side of a thumbnail in pixels."""
SHOWN_PX = 170
"""Width a thumbnail is shown at on the page."""
MIN_FIELD_MM = 12.0
"""A thumbnail shows at least this much of the breast around the finding."""
OUTLINE = (255, 60, 200)
MARK = (0, 230, 255)


@dataclass
class Report:
    """The report's page and its pictures."""

    body: str
    images: dict[str, bytes] = field(default_factory=dict)
    title: str = "Mammography report"

    def html(self, embed: bool = True) -> str:
        """The whole page; with ``embed`` the pictures are data URIs, else their names."""
        body = self.body
        for name, png in self.images.items():
            src = f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}" if embed else name
            body = body.replace(f'src="{name}"', f'src="{src}"')
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title>"
            "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;color:#111}"
            "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em;border-bottom:1px solid #999}"
            "table.f{border-collapse:collapse;margin:.5em 0}table.f td{vertical-align:top;padding:4px}"
            ".meta{color:#555;font-size:.9em}.none{color:#555}</style></head>\n"
            f"<body>\n{body}</body></html>\n"
        )


def _crop_box(points: list[Point], image: MammoImage) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    spacing = image.spacing
    field_px = max(max(xs) - min(xs), max(ys) - min(ys)) * 1.6 + 20
    if spacing.calibrated and spacing.col_mm:
        field_px = max(field_px, MIN_FIELD_MM / spacing.col_mm)
    half = field_px / 2
    x0, y0 = int(max(cx - half, 0)), int(max(cy - half, 0))
    x1, y1 = int(min(cx + half, image.columns)), int(min(cy + half, image.rows))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def thumbnail(image: MammoImage, frame: int, outline: list[Point], marks: list[list[Point]]) -> bytes:
    """A PNG of the finding: cropped around ``outline``, windowed as shown, outlines drawn."""
    every = outline + [p for m in marks for p in m]
    x0, y0, x1, y1 = _crop_box(every, image)
    pixels = image.pixels(frame)[y0:y1, x0:x1]
    low, high = image.stored_range
    lut = display_lut(
        low, high, image.frame_header(frame).modality_lut, image.default_voi(frame), image.invert_default
    )
    grey = apply_display_lut(np.ascontiguousarray(pixels), lut, low)
    scale = THUMB_PX / max(x1 - x0, y1 - y0)
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    picture = Image.fromarray(grey).resize(size, Image.Resampling.LANCZOS).convert("RGB")
    draw = ImageDraw.Draw(picture)

    def at(p: Point) -> tuple[float, float]:
        # pixel centres at integers: the crop's first pixel centre is at (x0, y0)
        return ((p[0] - x0 + 0.5) * scale, (p[1] - y0 + 0.5) * scale)

    for m in marks:
        if len(m) >= 3:
            draw.polygon([at(p) for p in m], outline=MARK)
        elif m:
            x, y = at(m[0])
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], outline=MARK)
    if len(outline) >= 3:
        draw.polygon([at(p) for p in outline], outline=OUTLINE, width=2)
    # as it hangs: turned and mirrored like the screen's cell (PIL turns counter-clockwise)
    hung = image.hanging_transform
    if hung.turns:
        picture = picture.rotate(-90 * hung.turns, expand=True)
    if hung.mirrored:
        picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def _finding_pictures(
    finding: ReportFinding, model: StudyAnnotations, images: dict[str, MammoImage]
) -> list[tuple[str, str, bytes]]:
    pictures = []
    for view in finding.views:
        uid, frame = view.ref.image
        image = images.get(uid)
        record = model.images.get(view.ref.image)
        if image is None or record is None:
            continue
        cluster = record.clusters.get(view.ref.item_id)
        if cluster is not None:
            outline = list(cluster_metrics(cluster, record).outline)
            members = [record.calcifications[m] for m in cluster.member_ids if m in record.calcifications]
        else:
            outline, members = [], [record.calcifications[view.ref.item_id]]
        marks = [list(c.outline) if c.outline else [c.center] for c in members]
        name = f"finding-{finding.number}-{view.view_label}.png"
        pictures.append((name, view.view_label, thumbnail(image, frame, outline, marks)))
    return pictures


def build_report(
    model: StudyAnnotations,
    images: dict[str, MammoImage],
    lexicon: Lexicon,
    *,
    identify: bool = False,
    now: str | None = None,
) -> Report:
    """The report of ``model`` (one reader's annotations) with thumbnails from ``images`` (by SOP UID)."""
    e = html.escape
    findings = report_findings(model, lexicon)
    assessment = model.reading.assessment
    parts = ["<h1>Mammography report</h1>"]
    first = next(iter(images.values()), None)
    if identify and first is not None:
        ds = first.dataset
        who = f"{ds.get('PatientName', '')} (ID {ds.get('PatientID', '')})"
        parts.append(f"<p>Patient: {e(who)}; study date {e(str(ds.get('StudyDate', '')))}</p>")
    parts.append(f'<p class="meta">Study {e(model.study_instance_uid or "(no UID)")}<br>')
    parts.append(f"Reader: {e(model.reader or 'unknown')}; annotations last changed {e(model.modified)}<br>")
    stamp = now or datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    parts.append(f"Report made {e(stamp)} by mammo-viewer {e(__version__)}</p>")
    parts.append("<h2>Breast composition</h2>")
    parts.append(f"<p>{e(composition_sentence(assessment.composition))}</p>")
    parts.append("<h2>Findings</h2>")
    if not findings:
        parts.append('<p class="none">No calcifications marked.</p>')
    pictures: dict[str, bytes] = {}
    for f in findings:
        where = f.where[:1].upper() + f.where[1:]
        lines = [f"<b>{f.number}. {e(where)}.</b>", e(f.what) + "."]
        if f.assessment:
            lines.append(e(f.assessment) + ".")
        if f.recommendation:
            lines.append("Recommendation: " + e(f.recommendation) + ".")
        if f.note:
            lines.append("Note: " + e(f.note))
        cells = []
        for name, label, png in _finding_pictures(f, model, images):
            pictures[name] = png
            cells.append(f'<td><img src="{name}" width="{SHOWN_PX}" alt="{e(label)}"><br>{e(label)}</td>')
        parts.append(f'<table class="f"><tr><td>{"<br>".join(lines)}</td>{"".join(cells)}</tr></table>')
    parts.append("<h2>Assessment</h2><p>")
    parts.append(f"Right breast: {e(category_words(assessment.right))}<br>")
    parts.append(f"Left breast: {e(category_words(assessment.left))}<br>")
    overall = assessment.overall_category
    suffix = "" if assessment.overall else " (the more worrying breast's)" if overall else ""
    parts.append(f"<b>Overall: {e(category_words(overall))}</b>{e(suffix)}</p>")
    if assessment.recommendation:
        parts.append(
            f"<p>Recommendation: {e(lexicon.recommendation.text_of(assessment.recommendation))}.</p>"
        )
    if assessment.impression:
        parts.append(f"<h2>Impression</h2><p>{e(assessment.impression)}</p>")
    return Report("\n".join(parts) + "\n", pictures)
