"""Fixtures for the Qt tests: a demo study on disk and its ground truth."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from viewer.core.phantom import Phantom
from viewer.dicom.demo import demo_phantoms, write_demo_study
from viewer.qt.gui_gc import GuiCollector


@pytest.fixture(scope="session")
def demo_truth() -> list[Phantom]:
    """The demo study's phantoms (RCC, LCC, RMLO, LMLO) with their true calcifications."""
    return demo_phantoms()


@pytest.fixture(scope="session")
def _demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-master") / "demo-study"
    write_demo_study(folder)
    return folder


@pytest.fixture(scope="package", autouse=True)
def _collect_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    """As in the application: cyclic garbage (windows, panels, layers) freed on this thread only,
    never in a landmark or prior search thread that a previous test's window left running."""
    collector = GuiCollector(qapp)
    yield
    collector.stop()


@pytest.fixture
def demo_folder(_demo_master: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built-in demo study in a private folder (written once per run)."""
    folder = tmp_path / "demo-study"
    shutil.copytree(_demo_master, folder)
    return folder


class DialogLog:
    """Modal dialogs asked during a test, with the answers the test chose."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.answers: dict[str, object] = {}


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogLog:
    """For a test about the questions the window asks: record each and answer it from
    ``dialogs.answers`` instead of showing it.

    Questions are answered "Discard"/"No" unless the test says otherwise; input dialogs
    return the answer the test set under the dialog's title, else "cancelled". Only the
    tests that ask for this fixture have their dialogs answered: any other dialog fails its
    test (:func:`_no_unanswered_dialog`).
    """
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    log = DialogLog()
    button = QMessageBox.StandardButton

    def question(parent, title, text, *args, **kwargs):
        log.asked.append((title, text))
        default = button.Discard if "Save" in text else button.No
        return log.answers.get(title, default)

    def message(parent, title, text, *args, **kwargs):
        log.asked.append((title, text))
        return button.Ok

    def get_value(kind: str):
        def ask(parent, title, label, *args, **kwargs):
            log.asked.append((title, label))
            if title in log.answers:
                return log.answers[title], True
            return ({"int": 0, "double": 0.0, "text": ""}[kind], False)

        return ask

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QMessageBox, "warning", message)
    monkeypatch.setattr(QMessageBox, "critical", message)
    monkeypatch.setattr(QMessageBox, "information", message)
    monkeypatch.setattr(QInputDialog, "getInt", get_value("int"))
    monkeypatch.setattr(QInputDialog, "getDouble", get_value("double"))
    monkeypatch.setattr(QInputDialog, "getText", get_value("text"))
    return log


class ModalWatch:
    """Modal dialogs that opened for real: each is named and rejected as soon as it shows.

    A modal dialog runs its own event loop, where this timer keeps firing, so nothing is
    patched: the dialog is the program's own, and the test fails instead of waiting forever
    for a person (issue 13: a run nobody watches asks nothing).
    """

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.seen: list[str] = []
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    def _check(self) -> None:
        from PySide6.QtWidgets import QApplication, QDialog, QInputDialog, QMessageBox

        widget = QApplication.activeModalWidget()
        if not isinstance(widget, QDialog):
            return
        text = ""
        if isinstance(widget, QMessageBox):
            text = widget.text()
        elif isinstance(widget, QInputDialog):
            text = widget.labelText()
        self.seen.append(f"{widget.windowTitle()!r} ({type(widget).__name__}): {text}")
        widget.reject()

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture(autouse=True)
def _no_unanswered_dialog(qapp: QApplication) -> Iterator[ModalWatch]:
    """Every Qt test: a modal dialog that the test did not answer (``dialogs``) fails it.

    Torn down after the test's widgets are closed (it is set up before them), so a question
    asked on closing a window counts too.
    """
    watch = ModalWatch()
    yield watch
    watch.stop()
    if watch.seen:
        pytest.fail("a modal dialog opened that the test did not answer: " + "; ".join(watch.seen))
