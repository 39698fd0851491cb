"""Whether a DICOMweb server accepts some credentials: one search request, and what it means.

File > Preferences asks this of the credentials typed in (before or without saving them). The
answer is a sentence for the reader: accepted, refused (HTTP 401 / 403), or the server could
not be reached and why. The credentials are sent with the request only, never in a message.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from viewer.sources.credential_store import Credentials
from viewer.sources.dicomweb import CONNECT_TIMEOUT_S, http_session, parse_url

CHECK_TIMEOUT_S = 15.0
"""How long the check waits for the server's answer once connected."""


@dataclass(frozen=True)
class AccessCheck:
    """What a server said to a search with some credentials; ``message`` is for the reader."""

    accepted: bool
    message: str


def check_access(
    base: str, credentials: Credentials, connect_timeout: float = CONNECT_TIMEOUT_S
) -> AccessCheck:
    """Ask ``base`` for one study (QIDO-RS ``/studies?limit=1``) with ``credentials``.

    Empty credentials mean none typed: the request then goes with the environment's, as the
    viewer's own requests would (:func:`viewer.sources.dicomweb.http_session`).
    """
    base = parse_url(base).base
    session = http_session(credentials)
    try:
        response = session.get(
            f"{base}/studies",
            params={"limit": "1"},
            headers={"Accept": "application/dicom+json"},
            timeout=(connect_timeout, CHECK_TIMEOUT_S),
        )
    except requests.exceptions.SSLError:
        return AccessCheck(False, f"Could not reach {base}: the secure connection failed (certificate?)")
    except requests.ConnectionError:
        return AccessCheck(False, f"Could not reach {base}: is the server running, and the address right?")
    except requests.Timeout:
        return AccessCheck(False, f"Could not reach {base}: no answer within {CHECK_TIMEOUT_S:.0f} s")
    except requests.RequestException as exc:
        return AccessCheck(False, f"Could not reach {base}: {type(exc).__name__}")
    finally:
        session.close()
    code = response.status_code
    if code in (401, 403):
        return AccessCheck(False, f"The server refused these credentials ({code})")
    if response.ok:
        return AccessCheck(True, "Accepted: the server answered a search with these credentials")
    return AccessCheck(
        False, f"The server at {base} answered HTTP {code} {response.reason}: is it the DICOMweb base URL?"
    )
