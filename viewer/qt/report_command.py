"""``mammo-viewer report STUDY --out FILE.html|FILE.pdf``: the study's findings as a radiologist's report.

HTML is one self-contained file (the thumbnails embedded). PDF is the same page laid out
by Qt's text engine (QTextDocument) onto A4 pages (QPdfWriter); it runs without a display.
Nothing patient-identifying is written unless ``--identify`` is given.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from viewer.interop.study_report import ReportError, study_report
from viewer.qt.report_pdf import write_report
from viewer.store.errors import SidecarError


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write the study's findings (location, size, count, morphology, distribution, assessment, a "
        "thumbnail of each) as an HTML or PDF report. De-identified unless --identify."
    )
    parser.add_argument(
        "study", type=Path, metavar="STUDY", help="the study's folder (DICOM files and annotations)"
    )
    parser.add_argument("--out", required=True, type=Path, metavar="FILE", help="FILE.html or FILE.pdf")
    parser.add_argument("--reader", help="whose annotations (needed when the folder holds several readers')")
    parser.add_argument("--identify", action="store_true", help="name the patient and the study date")


def run(args: argparse.Namespace) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        print(f"mammo-viewer report: --out {args.out}: the name must end in .html or .pdf", file=sys.stderr)
        return 2
    try:
        report, problems = study_report(args.study, args.reader, identify=args.identify)
    except ReportError as exc:
        print(f"mammo-viewer report: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"mammo-viewer report: note: {problem}", file=sys.stderr)
    if suffix == ".pdf":
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed for a PDF
    try:
        write_report(report, args.out)
    except SidecarError as exc:  # write_atomic's message names the file and the reason
        print(f"mammo-viewer report: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"mammo-viewer report: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{args.out}: report of {args.study} written")
    return 0
