"""The program's log: a rotating file in the user data folder, for what the screen does not say.

Silent fallbacks (a reduced JPEG 2000 decode that falls back to a full one, GDCM decoding what
pydicom's plugins refused, attributes that were ignored) log why here, so that a user reporting
"this image looks wrong" can send the log. Messages a user must act on still go to the screen.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from viewer.store.locations import user_data_dir

LOG_NAME = "mammo-viewer.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_folder() -> Path:
    """The folder of the log files (``logs`` in the user data folder), created on first use."""
    folder = user_data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def configure_logging(level: int = logging.INFO) -> Path:
    """Send the ``viewer`` loggers to a rotating file (1 MB, 3 backups); return its path.

    Calling it again is harmless: the handler of the current log folder is added once.
    """
    path = log_folder() / LOG_NAME
    logger = logging.getLogger("viewer")
    logger.setLevel(level)
    for handler in logger.handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    return path
