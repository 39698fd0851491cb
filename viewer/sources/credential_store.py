"""Each server's credentials, kept in the system's keychain, or for this session only.

What the viewer uses for a server, in order: the credentials saved for that server (set in
Preferences), then the environment (``MAMMO_VIEWER_PACS_TOKEN``, or ``..._USER`` and
``..._PASSWORD``), then none. Saved credentials go to the operating system's keychain
through ``keyring`` (Secret Service on Linux, Keychain on macOS, Credential Locker on
Windows); where there is none (a machine without a Secret Service, a CI runner), they are
kept in memory until the program ends and :attr:`CredentialStore.persistent` says so. They
are never written to the preferences, an annotation file, an export or the log.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field

import keyring
import keyring.errors
import requests
from keyring.backend import KeyringBackend

SERVICE = "mammo-viewer DICOMweb"
TOKEN_ENV = "MAMMO_VIEWER_PACS_TOKEN"
USER_ENV = "MAMMO_VIEWER_PACS_USER"
PASSWORD_ENV = "MAMMO_VIEWER_PACS_PASSWORD"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    """HTTP basic (user, password) or a bearer token. Never written to a file or a log."""

    user: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    @classmethod
    def from_environment(cls) -> Credentials:
        """``MAMMO_VIEWER_PACS_TOKEN``, or ``MAMMO_VIEWER_PACS_USER`` and ``..._PASSWORD``."""
        return cls(
            os.environ.get(USER_ENV, ""), os.environ.get(PASSWORD_ENV, ""), os.environ.get(TOKEN_ENV, "")
        )

    def apply(self, session: requests.Session) -> None:
        if self.token:
            session.headers["Authorization"] = f"Bearer {self.token}"
        elif self.user:
            session.auth = (self.user, self.password)


def server_id(base: str) -> str:
    """A server's name in the keychain: its base URL without a ``user:password@`` part or a final /."""
    text = base.strip().rstrip("/")
    scheme, sep, rest = text.partition("://")
    host_and_path = rest.split("@", 1)[-1] if sep else text.split("@", 1)[-1]
    return f"{scheme.lower()}://{host_and_path}" if sep else host_and_path


def _usable(backend: KeyringBackend) -> bool:
    """A keychain that stores: not keyring's "fail" backend nor a chainer of nothing."""
    try:
        return float(backend.priority) > 0
    except Exception:
        return False


@dataclass(frozen=True)
class Saved:
    """Where credentials were kept: "the system keychain" or "this session only"."""

    where: str
    persistent: bool


class CredentialStore:
    """Saved per-server credentials; ``backend`` defaults to the system's keychain."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        chosen = backend if backend is not None else keyring.get_keyring()
        self._backend: KeyringBackend | None = chosen if _usable(chosen) else None
        self._session: dict[str, Credentials] = {}

    @property
    def persistent(self) -> bool:
        """Whether saved credentials outlive the program (a keychain is there)."""
        return self._backend is not None

    def saved(self, base: str) -> Credentials | None:
        """The credentials saved for ``base``, if any."""
        key = server_id(base)
        if key in self._session:
            return self._session[key]
        if self._backend is None:
            return None
        try:
            text = self._backend.get_password(SERVICE, key)
        except keyring.errors.KeyringError as exc:
            log.warning("the system keychain could not be read: %s", type(exc).__name__)
            return None
        if not text:
            return None
        try:
            data = json.loads(text)
            return Credentials(str(data["user"]), str(data["password"]), str(data["token"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None  # not what this program saved: ignored, never shown

    def save(self, base: str, credentials: Credentials) -> Saved:
        """Keep ``credentials`` for ``base``; in the keychain when there is one."""
        key = server_id(base)
        if not (credentials.user or credentials.token):
            self.forget(base)
            return Saved("nowhere (empty)", self.persistent)
        if self._backend is not None:
            text = json.dumps(
                {"user": credentials.user, "password": credentials.password, "token": credentials.token}
            )
            try:
                self._backend.set_password(SERVICE, key, text)
                self._session.pop(key, None)
                return Saved("the system keychain", True)
            except keyring.errors.KeyringError as exc:
                log.warning("the system keychain refused the credentials: %s", type(exc).__name__)
        self._session[key] = credentials
        return Saved("this session only (no system keychain)", False)

    def forget(self, base: str) -> None:
        """Remove what is saved for ``base`` (nothing happens when nothing is)."""
        key = server_id(base)
        self._session.pop(key, None)
        if self._backend is not None:
            try:
                self._backend.delete_password(SERVICE, key)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                log.warning("the system keychain could not forget the credentials: %s", type(exc).__name__)

    def for_server(self, base: str) -> Credentials:
        """What to send to ``base``: its saved credentials, else the environment's."""
        return self.saved(base) or Credentials.from_environment()


_default: CredentialStore | None = None
_default_lock = threading.Lock()


def default_store() -> CredentialStore:
    """The program's one store over the system keychain (made on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = CredentialStore()
        return _default


def credentials_for(base: str) -> Credentials:
    """What to send to the server ``base``: saved for it in Preferences, else the environment."""
    return default_store().for_server(base)
