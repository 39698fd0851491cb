"""Tests of viewer.sources.credential_store: per-server credentials in a keychain or this session."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from keyring.backends.fail import Keyring as NoKeychain

from tests.fixtures.keychain import MemoryKeychain
from viewer.sources.credential_store import (
    SERVICE,
    TOKEN_ENV,
    USER_ENV,
    Credentials,
    CredentialStore,
    server_id,
)

BASE = "http://pacs.example:8042/dicom-web"


class TestKeychain:
    def test_saved_outlives_the_store(self) -> None:
        """Saved in the keychain: a new program (a new store on the same keychain) finds them."""
        keychain = MemoryKeychain()
        kept = CredentialStore(keychain).save(BASE, Credentials("ann", "s3cret"))
        assert kept.persistent and kept.where == "the system keychain"
        again = CredentialStore(keychain).saved(BASE + "/")
        assert again == Credentials("ann", "s3cret")
        assert list(keychain.items) == [(SERVICE, BASE)]

    def test_forget(self) -> None:
        keychain = MemoryKeychain()
        store = CredentialStore(keychain)
        store.save(BASE, Credentials(token="tok"))
        store.forget(BASE)
        assert store.saved(BASE) is None and keychain.items == {}
        store.forget(BASE)  # forgetting twice is no error

    def test_saving_nothing_forgets(self) -> None:
        """Empty fields saved: the server's entry goes (no empty credentials are kept)."""
        keychain = MemoryKeychain()
        store = CredentialStore(keychain)
        store.save(BASE, Credentials("ann", "pw"))
        store.save(BASE, Credentials())
        assert store.saved(BASE) is None and keychain.items == {}

    def test_foreign_entry_ignored(self) -> None:
        """An entry under our service that we did not write is not taken for credentials."""
        keychain = MemoryKeychain()
        keychain.set_password(SERVICE, BASE, "not json")
        assert CredentialStore(keychain).saved(BASE) is None
        keychain.set_password(SERVICE, BASE, '{"user": "x"}')
        assert CredentialStore(keychain).saved(BASE) is None

    def test_servers_kept_apart(self) -> None:
        store = CredentialStore(MemoryKeychain())
        store.save(BASE, Credentials("ann", "a"))
        store.save("https://other.example/dicom-web", Credentials("bob", "b"))
        assert store.saved(BASE) == Credentials("ann", "a")
        assert store.saved("https://other.example/dicom-web") == Credentials("bob", "b")


class TestNoKeychain:
    def test_session_only(self) -> None:
        """Without a keychain credentials live in this program only, and the store says so."""
        store = CredentialStore(NoKeychain())
        assert not store.persistent
        kept = store.save(BASE, Credentials("ann", "pw"))
        assert not kept.persistent and "this session only" in kept.where
        assert store.saved(BASE) == Credentials("ann", "pw")
        assert CredentialStore(NoKeychain()).saved(BASE) is None  # the next program has nothing


class TestWhatIsSent:
    def test_saved_before_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(TOKEN_ENV, "from-env")
        store = CredentialStore(MemoryKeychain())
        assert store.for_server(BASE) == Credentials(token="from-env")
        store.save(BASE, Credentials("ann", "pw"))
        assert store.for_server(BASE) == Credentials("ann", "pw")
        assert store.for_server("http://elsewhere/dicom-web") == Credentials(token="from-env")

    def test_nothing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(TOKEN_ENV, raising=False)
        monkeypatch.delenv(USER_ENV, raising=False)
        assert CredentialStore(MemoryKeychain()).for_server(BASE) == Credentials()

    def test_repr_hides_secrets(self) -> None:
        """A Credentials in a log line or traceback shows no password or token."""
        text = repr(Credentials("ann", "s3cret", "t0ken"))
        assert "ann" in text and "s3cret" not in text and "t0ken" not in text


class TestServerId:
    def test_no_password_in_the_name(self) -> None:
        """A URL's user:password@ never becomes the keychain entry's name."""
        assert server_id("http://ann:pw@pacs.example:8042/dicom-web/") == BASE
        assert server_id("HTTP://pacs.example:8042/dicom-web") == BASE

    @given(st.sampled_from(["", "/", "//"]), st.sampled_from(["", "u:p@", "u@"]))
    def test_same_server_same_entry(self, tail: str, userinfo: str) -> None:
        assert server_id(f"http://{userinfo}pacs.example:8042/dicom-web{tail}") == BASE
