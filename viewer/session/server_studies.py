"""Studies named by a DICOMweb URL, for the commands that take a folder or a file.

:func:`localize` turns ``BASE/studies/<uid>`` (or a series or instance URL) into the path
of the study's copy in the cache (retrieved first when needed), so that ``info``, ``render``,
``detect`` and the GUI open it as any local study. :func:`server_annotated_studies` gives
every reader's annotations kept on the server with the folder of the study's copy, which is
what the exports read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from viewer.sources.dicomweb import Credentials, DicomwebServer, ServerError, is_url, parse_url
from viewer.sources.orthanc_rest import ANNOTATION_ATTACHMENT, OrthancRest
from viewer.sources.pacs_cache import StudyCache, safe_uid
from viewer.sources.server_document import SharedAnnotations
from viewer.store.study_tree import AnnotatedStudy

Progress = Callable[[int, int], None]


def localize(
    text: str,
    cache: StudyCache | None = None,
    progress: Progress | None = None,
    credentials: Credentials | None = None,
) -> Path:
    """The local path of what a DICOMweb URL names: the study's folder, a series folder or a file."""
    address = parse_url(text)
    if not address.study_uid:
        raise ServerError(f"{text} names a server, not a study: add /studies/<Study Instance UID>")
    server = DicomwebServer(address.base, credentials)
    folder = server.retrieve_study(address.study_uid, cache or StudyCache(), progress)
    if address.series_uid:
        folder = folder / safe_uid(address.series_uid)
        if address.sop_instance_uid:
            folder = folder / f"{safe_uid(address.sop_instance_uid)}.dcm"
        if not folder.exists():
            raise ServerError(f"{text}: the study has no such series or image")
    return folder


def localize_all(args: Sequence[str], progress: Callable[[str, int, int], None] | None = None) -> list[str]:
    """``args`` with every DICOMweb study, series or image URL replaced by its local path."""
    out = []
    for arg in args:
        if is_url(arg) and parse_url(arg).study_uid:
            step = (lambda d, t, a=arg: progress(a, d, t)) if progress else None
            out.append(str(localize(arg, progress=step)))
        else:
            out.append(arg)
    return out


def server_annotated_studies(
    url: str, credentials: Credentials | None = None, progress: Progress | None = None
) -> tuple[list[AnnotatedStudy], list[str]]:
    """Every reader's annotations of a study kept on an Orthanc server, with the study's local copy.

    Returns the studies (one per reader) and a message per reader's part that is unusable.
    """
    address = parse_url(url)
    folder = localize(url.split("/series/")[0], progress=progress, credentials=credentials)
    rest = OrthancRest(address.base, credentials)
    current = rest.get(rest.study_id(address.study_uid), "attachments", ANNOTATION_ATTACHMENT)
    doc = SharedAnnotations.parse(current.data if current else None, url, address.study_uid)
    models, problems = doc.models(url)
    studies = [AnnotatedStudy(folder, Path(f"{address.study_url()} ({key})"), m) for key, m in models.items()]
    return studies, problems
