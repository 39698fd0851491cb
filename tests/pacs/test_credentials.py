"""Credentials against a real Orthanc that requires them: refused without, used once saved in Preferences."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.fixtures.keychain import MemoryKeychain
from tests.fixtures.orthanc_server import OrthancServer, free_port
from viewer.qt.main_window import MainWindow
from viewer.qt.preferences_dialog import PreferencesDialog
from viewer.sources import credential_store
from viewer.sources.credential_store import PASSWORD_ENV, TOKEN_ENV, USER_ENV, Credentials, CredentialStore
from viewer.sources.dicomweb import DicomwebServer, ServerError
from viewer.store.locations import DATA_DIR_VARIABLE

USERS = {"ann": "s3cret-pw"}


@pytest.fixture(scope="module")
def locked_orthanc(
    tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]
) -> Iterator[OrthancServer]:
    """An Orthanc that answers only user ann with her password, holding the demo study."""
    server = OrthancServer(tmp_path_factory.mktemp("locked-orthanc"), users=USERS)
    try:
        server.start()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    try:
        server.upload(demo_files)
        yield server
    finally:
        server.stop()


@pytest.fixture
def keychain(monkeypatch: pytest.MonkeyPatch) -> MemoryKeychain:
    """The program's credential store over a keychain of this test; no credentials in the environment."""
    for name in (TOKEN_ENV, USER_ENV, PASSWORD_ENV):
        monkeypatch.delenv(name, raising=False)
    backend = MemoryKeychain()
    monkeypatch.setattr(credential_store, "_default", CredentialStore(backend))
    return backend


def _study_uid(demo_files: list[Path]) -> str:
    return str(pydicom.dcmread(demo_files[0], stop_before_pixels=True).StudyInstanceUID)


class TestLockedServer:
    def test_refused_without_credentials(
        self, locked_orthanc: OrthancServer, keychain: MemoryKeychain
    ) -> None:
        """No credentials: the message says the server refused them and where to set them."""
        with pytest.raises(
            ServerError, match=r"refused the credentials \(HTTP 401\); set them in Preferences"
        ):
            DicomwebServer(locked_orthanc.dicomweb).search_studies()

    def test_wrong_password_refused(self, locked_orthanc: OrthancServer, keychain: MemoryKeychain) -> None:
        credential_store.default_store().save(locked_orthanc.dicomweb, Credentials("ann", "wrong"))
        with pytest.raises(ServerError, match="refused the credentials"):
            DicomwebServer(locked_orthanc.dicomweb).search_studies()

    def test_saved_credentials_used(
        self, locked_orthanc: OrthancServer, keychain: MemoryKeychain, demo_files: list[Path]
    ) -> None:
        """Saved for the server, they go with every request (search and retrieval) without being passed."""
        credential_store.default_store().save(locked_orthanc.dicomweb, Credentials("ann", USERS["ann"]))
        found = DicomwebServer(locked_orthanc.dicomweb).search_studies()
        assert _study_uid(demo_files) in {s.study_instance_uid for s in found}


