"""The program's rotating log file in the user data folder."""

from __future__ import annotations

import logging
import logging.handlers

from viewer.cli import main
from viewer.program_log import BACKUPS, LOG_NAME, configure_logging, log_folder
from viewer.store.locations import user_data_dir


def _close(path_handlers: list[logging.Handler]) -> None:
    logger = logging.getLogger("viewer")
    for handler in path_handlers:
        logger.removeHandler(handler)
        handler.close()


class TestProgramLog:
    def test_messages_of_the_viewer_loggers_reach_the_file(self) -> None:
        """A warning of any viewer.* logger lands in logs/mammo-viewer.log of the user data folder."""
        before = list(logging.getLogger("viewer").handlers)
        path = configure_logging()
        assert configure_logging() == path  # a second call adds no second handler
        added = [h for h in logging.getLogger("viewer").handlers if h not in before]
        try:
            assert len(added) == 1
            logging.getLogger("viewer.dicom.decode").warning("reduced decode fell back: test reason")
            added[0].flush()
            assert path == log_folder() / LOG_NAME
            assert "reduced decode fell back: test reason" in path.read_text(encoding="utf-8")
        finally:
            _close(added)

    def test_the_file_rotates(self) -> None:
        """Past its size the log rotates, keeping a bounded number of old files."""
        before = list(logging.getLogger("viewer").handlers)
        path = configure_logging()
        added = [h for h in logging.getLogger("viewer").handlers if h not in before]
        try:
            handler = added[0]
            assert isinstance(handler, logging.handlers.RotatingFileHandler)
            handler.maxBytes = 2000
            for i in range(200):
                logging.getLogger("viewer.test").warning("line %d %s", i, "x" * 50)
            files = sorted(p.name for p in path.parent.glob(LOG_NAME + "*"))
            assert LOG_NAME + ".1" in files and len(files) == BACKUPS + 1
        finally:
            _close(added)

    def test_headless_commands_log_too(self, tmp_path) -> None:
        """Running a subcommand configures the log (its folder exists afterwards)."""
        assert not (user_data_dir() / "logs").exists()
        before = list(logging.getLogger("viewer").handlers)
        try:
            main(["validate", str(tmp_path / "missing.json")])
        except SystemExit:
            pass
        finally:
            _close([h for h in logging.getLogger("viewer").handlers if h not in before])
        assert (user_data_dir() / "logs").is_dir()
