"""A study's status on an Orthanc server (new, in progress, done, flagged; by whom, when).

Kept in the study's user metadata 4178 (:mod:`viewer.sources.server_document` shows the
layout), written with If-Match so that two curators setting their status at once both
stay: each reader owns their entry, a 409 means read again and set again.
"""

from __future__ import annotations

import random
import time

from viewer.sources.orthanc_rest import STATUS_METADATA, OrthancRest, RevisionConflictError
from viewer.sources.server_document import ReaderStatus, parse_status, status_bytes, with_status
from viewer.sources.worklist_status import Status, study_status

ATTEMPTS = 40


def read_statuses(rest: OrthancRest, study_uid: str) -> dict[str, ReaderStatus]:
    """Every reader's status of a study on the server, by reader key."""
    current = rest.get(rest.study_id(study_uid), "metadata", STATUS_METADATA)
    return parse_status(current.data if current else None)


def overall(statuses: dict[str, ReaderStatus]) -> Status:
    """The study's status over its readers (flagged if anyone flagged it, ...)."""
    return study_status(s.status for s in statuses.values())


def set_status(rest: OrthancRest, study_uid: str, reader: str, status: Status) -> dict[str, ReaderStatus]:
    """Record ``reader``'s status on the server; returns every reader's status after it.

    Raises :class:`~viewer.sources.orthanc_rest.ServerUnreachableError` or ``ServerError`` (the caller
    keeps the status locally and says so).
    """
    study_id = rest.study_id(study_uid)
    for attempt in range(ATTEMPTS):
        current = rest.get(study_id, "metadata", STATUS_METADATA)
        readers = with_status(parse_status(current.data if current else None), reader, status)
        try:
            rest.put(
                study_id,
                "metadata",
                STATUS_METADATA,
                status_bytes(readers),
                current.etag if current else None,
            )
        except RevisionConflictError:
            time.sleep(random.uniform(0.0, 0.02 * (attempt + 1)))
            continue
        return readers
    raise RevisionConflictError(f"the status of study {study_uid} kept changing on {rest.root}; try again")
