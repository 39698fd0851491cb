"""A real Orthanc (Debian's `orthanc` and `orthanc-dicomweb`) on a free loopback port.

Started with a temporary configuration and storage folder, stopped (and its storage kept
for a restart) by :meth:`OrthancServer.stop`. Used by the PACS tests' fixtures and by the
benchmarks; no test talks to a pretend server.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ORTHANC_NAMES = ("Orthanc",)
_SEARCH = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
_PLUGIN_NAMES = ("libOrthancDicomWeb.so",)
_PLUGIN_FOLDERS = (
    "/usr/share/orthanc/plugins",
    "/usr/lib/orthanc/plugins",
    "/usr/local/share/orthanc/plugins",
)
ANNOTATION_CONTENT_TYPE = {"mammo-annotations": [4177, "application/json"]}
"""The one attachment type the viewer needs on the server (docs/pacs.md)."""


def find_orthanc() -> tuple[Path, Path] | None:
    """The Orthanc binary and its DICOMweb plugin, or None when either is missing."""
    binary = shutil.which("Orthanc")
    if binary is None:
        for folder in _SEARCH:
            candidate = Path(folder) / "Orthanc"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                binary = str(candidate)
                break
    if binary is None:
        return None
    for folder in _PLUGIN_FOLDERS:
        for name in _PLUGIN_NAMES:
            plugin = Path(folder) / name
            if plugin.is_file():
                return Path(binary), plugin
    return None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OrthancServer:
    """One Orthanc process with its own configuration and storage under ``folder``.

    Parameters
    ----------
    folder
        Where the configuration, storage and log go (a test's temporary folder).
    annotations
        False starts a server without the viewer's attachment type (the "not configured"
        case of docs/pacs.md).
    """

    def __init__(self, folder: Path, annotations: bool = True, check_revisions: bool = True) -> None:
        found = find_orthanc()
        if found is None:
            raise FileNotFoundError("Orthanc or its DICOMweb plugin is not installed")
        self.binary, self.plugin = found
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.storage = self.folder / "storage"
        self.port = free_port()
        self.annotations = annotations
        self.check_revisions = check_revisions
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> str:
        """The Orthanc REST API root, ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def dicomweb(self) -> str:
        """The DICOMweb base URL, ``http://127.0.0.1:PORT/dicom-web``."""
        return f"{self.root}/dicom-web"

    def _write_config(self) -> Path:
        config = {
            "Name": "mammo-viewer-test",
            "StorageDirectory": str(self.storage),
            "IndexDirectory": str(self.storage),
            "HttpPort": self.port,
            "HttpBindAddress": "127.0.0.1",
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomServerEnabled": False,
            "HttpThreadsCount": 16,
            "StableAge": 1,
            "Plugins": [str(self.plugin)],
            "CheckRevisions": self.check_revisions,
            "UserContentType": ANNOTATION_CONTENT_TYPE if self.annotations else {},
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": "127.0.0.1", "Ssl": False},
        }
        path = self.folder / "orthanc.json"
        path.write_text(json.dumps(config, indent=2))
        return path

    def start(self, timeout: float = 30.0) -> None:
        """Start the process and wait until its REST API answers."""
        config = self._write_config()
        log = (self.folder / "orthanc.log").open("ab")
        self.process = subprocess.Popen(
            [str(self.binary), str(config)], stdout=log, stderr=subprocess.STDOUT, cwd=self.folder
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start; see {self.folder / 'orthanc.log'}")
            try:
                with urllib.request.urlopen(f"{self.root}/system", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer within {timeout} s; see {self.folder / 'orthanc.log'}")

    def stop(self) -> None:
        """Stop the process (its storage stays, so :meth:`start` brings the same archive back)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """End the process at once (SIGKILL): the server dies in the middle of whatever it did."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def upload(self, files: list[Path]) -> list[dict[str, str]]:
        """Store DICOM files through the REST API; returns Orthanc's answer per file."""
        answers = []
        for path in files:
            request = urllib.request.Request(
                f"{self.root}/instances", data=Path(path).read_bytes(), method="POST"
            )
            request.add_header("Content-Type", "application/dicom")
            with urllib.request.urlopen(request, timeout=30) as answer:
                answers.append(json.loads(answer.read()))
        return answers

    def get_json(self, path: str) -> object:
        """GET a REST resource (``/studies``, ``/system``) as JSON."""
        with urllib.request.urlopen(f"{self.root}{path}", timeout=30) as answer:
            return json.loads(answer.read())

    def __enter__(self) -> OrthancServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