class TestPreferencesDialog:
    def test_saved_in_preferences_then_opened(
        self,
        qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        locked_orthanc: OrthancServer,
        keychain: MemoryKeychain,
        demo_files: list[Path],
    ) -> None:
        """Typed into File > Preferences and saved: the study opens from the locked server; the
        password is in the keychain, not in the preferences file or the log."""
        monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
        window = MainWindow(reader="Dr Locked")
        window.interactive = False
        qtbot.addWidget(window)
        window.show()
        dialog = PreferencesDialog(window)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.server.setEditText(locked_orthanc.dicomweb)
        assert "No credentials" in dialog.credentials_status.text()
        qtbot.keyClicks(dialog.user, "ann")
        qtbot.keyClicks(dialog.password, USERS["ann"])
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert "saved in the system keychain" in dialog.credentials_status.text()
        dialog.accept()
        assert any(USERS["ann"] in v for v in keychain.items.values())

        url = f"{locked_orthanc.dicomweb}/studies/{_study_uid(demo_files)}"
        assert window.server_opening.open_url(url)
        qtbot.waitUntil(lambda: not window.server_opening.busy, timeout=60000)
        assert window.study is not None, window.last_message
        window.prefs.sync()
        settings_file = window.prefs.file
        assert settings_file.is_file() and USERS["ann"] not in settings_file.read_text(errors="replace")
        for log in (tmp_path / "data").rglob("*.log"):
            assert USERS["ann"] not in log.read_text(errors="replace")

    def test_forget(
        self, qtbot: QtBot, keychain: MemoryKeychain, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Forget removes the server's entry; the fields empty and the status says what is used instead."""
        monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
        monkeypatch.setenv(TOKEN_ENV, "env-token")
        base = "http://127.0.0.1:1/dicom-web"
        credential_store.default_store().save(base, Credentials(token="kept"))
        window = MainWindow(reader="Dr Forget")
        qtbot.addWidget(window)
        dialog = PreferencesDialog(window)
        qtbot.addWidget(dialog)
        dialog.server.setEditText(base)
        assert dialog.token.text() == "kept"
        qtbot.mouseClick(dialog.forget_button, Qt.MouseButton.LeftButton)
        assert keychain.items == {} and dialog.token.text() == ""
        assert TOKEN_ENV in dialog.credentials_status.text()


class TestCheckButton:
    def _dialog(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, base: str
    ) -> PreferencesDialog:
        monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
        window = MainWindow(reader="Dr Check")
        window.interactive = False
        qtbot.addWidget(window)
        dialog = PreferencesDialog(window)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.server.setEditText(base)
        return dialog

    def _check(self, qtbot: QtBot, dialog: PreferencesDialog, user: str, password: str) -> str:
        """Type the credentials, press Check: the dialog says it is checking, then the answer."""
        dialog.user.clear()
        dialog.password.clear()
        qtbot.keyClicks(dialog.user, user)
        qtbot.keyClicks(dialog.password, password)
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
        assert dialog.check_result.text().startswith("Checking with")  # asked in the background
        assert not dialog.check_button.isEnabled()
        qtbot.waitUntil(lambda: not dialog.check_result.text().startswith("Checking"), timeout=30000)
        assert dialog.check_button.isEnabled()
        return dialog.check_result.text()

    def test_accepted_and_refused(
        self,
        qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        locked_orthanc: OrthancServer,
        keychain: MemoryKeychain,
    ) -> None:
        """The right password is accepted, a wrong one refused with the server's 401; nothing is saved."""
        dialog = self._dialog(qtbot, monkeypatch, tmp_path, locked_orthanc.dicomweb)
        accepted = self._check(qtbot, dialog, "ann", USERS["ann"])
        assert accepted.startswith("Accepted: the server answered a search with these credentials")
        assert "not saved yet" in accepted
        refused = self._check(qtbot, dialog, "ann", "wrong")
        assert refused == "The server refused these credentials (401)"
        assert keychain.items == {}  # a check saves nothing
        assert USERS["ann"] not in accepted + refused

    def test_unreachable(
        self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, keychain: MemoryKeychain
    ) -> None:
        """A server address where nothing listens: could not reach it, named."""
        base = f"http://127.0.0.1:{free_port()}/dicom-web"
        dialog = self._dialog(qtbot, monkeypatch, tmp_path, base)
        said = self._check(qtbot, dialog, "ann", "x")
        assert said.startswith(f"Could not reach {base}")

    def test_answer_about_other_fields_dropped(
        self,
        qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        locked_orthanc: OrthancServer,
        keychain: MemoryKeychain,
    ) -> None:
        """Edited while the check runs: its answer, about the fields as they were, is not shown."""
        dialog = self._dialog(qtbot, monkeypatch, tmp_path, locked_orthanc.dicomweb)
        qtbot.keyClicks(dialog.user, "ann")
        qtbot.keyClicks(dialog.password, USERS["ann"])
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.password, "x")
        assert dialog.wait_for_check()
        qtbot.waitUntil(dialog.check_button.isEnabled)
        assert dialog.check_result.text() == ""
