"""``mammo-viewer validate FILE.json ...``: check annotation files against the shipped schema.

Prints one line per problem (``FILE: /json/pointer: message``) and exits with status 1
when any file is invalid, 0 when all are valid. Files are only read, never changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson

from viewer.store import schema
from viewer.store.errors import SidecarError
from viewer.store.migrate import document_version, migrate
from viewer.store.serialize import SCHEMA_VERSION, from_dict

MAX_PROBLEMS = 50


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check mammo-viewer annotation files (mammo-annotations.*.json) "
        "against the annotation schema; exit status 1 if any is invalid."
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE.json", help="annotation files to check")


def check_file(path: Path) -> tuple[list[str], str]:
    """The problems of one file (empty when valid) and a one-line summary."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        return [f"cannot read the file: {exc.strerror or exc}"], "unreadable"
    except orjson.JSONDecodeError as exc:
        return [f"not valid JSON: {exc}"], "invalid"
    if not isinstance(data, dict):
        return ["/: the top level must be a JSON object"], "invalid"
    version = document_version(data)
    if version is None:
        return ["/schema_version: missing (not a mammo-viewer annotation file?)"], "invalid"
    if version > SCHEMA_VERSION:
        return [
            f"/schema_version: {version} is newer than this program reads "
            f"({SCHEMA_VERSION}); update mammo-viewer to check it"
        ], "newer"
    note = ""
    if version < SCHEMA_VERSION:
        try:
            data = migrate(data, version)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            return [f"schema version {version} cannot be upgraded: {exc!s}"], "invalid"
        note = f" after upgrading from version {version}"
    found = [str(p) for p in schema.problems(data, limit=MAX_PROBLEMS)]
    if found:
        return found, "invalid"
    try:
        model = from_dict(data)
    except (ValueError, SidecarError) as exc:
        return [f"/images: {exc}"], "invalid"
    marks, clusters = model.count()
    return [], (
        f"valid{note} (schema version {SCHEMA_VERSION}; {len(model.images)} images, "
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
