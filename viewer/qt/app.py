"""Start the GUI: the QApplication, the main window, the demo study, ``--screenshot``."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from viewer.qt.decode_pool import stop_decode_processes
from viewer.qt.gui_gc import GuiCollector
from viewer.qt.main_window import MainWindow
from viewer.qt.settings import Preferences
from viewer.sources.dicomweb import is_url


def demo_study_folder() -> Path:
    """Write (if needed) and return the built-in demo study's folder; its prior goes beside it."""
    from viewer.dicom.demo import ensure_demo_study
    from viewer.dicom.demo_prior import ensure_demo_prior
    from viewer.store.locations import user_data_dir

    folder = user_data_dir() / "demo-study"
    ensure_demo_study(folder)
    ensure_demo_prior(user_data_dir() / "demo-prior")
    return folder


def _application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("mammo-viewer")
    app.setOrganizationName("mammo-viewer")
    return app


def take_screenshot(window: MainWindow, out: Path) -> bool:
    """Save a picture of the window once every loaded view has painted its image."""
    app = QApplication.instance()
    assert app is not None
    for _ in range(20):
        app.processEvents()
    for view in window.hanging.loaded_views():
        view.render()
    app.processEvents()
    picture = window.grab()
    out.parent.mkdir(parents=True, exist_ok=True)
    return bool(picture.save(str(out)))


def quit_on_sigterm(window: MainWindow) -> QTimer:
    """SIGTERM (and Ctrl+C) close the window as its Quit does: unsaved marks go to the
    recovery file, writes finish, the decoding processes end.

    Python runs signal handlers only between bytecodes; the returned timer wakes the
    interpreter a few times a second while Qt's event loop waits.
    """

    def close(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, lambda: _close_for_signal(window))

    signal.signal(signal.SIGTERM, close)
    signal.signal(signal.SIGINT, close)
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(200)
    return wake


def _close_for_signal(window: MainWindow) -> None:
    window.quitting = True
    window.session.shutdown()  # unsaved marks kept in the recovery file, nothing asked
    while (dialog := QApplication.activeModalWidget()) is not None:
        dialog.close()  # a question on screen is not answered: the marks went to recovery
        if QApplication.activeModalWidget() is dialog:
            break
    window.close()
    app = QApplication.instance()
    if app is not None:
        app.quit()


def _leave_now(code: int) -> int:
    """End the process once everything is written and every worker has ended.

    The interpreter's own teardown (Qt's and pyqtgraph's objects one by one) takes a second
    or two more and does nothing the reader needs; logs and output are flushed first.
    """
    gc.collect()  # the decode pools' queues release their semaphores (no leak warning)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_gui(paths: Sequence[str], screenshot: str | None = None, reader: str | None = None) -> int:
    """Open the viewer on ``paths`` (the demo study when empty); return the exit status."""
    app = _application()
    collector = GuiCollector(app)  # cycles holding Qt objects are freed on this thread only
    prefs = Preferences()
    if reader:
        prefs.reader = reader
    elif not prefs.reader_was_set and not screenshot:
        name, ok = QInputDialog.getText(
            None,
            "mammo-viewer",
            "Your name as a reader (recorded with every mark; asked once):",
            text=prefs.reader,
        )
        if ok and name.strip():
            prefs.reader = name.strip()
    window = MainWindow(prefs)
    window.interactive = not screenshot
    urls = [p for p in paths if is_url(p)]
    folders = [Path(p) for p in paths if not is_url(p)] if paths else [demo_study_folder()]
    if screenshot:
        window.show()
    else:
        window.show_as_last_time()
    quit_on_sigterm(window)
    if urls:  # a study of a DICOMweb server (retrieved in the background, then opened)
        if folders:
            print(
                "mammo-viewer: a server's study opens alone; the paths given beside it are ignored",
                file=sys.stderr,
            )
        opened = window.server_opening.open_url(urls[0])
    else:
        opened = window.open_paths(folders)
    if screenshot:
        out = Path(screenshot)
        status: list[int] = [1]

        waited = [0]

        def shoot() -> None:
            # wait (up to a minute) until every image shows its full-resolution pixels
            busy = window.server_opening.busy or not window.images_ready()
            if busy and waited[0] < 600:
                waited[0] += 1
                QTimer.singleShot(100, shoot)
                return
            ok = take_screenshot(window, out)
            shown = opened and (not urls or window.study is not None)
            status[0] = 0 if ok and shown else 1
            if not ok:
                print(f"mammo-viewer: could not write the screenshot {out}", file=sys.stderr)
            elif not shown:
                print(f"mammo-viewer: {window.last_message}", file=sys.stderr)
            window.close()
            app.quit()

        QTimer.singleShot(300, shoot)
        app.exec()
        stop_decode_processes()
        collector.stop()
        return status[0]
    code = 0 if window.quitting else int(app.exec())
    stop_decode_processes()  # a decode still running is not waited for
    window.session.shutdown()
    collector.stop()
    return _leave_now(code)
