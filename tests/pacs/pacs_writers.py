"""Worker processes of the concurrency tests: each a workstation saving marks into one study.

Run with the "spawn" start method (a fresh interpreter, as on another machine); each has
its own user data folder. Results come back on a queue as plain tuples.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from viewer.core.annotations import Calcification, ImageAnnotations
from viewer.core.geometry import Spacing, SpacingSource

SPACING = Spacing(
    0.0787, 0.0787, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, "mm at the breast plane (ERMF 1.08)"
)


def save_rounds(
    data_folder: str,
    base: str,
    study_uid: str,
    sop_uid: str,
    reader: str,
    rounds: int,
    barrier: Any,
    out: Any,
) -> None:
    """Open the study as ``reader``, then add one mark and save, ``rounds`` times.

    Puts ``(reader, mark ids, saves sent, saves kept locally, conflicts, error)`` on ``out``
    (conflicts -1 and the error when the worker failed).
    """
    try:
        out.put(_save_rounds(data_folder, base, study_uid, sop_uid, reader, rounds, barrier))
    except BaseException as exc:  # the parent must hear of it, not wait for a result
        out.put((reader, [], 0, 0, -1, f"{type(exc).__name__}: {exc}"))
        raise


def _save_rounds(
    data_folder: str, base: str, study_uid: str, sop_uid: str, reader: str, rounds: int, barrier: Any
) -> tuple[str, list[str], int, int, int, str]:
    os.environ["MAMMO_VIEWER_DATA_DIR"] = data_folder
    from viewer.sources.server_store import SaveConflictError, ServerAnnotationStore

    store = ServerAnnotationStore.open(base, study_uid, reader)
    model = store.load()
    record = model.ensure_image(ImageAnnotations(sop_uid, dicom_spacing=SPACING, rows=2400, columns=1900))
    ids: list[str] = []
    sent = kept = conflicts = 0
    barrier.wait(timeout=900)  # a loaded machine starts 8 interpreters slowly
    for i in range(rounds):
        x, y = 100.0 + 5 * i, 100.0 + 40 * (sum(map(ord, reader)) % 40)
        square = [(x - 1, y - 1), (x + 1, y - 1), (x + 1, y + 1), (x - 1, y + 1)]
        mark = Calcification.create((x, y), square, SPACING, reader=reader)
        model.put_calcification(record.key, mark)
        ids.append(mark.id)
        try:
            result = store.save(model)
        except SaveConflictError:
            conflicts += 1
            break
        sent += result.sent
        kept += not result.sent
    if store.pending and not conflicts:
        sent += store.push().sent
    store.close()
    return (reader, ids, sent, kept, conflicts, "")


def data_folder(root: Path, name: str) -> str:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)
