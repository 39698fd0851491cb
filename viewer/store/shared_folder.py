"""Folders that hold more than one study: one annotation file per study and reader.

Until this layout, every study of a folder wrote ``mammo-annotations.<reader>.json``: the
GE and the Siemens study of one folder shared a file whose header named one study while
it held both patients' marks. When a study of such a folder is opened, each reader's
shared file (and its autosave) is split by SOP Instance UID into
``mammo-annotations.<reader>.study-<key>.json`` per study (:func:`viewer.store.sidecar.
sidecar_path`); the shared file is kept as ``mammo-annotations.<reader>.shared-backup.json``,
so nothing is lost and nothing counts twice.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Mapping
from pathlib import Path

from viewer.core.annotations import ImageKey, StudyAnnotations
from viewer.store import sidecar
from viewer.store.atomic import write_atomic
from viewer.store.errors import SidecarError
from viewer.store.lock import LockHeldError, acquire
from viewer.store.serialize import serialize

SHARED_BACKUP = ".shared-backup"
_RECOVERY_SUFFIX = ".recovery"
_LOCK_SUFFIX = ".lock"


def split_model(
    model: StudyAnnotations, studies: Mapping[str, Collection[str]]
) -> tuple[dict[str, StudyAnnotations], list[ImageKey]]:
    """The part of ``model`` that belongs to each study, and the images of none.

    ``studies`` maps each Study Instance UID to the SOP Instance UIDs of its images. A part
    keeps the reader and the creation time; only studies with at least one image record
    in ``model`` get a part.
    """
    owner = {sop: uid for uid, sops in studies.items() for sop in sops}
    parts: dict[str, StudyAnnotations] = {}
    orphans: list[ImageKey] = []
    for key, image in model.images.items():
        uid = owner.get(key[0])
        if uid is None:
            orphans.append(key)
            continue
        part = parts.get(uid)
        if part is None:
            part = parts[uid] = StudyAnnotations(model.reader, uid)
            part.created, part.modified = model.created, model.modified
        image.study_instance_uid = uid
        part.images[key] = image
    return parts, orphans


def shared_backup_path(path: Path) -> Path:
    """Where a split shared file is kept: ``mammo-annotations.<reader>.shared-backup.json``
    (``-2``, ``-3``... if taken); not an annotation file name, so nothing counts it."""
    stem = path.name.removesuffix(sidecar.SIDECAR_SUFFIX)
    backup = path.with_name(f"{stem}{SHARED_BACKUP}{sidecar.SIDECAR_SUFFIX}")
    n = 2
    while backup.exists():
        backup = path.with_name(f"{stem}{SHARED_BACKUP}-{n}{sidecar.SIDECAR_SUFFIX}")
        n += 1
    return backup


def _split_one(path: Path, folder: Path, studies: Mapping[str, Collection[str]]) -> str | None:
    """Split one shared file and its autosave; a notice for the user, or None if untouched."""
    slug = sidecar.reader_of_name(path.name)
    try:
        model = sidecar.load(path)
    except SidecarError as exc:
        return f"{exc} It is shared by the studies of {folder} and was not split."
    parts, orphans = split_model(model, studies)
    written: list[str] = []
    kept: list[str] = []
    for uid, part in parts.items():
        target = sidecar.sidecar_path(folder, slug, uid)
        if target.exists():
            kept.append(target.name)  # already split (or saved since): the backup keeps the rest
            continue
        write_atomic(target, serialize(part))
        written.append(target.name)
    recovery = path.with_name(path.name + _RECOVERY_SUFFIX)
    if recovery.exists():
        with contextlib.suppress(SidecarError):
            rec_parts, _ = split_model(sidecar.load(recovery), studies)
            for uid, part in rec_parts.items():
                target = sidecar.sidecar_path(folder, slug, uid)
                rec_target = target.with_name(target.name + _RECOVERY_SUFFIX)
                if not rec_target.exists():
                    write_atomic(rec_target, serialize(part))
    backup = shared_backup_path(path)
    if recovery.exists():
        os.replace(recovery, backup.with_name(backup.name + _RECOVERY_SUFFIX))
    os.replace(path, backup)
    message = f"{path.name} held the marks of {len(parts)} studies of this folder"
    if written:
        message += f"; they are now in {', '.join(written)}"
    if kept:
        message += f"; {', '.join(kept)} existed already and were kept"
    if orphans:
        message += f"; {len(orphans)} image(s) belong to no study found here and stay in the backup"
    return message + f". The original is kept as {backup.name}."


def split_shared_sidecars(folder: Path, studies: Mapping[str, Collection[str]], reader: str) -> list[str]:
    """Split every reader's shared annotation file of ``folder`` into one file per study.

    ``studies`` maps each Study Instance UID found in the folder to the SOP Instance UIDs
    of its images; does nothing unless it names two studies or more. A file whose lock
    another running program holds is left alone (and said so). Returns notices for the
    user; raises nothing for a bad file (it is named in a notice and left as it is).
    """
    folder = Path(folder)
    if len(studies) < 2:
        return []
    notices: list[str] = []
    for path in sorted(folder.glob(f"{sidecar.SIDECAR_PREFIX}*{sidecar.SIDECAR_SUFFIX}")):
        name = path.name
        if not sidecar.is_sidecar_name(name) or name.count(".") != 2:
            continue  # a per-study file already
        lock_path = path.with_name(name + _LOCK_SUFFIX)
        try:
            lock, _notice = acquire(lock_path, reader)
        except LockHeldError as exc:
            notices.append(f"{name} is shared by the studies of this folder but in use ({exc}); not split.")
            continue
        except SidecarError as exc:
            notices.append(f"{name} is shared by the studies of this folder and cannot be split: {exc}")
            continue
        try:
            notice = _split_one(path, folder, studies)
        except (SidecarError, OSError) as exc:
            notice = f"{name} could not be split by study: {exc}. It was left as it is."
        finally:
            lock.release()
        if notice:
            notices.append(notice)
    return notices
