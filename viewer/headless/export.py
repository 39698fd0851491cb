"""``mammo-viewer export PATH --format csv|coco|inbreast|sr|gsps --out OUT``: annotations for other tools.

PATH is a study folder, a tree of study folders, or one annotation file; every
``mammo-annotations.*.json`` found is exported. Exports are de-identified unless
``--keep-identity`` is given, and say so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from viewer.headless.export_server import run_server_export
from viewer.interop.exports import FORMATS, NothingToExportError, export_path
from viewer.interop.options import ExportOptions
from viewer.sources.dicomweb import is_url
from viewer.store.errors import SidecarError
from viewer.store.safe_names import UnsafePathError


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Export calcification annotations: csv (one row per calcification and cluster), coco "
        "(detection JSON), inbreast (OsiriX ROI XML per image), sr (DICOM TID 1500 report per "
        "study and reader), gsps (DICOM presentation state with the outlines as graphics, per study "
        "and reader). De-identified by default: UIDs only."
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        help="a study folder, a folder tree of studies, one annotation file, or a study's DICOMweb URL",
    )
    parser.add_argument("--format", required=True, choices=list(FORMATS))
    parser.add_argument(
        "--out",
        type=Path,
        metavar="OUT",
        help="output file for csv/coco (a folder gets a default name); output folder for inbreast/sr/gsps",
    )
    parser.add_argument(
        "--to",
        metavar="BASE",
        help="with --format sr: store the report in the study on this DICOMweb server (STOW-RS) "
        "instead of writing files",
    )
    parser.add_argument(
        "--keep-identity",
        action="store_true",
        help="keep reader names, notes and, in SR, the patient attributes",
    )
    parser.add_argument(
        "--replace-uids",
        action="store_true",
        help="replace the images' UIDs by new ones (the same throughout one export); "
        "by default they are kept so that the export points at the images",
    )
    parser.add_argument(
        "--include-suggested",
        action="store_true",
        help="also export clusters the program suggested but nobody confirmed",
    )


def run(args: argparse.Namespace) -> int:
    if args.to or is_url(args.path):
        return run_server_export(args)
    args.path = Path(args.path)
    if not args.path.exists():
        print(f"mammo-viewer export: {args.path} does not exist", file=sys.stderr)
        return 2
    if args.out is None:
        print("mammo-viewer export: --out is required (or --to BASE with --format sr)", file=sys.stderr)
        return 2
    options = ExportOptions(
        keep_identity=args.keep_identity,
        include_suggested=args.include_suggested,
        replace_uids=args.replace_uids,
    )
    try:
        result = export_path(args.path, args.format, args.out, options)
    except NothingToExportError as exc:
        print(f"mammo-viewer export: {exc}", file=sys.stderr)
        return 1
    except (SidecarError, OSError, UnsafePathError) as exc:
        print(f"mammo-viewer export: {exc}", file=sys.stderr)
        return 1
    for message in result.messages:
        print(message, file=sys.stderr)
    print(f"{result.summary()} as {args.format} under {args.out}.")
    print(options.note)
    return 0 if result.written else 1
