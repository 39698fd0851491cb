"""Studies from a DICOMweb archive: QIDO-RS search, WADO-RS retrieval into the local cache.

A server is named by its base URL (``http://127.0.0.1:8042/dicom-web``), a study by
``BASE/studies/<StudyInstanceUID>``, an image by ``.../series/<uid>/instances/<uid>``
(:func:`parse_url`). The HTTP work is done by ``dicomweb-client`` over a ``requests``
session; this module adds what the viewer needs on top: the mammography filter, the rows
of the worklist, credentials that are never written anywhere, and a retrieval that fills
:mod:`viewer.sources.pacs_cache` in parallel and then opens the study from there exactly as
a local folder is opened (:func:`viewer.dicom.study.open_study`).
"""

from __future__ import annotations

import os
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from dicomweb_client.api import DICOMwebClient

from viewer.sources.credential_store import PASSWORD_ENV as PASSWORD_ENV
from viewer.sources.credential_store import TOKEN_ENV as TOKEN_ENV
from viewer.sources.credential_store import USER_ENV as USER_ENV
from viewer.sources.credential_store import Credentials as Credentials
from viewer.sources.credential_store import credentials_for
from viewer.sources.pacs_cache import StudyCache, safe_uid, server_key

MAMMOGRAPHY = "MG"
RETRIEVE_WORKERS = 4
"""Instances fetched at once: the four views of a screening study come in parallel."""
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0
_FOR_PRESENTATION_FIRST = ("1.2.840.10008.5.1.4.1.1.1.2", "1.2.840.10008.5.1.4.1.1.1.1")


class ServerError(Exception):
    """A DICOMweb server that cannot be reached or refused a request; ``str()`` is for the user."""


@dataclass(frozen=True)
class ServerAddress:
    """A DICOMweb base URL and, optionally, the study / series / instance it names."""

    base: str
    study_uid: str = ""
    series_uid: str = ""
    sop_instance_uid: str = ""

    def study_url(self, study_uid: str | None = None) -> str:
        return f"{self.base}/studies/{study_uid or self.study_uid}"


def is_url(text: str | os.PathLike[str]) -> bool:
    """True when ``text`` is an http(s) URL rather than a path."""
    return isinstance(text, str) and text.lower().startswith(("http://", "https://"))


def parse_url(text: str) -> ServerAddress:
    """Split a DICOMweb URL into the server's base and the UIDs it names.

    >>> parse_url("http://h:8042/dicom-web/studies/1.2.3").study_uid
    '1.2.3'
    >>> parse_url("http://h:8042/dicom-web/").base
    'http://h:8042/dicom-web'
    """
    if not is_url(text):
        raise ServerError(f"{text} is not a DICOMweb address (it must start with http:// or https://)")
    parts = urllib.parse.urlsplit(text.strip())
    segments = [s for s in parts.path.split("/") if s]
    named: dict[str, str] = {}
    base_segments = segments
    for index, segment in enumerate(segments):
        if segment == "studies":
            base_segments = segments[:index]
            rest = segments[index:]
            for key, value in zip(rest[0::2], rest[1::2], strict=False):
                named[key] = value
            break
    path = "/" + "/".join(base_segments) if base_segments else ""
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return ServerAddress(base, named.get("studies", ""), named.get("series", ""), named.get("instances", ""))


def http_session(credentials: Credentials | None = None) -> requests.Session:
    """A ``requests`` session with the credentials and the system's certificate store."""
    session = requests.Session()
    # Orthanc (and others) gzip answers on request: 2.6 s instead of 0.07 s for a 9 MB image
    # on loopback, for a few per cent saved on pixel data. Ask for them as stored.
    session.headers["Accept-Encoding"] = "identity"
    (credentials or Credentials.from_environment()).apply(session)
    cafile = ssl.get_default_verify_paths().cafile
    if cafile and os.path.isfile(cafile) and not os.environ.get("REQUESTS_CA_BUNDLE"):
        session.verify = cafile
    return session


def _value(item: dict[str, Any], tag: str) -> str:
    """The first value of a DICOM JSON attribute as text ("" when absent)."""
    values = (item.get(tag) or {}).get("Value") or []
    if not values:
        return ""
    first = values[0]
    if isinstance(first, dict):  # a person name
        return str(first.get("Alphabetic", ""))
    return str(first)


def _values(item: dict[str, Any], tag: str) -> tuple[str, ...]:
    return tuple(str(v) for v in (item.get(tag) or {}).get("Value") or [])


