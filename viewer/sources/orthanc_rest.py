"""The part of Orthanc's REST API the viewer uses: study attachments and metadata with revisions.

Orthanc keeps user-defined attachments and metadata per study and answers every read with
an ``ETag`` (``"<revision>-<md5>"``); a write or delete must carry it back in ``If-Match``
when ``"CheckRevisions": true``, and Orthanc answers ``409 Conflict`` when the resource
changed since (its built-in SQLite index keeps the revision at 0 and compares the MD5, a
PostgreSQL index compares both). The ETag an answer to PUT carries is not always the one
the next read gives (SQLite again), so after a write the ETag is read back and kept only
when its MD5 is that of what was written (:meth:`OrthancRest.put`).

The REST root is the DICOMweb base without its last path segment (``.../dicom-web`` ->
``...``), which is Orthanc's default layout; :meth:`OrthancRest.probe` checks it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import requests

from viewer.sources.credential_store import credentials_for
from viewer.sources.dicomweb import CONNECT_TIMEOUT_S, Credentials, ServerError, http_session

ANNOTATION_ATTACHMENT = "mammo-annotations"
ANNOTATION_CONTENT_TYPE = 4177
STATUS_METADATA = "4178"
"""Study status is user metadata number 4178 (numbers need no configuration, names do)."""
REQUEST_TIMEOUT_S = 30.0
_INEXISTENT_ITEM = 7


class ServerUnreachableError(ServerError):
    """The server did not answer (down, wrong address, network): work goes on locally."""


class RevisionConflictError(ServerError):
    """Orthanc answered 409: the resource changed since its ETag was read."""


class NotConfiguredError(ServerError):
    """The server lacks what the viewer needs (the attachment type, revisions); says which."""


@dataclass(frozen=True)
class OrthancInfo:
    """What ``GET /system`` says about the server."""

    version: str
    check_revisions: bool
    database_plugin: str


@dataclass(frozen=True)
class Versioned:
    """A resource's bytes and the ETag to send back with the next write."""

    data: bytes
    etag: str


def _orthanc_status(answer: requests.Response) -> int | None:
    """Orthanc's own error code in an error answer (7: inexistent item, 17: unknown resource)."""
    try:
        code = answer.json().get("OrthancStatus")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _etag_md5(etag: str) -> str:
    return etag.strip().strip('"').partition("-")[2]


class OrthancRest:
    """Orthanc's REST API beside a DICOMweb base URL."""

    def __init__(self, dicomweb_base: str, credentials: Credentials | None = None) -> None:
        base = dicomweb_base.rstrip("/")
        self.root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
        self.session = http_session(
            credentials if credentials is not None else credentials_for(dicomweb_base)
        )
        self.timeout = (CONNECT_TIMEOUT_S, REQUEST_TIMEOUT_S)
        self._study_ids: dict[str, str] = {}

    def _request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        try:
            return self.session.request(method, f"{self.root}{path}", timeout=self.timeout, **kwargs)  # type: ignore[arg-type]
        except (requests.ConnectionError, requests.Timeout) as exc:
            kind = "no answer in time" if isinstance(exc, requests.Timeout) else "cannot be reached"
            raise ServerUnreachableError(f"the server {self.root} {kind}") from None

    def _refused(self, answer: requests.Response, what: str) -> ServerError:
        if answer.status_code in (401, 403):
            return ServerError(
                f"{what}: the server {self.root} refused the credentials (HTTP {answer.status_code})"
            )
        detail = ""
        try:
            body = answer.json()
            detail = str(body.get("Details") or body.get("Message") or "")
        except ValueError:
            pass
        extra = f" ({detail})" if detail else ""
        return ServerError(f"{what}: the server {self.root} answered HTTP {answer.status_code}{extra}")

    def _not_configured(self, name: str) -> NotConfiguredError:
        return NotConfiguredError(
            f"the server {self.root} has no attachment type '{name}': add "
            f'"UserContentType": {{"{name}": [{ANNOTATION_CONTENT_TYPE}, "application/json"]}} '
            "to its configuration (docs/pacs.md)"
        )

    # -- the server --------------------------------------------------------------------
    def probe(self) -> OrthancInfo | None:
        """Orthanc's version and settings, or None when this is not an Orthanc REST API."""
        answer = self._request("GET", "/system")
        if answer.status_code != 200:
            return None
        try:
            body = answer.json()
        except ValueError:
            return None
        if not isinstance(body, dict) or "Version" not in body or "ApiVersion" not in body:
            return None
        return OrthancInfo(
            str(body["Version"]),
            bool(body.get("CheckRevisions")),
            str(body.get("DatabaseBackendPlugin") or ""),
        )

    def study_id(self, study_uid: str) -> str:
        """Orthanc's identifier of a study, from its Study Instance UID."""
        if study_uid in self._study_ids:
            return self._study_ids[study_uid]
        answer = self._request("POST", "/tools/lookup", data=study_uid.encode())
        if answer.status_code != 200:
            raise self._refused(answer, f"cannot look up study {study_uid}")
        found = [str(item["ID"]) for item in answer.json() if item.get("Type") == "Study"]
        if not found:
            raise ServerError(f"study {study_uid} is not on {self.root}")
        self._study_ids[study_uid] = found[0]
        return found[0]

    # -- attachments and metadata ------------------------------------------------------
    @staticmethod
    def _path(study_id: str, kind: str, name: str) -> str:
        return f"/studies/{study_id}/{kind}/{name}"

    def get(self, study_id: str, kind: str, name: str) -> Versioned | None:
        """An attachment's (``kind="attachments"``) or metadata's content and ETag; None if absent."""
        suffix = "/data" if kind == "attachments" else ""
        answer = self._request("GET", self._path(study_id, kind, name) + suffix)
        if answer.status_code == 404:
            if kind == "attachments" and _orthanc_status(answer) == _INEXISTENT_ITEM:
                raise self._not_configured(name)  # an unknown name; a known absent one is 17
            return None
        if answer.status_code != 200:
            raise self._refused(answer, f"cannot read {name} of study {study_id}")
        return Versioned(answer.content, answer.headers.get("ETag", ""))

    def _etag_now(self, study_id: str, kind: str, name: str) -> str:
        answer = self._request("GET", self._path(study_id, kind, name))
        return answer.headers.get("ETag", "") if answer.status_code == 200 else ""

    def put(self, study_id: str, kind: str, name: str, data: bytes, etag: str | None) -> str:
        """Write with ``If-Match: etag`` (``None``: the resource must not exist yet).

        Returns the ETag of what was written (to send with the next write). Raises
        :class:`RevisionConflictError` when the resource changed since ``etag`` was read,
        :class:`NotConfiguredError` when the server does not know the attachment type.
        """
        headers = {"Content-Type": "application/json"}
        if etag:
            headers["If-Match"] = etag
        answer = self._request("PUT", self._path(study_id, kind, name), data=data, headers=headers)
        if answer.status_code == 409:
            raise RevisionConflictError(
                f"{name} of study {study_id} changed on {self.root} since it was read"
            )
        if answer.status_code == 404 and kind == "attachments":
            raise self._not_configured(name)
        if answer.status_code != 200:
            raise self._refused(answer, f"cannot save {name} of study {study_id}")
        written = _md5(data)
        if _etag_md5(answer.headers.get("ETag", "")) == written:
            now = self._etag_now(study_id, kind, name)
            if _etag_md5(now) == written:
                return now  # the ETag reads give (the revision part differs on SQLite)
        # someone wrote after us already: an ETag that cannot match makes the next write merge
        return answer.headers.get("ETag", "") or '"0-stale"'
