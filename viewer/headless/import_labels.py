"""``mammo-viewer import STUDY --format inbreast|cbis-ddsm|vindr --from SRC [--reader NAME] [--json]``.

Writes a public dataset's labels into STUDY's annotation file for the reader (default:
the format's name); see :mod:`viewer.interop.imports`. ``--json`` prints
``{"images", "calcifications", "clusters", "skipped", "written"}``, each skipped entry
with its reason. Exit status 0 when something was imported, 1 when nothing was (with
the reason), 2 for a path that does not exist.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from viewer.interop.imports import FORMATS, ImportFailedError, import_labels


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mammo-viewer import``."""
    parser.description = (
        "Import a dataset's calcification labels into a study's annotation file: "
        + "; ".join(f"{name}: {text}" for name, text in FORMATS.items())
        + ". Entries that cannot be used are listed with their reason."
    )
    parser.add_argument("study", type=Path, metavar="STUDY", help="the study folder (or DICOM files' folder)")
    parser.add_argument("--format", required=True, choices=list(FORMATS))
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        type=Path,
        metavar="SRC",
        help="inbreast: an XML file or a folder of them; cbis-ddsm: the case-description CSV "
        "(masks below its folder); vindr: finding_annotations.csv or its folder",
    )
    parser.add_argument(
        "--reader", help="whose annotation file receives the labels (default: the format's name)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    """Import, report; 0 when anything was imported."""
    for path in (args.study, args.source):
        if not path.exists():
            print(f"mammo-viewer import: {path} does not exist", file=sys.stderr)
            return 2
    try:
        result = import_labels(args.study, args.format, args.source, args.reader)
    except ImportFailedError as exc:
        print(f"mammo-viewer import: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(
            f"Imported {result.calcifications} calcifications and {result.clusters} clusters on "
            f"{result.images} image(s) into {', '.join(map(str, result.written)) or 'no file'}."
        )
        for skipped in result.skipped:
            print(f"skipped: {skipped}")
    return 0 if result.images else 1
