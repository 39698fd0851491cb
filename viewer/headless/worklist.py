"""``mammo-viewer worklist ROOT``: list the studies under a folder tree, with status and marks.

The tree is indexed like the viewer's worklist panel does (a cache in the user's data
folder makes the second run fast). ``--json`` prints a JSON array, one object per study::

    [{"path": "...", "study_instance_uid": "...", "patient_id": "...", "study_id": "...",
      "study_date": "YYYYMMDD", "description": "...", "views": ["RCC", "LCC", ...],
      "images": 4, "frames": 4, "status": "new|in_progress|done|flagged",
      "readers": {"Alice": {"calcifications": 12, "clusters": 1, "status": "done"}}}]

``status`` is the ``--reader``'s status, or, without ``--reader``, the study's over all
readers (flagged if anyone flagged it, done when every reader who started is done).
``--set-status`` records a status for ``--reader`` on the studies named by ``--study``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

from viewer.core.printable import printable
from viewer.headless.worklist_server import run_server
from viewer.sources.dicomweb import is_url
from viewer.sources.worklist import Progress, StudyEntry, Worklist
from viewer.sources.worklist_status import Status

UNFINISHED = "unfinished"


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List the studies under a folder tree (indexed in the background "
        "and cached): views, images, status and each reader's marks."
    )
    parser.add_argument(
        "root", metavar="ROOT", help="folder tree holding the studies, or a DICOMweb server's base URL"
    )
    parser.add_argument("--patient", help="server: Patient ID, or a name with * (Smith*)")
    parser.add_argument("--date", help="server: study date YYYYMMDD or range YYYYMMDD-YYYYMMDD")
    parser.add_argument("--accession", help="server: accession number")
    parser.add_argument("--offset", type=int, default=0, help="server: skip this many studies (paging)")
    parser.add_argument("--limit", type=int, default=None, help="server: at most this many studies")
    parser.add_argument("--json", action="store_true", help="print a JSON array, one object per study")
    parser.add_argument("--reader", help="whose status to show (and to set with --set-status)")
    parser.add_argument(
        "--status",
        action="append",
        metavar="STATUS",
        help="only studies with this status (new, in_progress, done, flagged, "
        "or unfinished = new or in progress); may be repeated",
    )
    parser.add_argument(
        "--set-status", metavar="STATUS", help="record STATUS for --reader on the studies given with --study"
    )
    parser.add_argument(
        "--study",
        action="append",
        default=[],
        metavar="PATH_OR_UID",
        help="a study folder or Study Instance UID (for --set-status)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _wanted(values: list[str] | None) -> set[Status] | None:
    if not values:
        return None
    wanted: set[Status] = set()
    for value in values:
        if value.strip().lower() == UNFINISHED:
            wanted |= {Status.NEW, Status.IN_PROGRESS}
        else:
            wanted.add(Status.parse(value))
    return wanted


def _progress_printer(enabled: bool) -> Callable[[Progress], None] | None:
    def show(step: Progress) -> None:
        if step.phase == "reading" and (step.done % 100 == 0 or step.done == step.total):
            print(f"\rindexing: {step.done}/{step.total} files read", end="", file=sys.stderr)
        elif step.phase == "done" and step.total:
            print(file=sys.stderr)

    return show if enabled else None


def _table(studies: list[StudyEntry]) -> str:
    lines = [f"{'status':<12}{'date':<10}{'patient':<14}{'views':<20}{'img':>4}  readers  path"]
    for s in studies:
        readers = (
            ", ".join(
                f"{name} {m.calcifications if m.calcifications is not None else '?'}"
                f"/{m.clusters if m.clusters is not None else '?'}"
                for name, m in s.readers.items()
            )
            or "-"
        )
        lines.append(
            f"{s.status.label:<12}{s.study_date:<10}{s.patient_id[:13]:<14}"
            f"{' '.join(s.views)[:19]:<20}{s.images:>4}  {readers}  {s.path}"
        )
    lines.append(f"{len(studies)} studies (readers: calcifications/clusters)")
    return "\n".join(lines)


def _set_status(worklist: Worklist, studies: list[StudyEntry], args: argparse.Namespace) -> int:
    status = Status.parse(args.set_status)
    if not args.reader or not args.study:
        print("mammo-viewer worklist: --set-status needs --reader and at least one --study", file=sys.stderr)
        return 2
    code = 0
    for name in args.study:
        target = Path(name).expanduser()
        matches = [
            s
            for s in studies
            if s.study_instance_uid == name or (target.exists() and s.path == target.resolve())
        ]
        if not matches:
            print(
                f"mammo-viewer worklist: no indexed study is {name!r} (give a study folder "
                f"or Study Instance UID under {worklist.root})",
                file=sys.stderr,
            )
            code = 1
        for study in matches:
            notice = worklist.set_status(study, args.reader, status)
            if notice:
                print(notice, file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    if is_url(args.root):
        return run_server(args.root, args)
    root = Path(args.root)
    if not root.is_dir():
        print(f"mammo-viewer worklist: {root} is not a folder", file=sys.stderr)
        return 2
    try:
        wanted = _wanted(args.status)
        if args.set_status:
            Status.parse(args.set_status)
    except ValueError as exc:
        print(f"mammo-viewer worklist: {exc}", file=sys.stderr)
        return 2
    worklist = Worklist(root)
    show = _progress_printer(not args.quiet and sys.stderr.isatty())
    worklist.refresh(show)
    studies = worklist.studies(args.reader)
    code = 0
    if args.set_status:
        code = _set_status(worklist, studies, args)
        studies = worklist.studies(args.reader)
    if wanted is not None:
        studies = [s for s in studies if s.status in wanted]
    try:
        if args.json:
            sys.stdout.buffer.write(
                orjson.dumps(
                    printable([s.to_dict() for s in studies]),
                    option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE,
                )
            )
            sys.stdout.flush()
        else:
            print(printable(_table(studies)), flush=True)
    except BrokenPipeError:  # `... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return code
    problems = worklist.problems()
    if problems and not args.quiet:
        path, reason = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        print(
            f"{len(problems)} DICOM file(s) could not be read, e.g. {path}: {reason}{more}", file=sys.stderr
        )
    return code
