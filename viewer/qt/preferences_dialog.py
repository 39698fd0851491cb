"""File > Preferences: the reader's name, how much is kept and decoded ahead, and each server's credentials.

Credentials are saved per server (its base URL) in the system keychain, or for this session
only where the machine has none; the dialog says which. They are never written to the
preferences file. A server with no saved credentials uses the environment's
(``MAMMO_VIEWER_PACS_TOKEN``, or ``..._USER`` and ``..._PASSWORD``), and the dialog says that too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


def _gb_box(value: float, maximum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, maximum)
    box.setDecimals(1)
    box.setSuffix(" GB")
    box.setValue(value)
    return box


class PreferencesDialog(QDialog):
    """The preferences of this user on this computer; OK applies them."""

    def __init__(self, window: MainWindow, store: CredentialStore | None = None) -> None:
        super().__init__(window)
        self.setWindowTitle("Preferences")
        self.window_ = window
        self.store = store or default_store()
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
        row = QHBoxLayout()
        self.save_button = QPushButton("Save credentials")
        self.save_button.clicked.connect(self.save_credentials)
        self.forget_button = QPushButton("Forget")
        self.forget_button.clicked.connect(self.forget_credentials)
        row.addWidget(self.save_button)
        row.addWidget(self.forget_button)
        row.addStretch(1)
        form.addRow(row)
        self.credentials_status = QLabel()
        self.credentials_status.setWordWrap(True)
        form.addRow(self.credentials_status)
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
        for widget in (self.user, self.password, self.token, self.save_button, self.forget_button):
            widget.setEnabled(base is not None)
        self.forget_button.setEnabled(saved is not None)
        self.credentials_status.setText(self._status(base, saved))

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
        credentials = Credentials(self.user.text().strip(), self.password.text(), self.token.text().strip())
        self.store.save(base, credentials)  # empty fields forget what was saved
        self._show_server()

    def forget_credentials(self) -> None:
        base = self._base()
        if base is not None:
            self.store.forget(base)
        self._show_server()

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
