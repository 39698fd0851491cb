"""File > Preferences: the reader's name, how much is kept and decoded ahead, and each server's credentials.

Check asks the server, off the UI thread, whether it accepts the credentials typed (one search
request) and says so in the dialog: accepted, refused (401 / 403), or could not be reached.
Credentials are saved per server (its base URL) in the system keychain, or for this session
only where the machine has none; the dialog says which. They are never written to the
preferences file. A server with no saved credentials uses the environment's
(``MAMMO_VIEWER_PACS_TOKEN``, or ``..._USER`` and ``..._PASSWORD``), and the dialog says that too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from viewer.sources.credential_store import TOKEN_ENV, USER_ENV, Credentials, CredentialStore, default_store
from viewer.sources.dicomweb import is_url, parse_url
from viewer.sources.server_check import check_access

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


def _gb_box(value: float, maximum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, maximum)
    box.setDecimals(1)
    box.setSuffix(" GB")
    box.setValue(value)
    return box


class _CheckSignals(QObject):
    done = Signal(int, bool, str)  # check number, accepted, message


class _Check(QRunnable):
    """One check of typed credentials, off the UI thread."""

    def __init__(self, number: int, base: str, credentials: Credentials, signals: _CheckSignals) -> None:
        super().__init__()
        self.number, self.base, self.credentials, self.signals = number, base, credentials, signals

    def run(self) -> None:
        result = check_access(self.base, self.credentials)
        self.signals.done.emit(self.number, result.accepted, result.message)


class PreferencesDialog(QDialog):
    """The preferences of this user on this computer; OK applies them."""

    def __init__(self, window: MainWindow, store: CredentialStore | None = None) -> None:
        super().__init__(window)
        self.setWindowTitle("Preferences")
        self.window_ = window
        self.store = store or default_store()
        # the pool first: on closing, it waits for a check before the signals go
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._check_signals = _CheckSignals(self)
        self._check_signals.done.connect(self._checked)
        self._check_number = 0
        prefs = window.prefs
        layout = QVBoxLayout(self)

        reading = QGroupBox("Reader")
        form = QFormLayout(reading)
        self.reader = QLineEdit(window.reader)
        self.reader.setToolTip("Recorded with every mark; applies to the next study you open")
        form.addRow("Your name", self.reader)
        layout.addWidget(reading)

        speed = QGroupBox("Speed and disk")
        form = QFormLayout(speed)
        self.prefetch = QSpinBox()
        self.prefetch.setRange(0, 5)
        self.prefetch.setValue(prefs.prefetch_studies)
        self.prefetch.setToolTip("Studies after the open one (worklist order) decoded ahead; 0: none")
        form.addRow("Studies decoded ahead", self.prefetch)
        self.pixel_cache = _gb_box(prefs.pixel_cache_gb, 1000.0)
        self.pixel_cache.setToolTip("Decoded pixels kept so that a study reopens at once; 0: no cache")
        form.addRow("Decoded-pixel cache", self.pixel_cache)
        self.server_cache = _gb_box(prefs.server_cache_gb, 10000.0)
        self.server_cache.setToolTip(
            "Studies retrieved from servers kept on this computer, oldest used out first"
        )
        form.addRow("Studies from servers", self.server_cache)
        layout.addWidget(speed)

        layout.addWidget(self._servers_box(prefs.recent_servers))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._show_server()

    # -- servers ---------------------------------------------------------------------------
    def _servers_box(self, recent: list[str]) -> QWidget:
        box = QGroupBox("Server credentials")
        form = QFormLayout(box)
        self.server = QComboBox()
        self.server.setEditable(True)
        self.server.addItems(recent)
        self.server.setMinimumWidth(360)
        self.server.currentTextChanged.connect(lambda _text: self._show_server())
        form.addRow("Server (base URL)", self.server)
        self.user = QLineEdit()
        form.addRow("User", self.user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Password", self.password)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("a bearer token instead of user and password")
        form.addRow("Token", self.token)
        for edit in (self.user, self.password, self.token):
            edit.textEdited.connect(self._fields_edited)
        row = QHBoxLayout()
        self.save_button = QPushButton("Save credentials")
        self.save_button.clicked.connect(self.save_credentials)
        self.forget_button = QPushButton("Forget")
        self.forget_button.clicked.connect(self.forget_credentials)
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Ask the server whether it accepts the credentials typed here")
        self.check_button.clicked.connect(self.check_credentials)
        row.addWidget(self.save_button)
        row.addWidget(self.forget_button)
        row.addWidget(self.check_button)
        row.addStretch(1)
        form.addRow(row)
        self.credentials_status = QLabel()
        self.credentials_status.setWordWrap(True)
        two_lines = 2 * self.credentials_status.fontMetrics().lineSpacing() + 4
        # room for two lines from the start: a form does not grow for a label that wraps later
        self.credentials_status.setMinimumHeight(two_lines)
        form.addRow(self.credentials_status)
        self.check_result = QLabel()
        self.check_result.setWordWrap(True)
        self.check_result.setMinimumHeight(two_lines)
        form.addRow(self.check_result)
        return box

    def _base(self) -> str | None:
        text = self.server.currentText().strip()
        if not text or not is_url(text):
            return None
        return parse_url(text).base

    def _show_server(self) -> None:
        """Fill the fields with what is saved for the server named, and say where it comes from."""
        base = self._base()
        saved = self.store.saved(base) if base else None
        self.user.setText(saved.user if saved else "")
        self.password.setText(saved.password if saved else "")
        self.token.setText(saved.token if saved else "")
        for widget in (self.user, self.password, self.token, self.save_button, self.check_button):
            widget.setEnabled(base is not None)
        self.forget_button.setEnabled(saved is not None)
        self.credentials_status.setText(self._status(base, saved))
        self._check_number += 1  # a check still running was about another server or other fields
        self.check_result.setText("")

    def _status(self, base: str | None, saved: Credentials | None) -> str:
        if base is None:
            return "Type or choose a server's base URL (http://host:8042/dicom-web)."
        if saved is not None:
            where = (
                "in the system keychain"
                if self.store.persistent
                else "for this session only (no system keychain)"
            )
            return f"Credentials for {base} are saved {where}."
        env = Credentials.from_environment()
        if env.token or env.user:
            return f"No credentials saved for {base}: those of {TOKEN_ENV} or {USER_ENV} are used."
        return f"No credentials for {base}: requests go without any."

    def save_credentials(self) -> None:
        base = self._base()
        if base is None:
            return
        self.store.save(base, self._typed())  # empty fields forget what was saved
        self._show_server()

    def forget_credentials(self) -> None:
        base = self._base()
        if base is not None:
            self.store.forget(base)
        self._show_server()

    def _typed(self) -> Credentials:
        return Credentials(self.user.text().strip(), self.password.text(), self.token.text().strip())

    def _fields_edited(self) -> None:
        self._check_number += 1  # what a running check says is about the fields as they were
        self.check_result.setText("")

    def check_credentials(self) -> None:
        """Ask the server, in the background, whether it accepts the credentials typed (saved or not)."""
        base = self._base()
        if base is None:
            return
        self._check_number += 1
        self.check_button.setEnabled(False)
        self.check_result.setText(f"Checking with {base} ...")
        self._pool.start(_Check(self._check_number, base, self._typed(), self._check_signals))

    def _checked(self, number: int, accepted: bool, message: str) -> None:
        self.check_button.setEnabled(self._base() is not None)
        if number != self._check_number:
            return  # the server or the fields changed meanwhile
        base = self._base()
        if accepted and base is not None and self.store.saved(base) != self._typed():
            message += " (not saved yet: Save credentials keeps them)"
        self.check_result.setText(message)
        self.check_result.setStyleSheet("" if accepted else "color: #b00020")

    def wait_for_check(self, msecs: int = 30_000) -> bool:
        """Block until a check in progress is done (tests, closing)."""
        return bool(self._pool.waitForDone(msecs))

    # -- OK -------------------------------------------------------------------------------
    def accept(self) -> None:
        window, prefs = self.window_, self.window_.prefs
        prefs.prefetch_studies = self.prefetch.value()
        prefs.pixel_cache_gb = self.pixel_cache.value()
        prefs.server_cache_gb = self.server_cache.value()
        window.workflow.apply_cache_limit()
        name = self.reader.text().strip()
        if name and name != window.reader:
            window.set_reader(name)
        prefs.sync()
        super().accept()