@dataclass(frozen=True)
class StudySummary:
    """One study as the server describes it (QIDO-RS), with the worklist's fields."""

    url: str
    study_instance_uid: str
    patient_id: str
    patient_name: str
    study_id: str
    study_date: str
    accession_number: str
    description: str
    modalities: tuple[str, ...]
    images: int

    def to_dict(self) -> dict[str, Any]:
        """The fields of ``mammo-viewer worklist --json`` for a folder, plus the URL."""
        return {
            "path": self.url,
            "url": self.url,
            "study_instance_uid": self.study_instance_uid,
            "patient_id": self.patient_id,
            "study_id": self.study_id,
            "study_date": self.study_date,
            "accession_number": self.accession_number,
            "description": self.description,
            "modalities": list(self.modalities),
            "images": self.images,
        }


@dataclass(frozen=True)
class InstanceRef:
    """One instance of a study on the server."""

    series_uid: str
    sop_instance_uid: str
    sop_class_uid: str


Progress = Callable[[int, int], None]
"""Called with (instances done, instances in the study) while retrieving."""


class DicomwebServer:
    """One DICOMweb archive, reached over one HTTP session (thread-safe for retrieval).

    Parameters
    ----------
    base
        The base URL (``http://host:8042/dicom-web``); a study URL is cut to its base.
    credentials
        Basic or bearer credentials; when not given, those saved for the server in
        Preferences, else the environment's (:func:`viewer.sources.credential_store.credentials_for`).
    """

    def __init__(
        self,
        base: str,
        credentials: Credentials | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        read_timeout: float = READ_TIMEOUT_S,
    ) -> None:
        self.address = parse_url(base)
        self.base = self.address.base
        self.timeout = (connect_timeout, read_timeout)
        self._credentials = credentials if credentials is not None else credentials_for(self.base)
        self._local = threading.local()
        self.session = http_session(self._credentials)
        self.client = self._client(self.session)

    def _client(self, session: requests.Session) -> DICOMwebClient:
        client = DICOMwebClient(url=self.base, session=session, timeout=self.timeout)
        # the viewer says at once that a server is down; dicomweb-client would retry for a minute
        client.set_http_retry_params(retry=False)
        return client

    def _thread_client(self) -> DICOMwebClient:
        """A client per worker thread: a requests session is not safe across threads."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._client(http_session(self._credentials))
            self._local.client = client
        return client

    def _fail(self, what: str, exc: Exception) -> ServerError:
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            code = exc.response.status_code
            if code in (401, 403):
                reason = (
                    f"the server refused the credentials (HTTP {code}); set them in Preferences or "
                    f"{TOKEN_ENV} / {USER_ENV} and {PASSWORD_ENV}"
                )
            else:
                reason = f"HTTP {code} {exc.response.reason}"
        elif isinstance(exc, requests.ConnectionError):
            reason = "the server cannot be reached (is it running, and is the address right?)"
        elif isinstance(exc, requests.Timeout):
            reason = f"no answer within {self.timeout[1]:.0f} s"
        else:
            reason = str(exc) or type(exc).__name__
        return ServerError(f"{what} from {self.base}: {reason}")

    # -- QIDO-RS -----------------------------------------------------------------------
    def search_studies(
        self,
        patient: str = "",
        date: str = "",
        accession: str = "",
        offset: int = 0,
        limit: int | None = None,
        mammography_only: bool = True,
    ) -> list[StudySummary]:
        """Studies matching the filters (QIDO-RS), mammography only unless told otherwise.

        ``patient`` matches the Patient ID or, with a wildcard, the name (``Smith*``);
        ``date`` is ``YYYYMMDD`` or a range ``YYYYMMDD-YYYYMMDD``.
        """
        filters: dict[str, str] = {}
        if mammography_only:
            filters["ModalitiesInStudy"] = MAMMOGRAPHY
        if date:
            filters["StudyDate"] = date
        if accession:
            filters["AccessionNumber"] = accession
        if patient:
            filters["PatientName" if any(c in patient for c in "*?") else "PatientID"] = patient
        fields = ["StudyDescription", "NumberOfStudyRelatedInstances", "ModalitiesInStudy", "StudyID"]
        try:
            found = self.client.search_for_studies(
                offset=offset or None, limit=limit, search_filters=filters, fields=fields
            )
        except (requests.RequestException, ValueError) as exc:
            raise self._fail("cannot search for studies", exc) from None
        return [self._summary(item) for item in found]

    def _summary(self, item: dict[str, Any]) -> StudySummary:
        uid = _value(item, "0020000D")
        count = _value(item, "00201208")
        return StudySummary(
            url=self.address.study_url(uid),
            study_instance_uid=uid,
            patient_id=_value(item, "00100020"),
            patient_name=_value(item, "00100010"),
            study_id=_value(item, "00200010"),
            study_date=_value(item, "00080020"),
            accession_number=_value(item, "00080050"),
            description=_value(item, "00081030"),
            modalities=_values(item, "00080061"),
            images=int(count) if count.isdigit() else 0,
        )

    def instances(self, study_uid: str) -> list[InstanceRef]:
        """Every instance of a study (QIDO-RS), images For Presentation first."""
        try:
            found = self.client.search_for_instances(study_instance_uid=study_uid)
        except (requests.RequestException, ValueError) as exc:
            raise self._fail(f"cannot list the images of study {study_uid}", exc) from None
        refs = [
            InstanceRef(_value(item, "0020000E"), _value(item, "00080018"), _value(item, "00080016"))
            for item in found
        ]
        if not refs:
            raise ServerError(f"study {study_uid} is not on {self.base} (no instance found)")
        return sorted(refs, key=lambda r: r.sop_class_uid not in _FOR_PRESENTATION_FIRST)

    # -- WADO-RS -----------------------------------------------------------------------
    def retrieve_study(
        self,
        study_uid: str,
        cache: StudyCache,
        progress: Progress | None = None,
        workers: int = RETRIEVE_WORKERS,
    ) -> Path:
        """The study's folder in the cache, retrieving what is not there yet (WADO-RS).

        A study retrieved completely before opens from the cache: the server is asked only
        for its list of instances (QIDO-RS), and what was added since (another reader's
        report published later, an image) is retrieved; when the server cannot be reached the
        cached copy opens as it is. Instances are fetched ``workers`` at a time and written
        atomically; a failed first retrieval leaves the study incomplete in the cache (the
        next call fetches only what is missing) and raises :class:`ServerError`.
        """
        key = server_key(self.base)
        folder = cache.complete_folder(key, study_uid)
        if folder is not None:
            return self._add_new_instances(study_uid, cache, folder, progress, workers)
        refs = self.instances(study_uid)
        failures = self._fetch_missing(study_uid, cache, refs, progress, workers)
        if failures:
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise ServerError(f"cannot retrieve study {study_uid} from {self.base}: {failures[0]}{more}")
        return cache.mark_complete(key, study_uid, [r.sop_instance_uid for r in refs])

    def _add_new_instances(
        self, study_uid: str, cache: StudyCache, folder: Path, progress: Progress | None, workers: int
    ) -> Path:
        """Retrieve the instances added on the server since the study was cached; never fail."""
        key = server_key(self.base)
        try:
            refs = self.instances(study_uid)
        except ServerError:
            return folder  # offline, or the study left the server: the cached copy is what there is
        if all(cache.has_instance(key, study_uid, r.series_uid, r.sop_instance_uid) for r in refs):
            return folder
        failures = self._fetch_missing(study_uid, cache, refs, progress, workers)
        if failures:
            return folder  # still complete as it was; the next opening tries the new ones again
        listed = cache.listed_instances(key, study_uid)
        new = [r.sop_instance_uid for r in refs if safe_uid(r.sop_instance_uid) not in listed]
        return cache.mark_complete(key, study_uid, sorted(listed) + new)

    def _fetch_missing(
        self,
        study_uid: str,
        cache: StudyCache,
        refs: list[InstanceRef],
        progress: Progress | None,
        workers: int,
    ) -> list[str]:
        """Retrieve the instances of ``refs`` not in the cache; returns what went wrong."""
        key = server_key(self.base)
        total = len(refs)
        todo = [r for r in refs if not cache.has_instance(key, study_uid, r.series_uid, r.sop_instance_uid)]
        done = total - len(todo)
        if progress:
            progress(done, total)
        failures: list[str] = []
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(self._fetch, cache, key, study_uid, ref) for ref in todo]
            for future in as_completed(futures):
                error = future.result()
                if error:
                    failures.append(error)
                done += 1
                if progress:
                    progress(done, total)
        return failures

    def _fetch(self, cache: StudyCache, key: str, study_uid: str, ref: InstanceRef) -> str:
        """Retrieve one instance into the cache; returns "" or what went wrong."""
        try:
            ds = self._thread_client().retrieve_instance(study_uid, ref.series_uid, ref.sop_instance_uid)
        except (requests.RequestException, ValueError) as exc:
            return str(self._fail(f"image {ref.sop_instance_uid}", exc))
        cache.store_instance(key, study_uid, ref.series_uid, ref.sop_instance_uid, ds)
        return ""

    # -- STOW-RS -----------------------------------------------------------------------
    def store(self, datasets: list[Any], study_uid: str | None = None) -> None:
        """Store DICOM datasets on the server (STOW-RS); raises :class:`ServerError`."""
        try:
            self.client.store_instances(datasets, study_instance_uid=study_uid)
        except (requests.RequestException, ValueError) as exc:
            raise self._fail("cannot store on the server", exc) from None
