"""A server study's priors: the patient's earlier studies on the same DICOMweb server.

Searched by Patient ID (QIDO-RS, studies dated up to the open one's, mammography), the
most recent ``keep`` of them retrieved into the server cache (WADO-RS, as any study opened
from the server, so a prior opened before is not fetched again) and offered as
:class:`~viewer.sources.priors.PriorExam` like the priors found beside a local study. Runs
in the prior search's worker thread, never on the UI thread.
"""

from __future__ import annotations

import logging

from viewer.dicom.file_kinds import is_plainly_not_dicom
from viewer.sources.dicomweb import DicomwebServer, ServerError
from viewer.sources.pacs_cache import StudyCache
from viewer.sources.priors import PriorExam

KEEP = 2
"""Priors retrieved per study: the last two exams are what a screening comparison uses."""
log = logging.getLogger(__name__)


def priors_on_server(
    base: str,
    patient_id: str,
    study_date: str,
    study_uid: str,
    cache: StudyCache,
    keep: int = KEEP,
) -> list[PriorExam]:
    """The patient's studies on ``base`` dated before ``study_date``, most recent first, retrieved.

    A server that cannot be reached or refuses gives no prior (logged, naming the server): the
    open study stays as it is.
    """
    if not patient_id.strip() or not study_date:
        return []
    try:
        server = DicomwebServer(base)
        found = server.search_studies(patient=patient_id.strip(), date=f"-{study_date}")
        earlier = sorted(
            (s for s in found if s.study_instance_uid != study_uid and "" < s.study_date < study_date),
            key=lambda s: s.study_date,
            reverse=True,
        )[: max(0, keep)]
        priors = []
        for summary in earlier:
            folder = server.retrieve_study(summary.study_instance_uid, cache)
            files = sorted(
                p
                for p in folder.rglob("*")
                if p.is_file() and not p.name.startswith(".") and not is_plainly_not_dicom(p.name)
            )
            priors.append(
                PriorExam(summary.study_instance_uid, summary.study_date, summary.description, files)
            )
        return priors
    except ServerError as exc:
        log.warning("priors of the open study not searched on %s: %s", base, exc)
        return []
