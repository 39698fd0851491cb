"""``mammo-viewer validate FILE.json ...``: check annotation files against the shipped schema.

Prints one line per problem (``FILE: /json/pointer: message``) and exits with status 1
when any file is invalid, 0 when all are valid. Files are only read, never changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from viewer.store.serialize import SCHEMA_VERSION
from viewer.store.sidecar_reading import Stage, read_sidecar_bytes

MAX_PROBLEMS = 50


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check mammo-viewer annotation files (mammo-annotations.*.json) "
        "against the annotation schema; exit status 1 if any is invalid."
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE.json", help="annotation files to check")


def check_file(path: Path) -> tuple[list[str], str]:
    """The problems of one file (empty when valid) and a one-line summary.

    Reads through the same pipeline as the viewer (:mod:`viewer.store.sidecar_reading`), listing
    up to :data:`MAX_PROBLEMS` schema problems where the viewer stops at the first few.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"cannot read the file: {exc.strerror or exc}"], "unreadable"
    reading = read_sidecar_bytes(data, problem_limit=MAX_PROBLEMS)
    if reading.failed is Stage.NEWER:
        return [f"{reading.problems[0]}; update mammo-viewer to check it"], "newer"
    if reading.failed is not None or reading.model is None:
        return reading.problems, "invalid"
    note = f" after upgrading from version {reading.version}" if reading.migrated else ""
    marks, clusters = reading.model.count()
    return [], (
        f"valid{note} (schema version {SCHEMA_VERSION}; {len(reading.model.images)} images, "
        f"{marks} calcifications, {clusters} clusters)"
    )


def run(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        problems, summary = check_file(path)
        if problems:
            status = 1
            for problem in problems:
                print(f"{path}: {problem}")
            if len(problems) >= MAX_PROBLEMS:
                print(f"{path}: (only the first {MAX_PROBLEMS} problems are shown)")
        else:
            print(f"{path}: {summary}")
    return status
