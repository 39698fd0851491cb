"""Publish a reader's marks to a DICOMweb server as a DICOM SR (TID 1500), by STOW-RS.

The report is built by :func:`viewer.interop.sr.build_sr` from the study's local copy
(the cache folder of a study opened from the server, or a study folder), with the
patient and study attributes of the source images kept: the report joins the same
patient and study on the archive, where other viewers show it next to the images. A
presentation state with the outlines as graphics (:mod:`viewer.interop.gsps`) goes with it,
for viewers that show those rather than reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from viewer.core.annotations import StudyAnnotations
from viewer.interop.gsps import build_gsps
from viewer.interop.options import ExportOptions
from viewer.interop.sr import SourceHeaders, build_sr
from viewer.sources.dicomweb import Credentials, DicomwebServer, ServerError
from viewer.store.study_tree import AnnotatedStudy


@dataclass(frozen=True)
class Published:
    """The report stored on the server, and what was left out of it."""

    sop_instance_uid: str
    series_instance_uid: str
    messages: list[str]
    presentation_states: tuple[str, ...] = ()
    """SOP Instance UIDs of the presentation states stored with the report."""


def publish_sr(
    base: str,
    folder: Path,
    model: StudyAnnotations,
    credentials: Credentials | None = None,
    include_suggested: bool = False,
    presentation_state: bool = True,
) -> Published:
    """Build the reader's TID 1500 report from ``folder``'s images and store it on ``base``,
    with a presentation state of the outlines unless ``presentation_state`` is False.

    Raises :class:`~viewer.sources.dicomweb.ServerError` when there is nothing to publish
    (no marked image of the study in ``folder``) or the server refuses the report.
    """
    options = ExportOptions(keep_identity=True, include_suggested=include_suggested)
    study = AnnotatedStudy(Path(folder), Path(folder) / f"({model.reader})", model)
    sr, messages = build_sr(study, SourceHeaders(Path(folder)), options)
    if sr is None:
        detail = f" ({'; '.join(messages)})" if messages else ""
        raise ServerError(f"nothing to publish: no marked image of this study is in {folder}{detail}")
    states = build_gsps(study, SourceHeaders(Path(folder)), options)[0] if presentation_state else []
    server = DicomwebServer(base, credentials)
    server.store([sr, *states], study_uid=str(sr.StudyInstanceUID))
    return Published(
        str(sr.SOPInstanceUID),
        str(sr.SeriesInstanceUID),
        messages,
        tuple(str(s.SOPInstanceUID) for s in states),
    )
