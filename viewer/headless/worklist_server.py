"""``mammo-viewer worklist BASE``: the mammography studies of a DICOMweb server, paged.

The same fields as for a folder (``path`` is the study's URL), from QIDO-RS; on Orthanc
each study's status comes from the server (every reader's, as the team sees it).
"""

from __future__ import annotations

import argparse
import sys

import orjson

from viewer.sources.dicomweb import DicomwebServer, ServerError, StudySummary
from viewer.sources.orthanc_rest import OrthancRest
from viewer.sources.server_status import overall, read_statuses
from viewer.sources.worklist_status import Status


def _rows(base: str, args: argparse.Namespace) -> list[dict[str, object]]:
    server = DicomwebServer(base)
    studies: list[StudySummary] = server.search_studies(
        patient=args.patient or "",
        date=args.date or "",
        accession=args.accession or "",
        offset=args.offset,
        limit=args.limit,
    )
    rest = OrthancRest(base)
    orthanc = rest.probe() is not None
    rows = []
    for study in studies:
        row = study.to_dict()
        if orthanc:
            statuses = read_statuses(rest, study.study_instance_uid)
            row["status"] = overall(statuses).value
            row["readers"] = {
                s.reader: {"status": s.status.value, "modified": s.modified} for s in statuses.values()
            }
        else:
            row["status"] = Status.NEW.value
            row["readers"] = {}
        rows.append(row)
    return rows


def run_server(base: str, args: argparse.Namespace) -> int:
    try:
        rows = _rows(base, args)
    except ServerError as exc:
        print(f"mammo-viewer worklist: {exc}", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
        sys.stdout.flush()
        return 0
    print(f"{'status':<12}{'date':<10}{'patient':<14}{'img':>4}  url")
    for row in rows:
        print(
            f"{row['status']!s:<12}{row['study_date']!s:<10}{str(row['patient_id'])[:13]:<14}"
            f"{row['images']:>4}  {row['url']}"
        )
    print(f"{len(rows)} studies on {base}")
    return 0
