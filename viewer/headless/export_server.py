"""``mammo-viewer export`` with a study's DICOMweb URL, or ``--to BASE`` (publish by STOW-RS).

A URL's annotations are every reader's part kept on the server (Orthanc), exported from the
study's copy in the cache; ``--format sr --to BASE`` stores each reader's TID 1500 report in
the study on the server instead of writing files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from viewer.interop.exports import NothingToExportError, export_studies
from viewer.interop.options import ExportOptions
from viewer.session.publish import publish_sr
from viewer.session.server_studies import server_annotated_studies
from viewer.sources.dicomweb import ServerError, is_url
from viewer.store.errors import SidecarError
from viewer.store.study_tree import AnnotatedStudy, load_studies


def _studies(path: str) -> tuple[list[AnnotatedStudy], list[str]]:
    if is_url(path):
        return server_annotated_studies(path)
    return load_studies(Path(path))


def run_server_export(args: argparse.Namespace) -> int:
    if args.to and args.format != "sr":
        print("mammo-viewer export: --to BASE publishes DICOM SR only (--format sr)", file=sys.stderr)
        return 2
    if not args.to and args.out is None:
        print("mammo-viewer export: --out is required (or --to BASE with --format sr)", file=sys.stderr)
        return 2
    try:
        studies, problems = _studies(args.path)
    except (ServerError, SidecarError, ValueError) as exc:
        print(f"mammo-viewer export: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if not studies:
        print(f"mammo-viewer export: no reader's annotations found for {args.path}", file=sys.stderr)
        return 1
    if not args.to:
        options = ExportOptions(keep_identity=args.keep_identity, include_suggested=args.include_suggested)
        try:
            result = export_studies(studies, args.format, args.out, options, [])
        except (NothingToExportError, SidecarError, OSError) as exc:
            print(f"mammo-viewer export: {exc}", file=sys.stderr)
            return 1
        for message in result.messages:
            print(message, file=sys.stderr)
        print(f"{result.summary()} as {args.format}.")
        print(options.note)
        return 0 if result.written else 1
    code = 0
    for study in studies:
        try:
            published = publish_sr(
                args.to, study.folder, study.model, include_suggested=args.include_suggested
            )
        except ServerError as exc:
            print(f"mammo-viewer export: {study.model.reader or 'reader'}: {exc}", file=sys.stderr)
            code = 1
            continue
        for message in published.messages:
            print(message, file=sys.stderr)
        print(
            f"Published {study.model.count()[0]} calcifications of {study.model.reader or 'reader'} to "
            f"{args.to} as DICOM SR {published.sop_instance_uid}"
            + "".join(f" and presentation state {uid}" for uid in published.presentation_states)
        )
    return code
