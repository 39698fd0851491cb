"""``mammo-viewer export PATH --format csv|coco|inbreast|sr --out OUT``: annotations for other tools.

PATH is a study folder, a tree of study folders, or one annotation file; every
``mammo-annotations.*.json`` found is exported. Exports are de-identified unless
``--keep-identity`` is given, and say so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from viewer.store.errors import SidecarError
from viewer.store.export_coco import export_coco
from viewer.store.export_csv import export_csv
from viewer.store.export_inbreast import export_inbreast
from viewer.store.export_options import ExportOptions
from viewer.store.export_sr import export_sr
from viewer.store.study_tree import load_studies

FORMATS = ("csv", "coco", "inbreast", "sr")
_DEFAULT_FILE = {"csv": "annotations.csv", "coco": "annotations.coco.json"}


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Export calcification annotations: csv (one row per calcification and cluster), coco "
        "(detection JSON), inbreast (OsiriX ROI XML per image), sr (DICOM TID 1500 report per "
        "study and reader). De-identified by default: UIDs only.")
    parser.add_argument("path", type=Path, metavar="PATH",
                        help="a study folder, a folder tree of studies, or one annotation file")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--out", required=True, type=Path, metavar="OUT",
                        help="output file for csv/coco (a folder gets a default name); "
                             "output folder for inbreast/sr")
    parser.add_argument("--keep-identity", action="store_true",
                        help="keep reader names, notes and, in SR, the patient attributes")
    parser.add_argument("--include-suggested", action="store_true",
                        help="also export clusters the program suggested but nobody confirmed")


def _out_file(out: Path, fmt: str) -> Path:
    if out.is_dir() or not out.suffix:
        out.mkdir(parents=True, exist_ok=True)
        return out / _DEFAULT_FILE[fmt]
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def run(args: argparse.Namespace) -> int:
    if not args.path.exists():
        print(f"mammo-viewer export: {args.path} does not exist", file=sys.stderr)
        return 2
    studies, problems = load_studies(args.path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not studies:
        print(f"mammo-viewer export: no annotation files (mammo-annotations.*.json) in "
              f"{args.path}", file=sys.stderr)
        return 1
    options = ExportOptions(keep_identity=args.keep_identity,
                            include_suggested=args.include_suggested)
    messages: list[str] = []
    try:
        if args.format == "csv":
            written = export_csv(studies, _out_file(args.out, "csv"), options)
        elif args.format == "coco":
            written = export_coco(studies, _out_file(args.out, "coco"), options)
        elif args.format == "inbreast":
            written = export_inbreast(studies, args.out, options)
        else:
            written, messages = export_sr(studies, args.out, options)
    except (SidecarError, OSError) as exc:
        print(f"mammo-viewer export: {exc}", file=sys.stderr)
        return 1
    for message in messages:
        print(message, file=sys.stderr)
    marks = sum(s.model.count()[0] for s in studies)
    print(f"Exported {marks} calcifications of {len(studies)} annotation files as "
          f"{args.format} to {len(written)} file(s) under {args.out}.")
    print(options.note)
    return 0 if written else 1
