"""Start the GUI: the QApplication, the main window, the demo study, ``--screenshot``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from viewer.qt.loader import shutdown_decode_pool
from viewer.qt.main_window import MainWindow
from viewer.qt.settings import Preferences


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


def run_gui(paths: Sequence[str], screenshot: str | None = None, reader: str | None = None) -> int:
    """Open the viewer on ``paths`` (the demo study when empty); return the exit status."""
    app = _application()
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
    folders = [Path(p) for p in paths] if paths else [demo_study_folder()]
    window.show()
    opened = window.open_paths(folders)
    if screenshot:
        out = Path(screenshot)
        status: list[int] = [1]

        waited = [0]

        def shoot() -> None:
            # wait (up to a minute) until every image shows its full-resolution pixels
            if not window.images_ready() and waited[0] < 600:
                waited[0] += 1
                QTimer.singleShot(100, shoot)
                return
            ok = take_screenshot(window, out)
            status[0] = 0 if ok and opened else 1
            if not ok:
                print(f"mammo-viewer: could not write the screenshot {out}", file=sys.stderr)
            elif not opened:
                print(f"mammo-viewer: {window.last_message}", file=sys.stderr)
            window.close()
            app.quit()

        QTimer.singleShot(300, shoot)
        app.exec()
        shutdown_decode_pool()
        return status[0]
    code = int(app.exec())
    shutdown_decode_pool()
    return code
