"""Opening and closing a study in the window: the file dialogs, the hanging, the reader's
annotation file (with its notices, read-only reason and recovery), the files with problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from viewer.core.annotations import ImageKey, StudyAnnotations
from viewer.dicom.study import Study, open_studies
from viewer.qt import reading_setup
from viewer.qt.cell_layers import frame_label
from viewer.qt.image_view import image_key
from viewer.store.session import AnnotationStore

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow


class StudyOpening:
    """Open a study into the window, and close it (asking about unsaved marks)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def open_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self.window, "Open DICOM files")
        if files:
            self.open_paths([Path(f) for f in files])

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a study folder")
        if folder:
            self.open_paths([Path(folder)])

    def open_paths(self, paths: Sequence[Path]) -> bool:
        """Open a study; per-file problems are listed, the rest of the study opens."""
        window = self.window
        if not self.close_study():
            return False
        studies = open_studies([Path(p) for p in paths])
        study = studies[0]
        window.study = study
        self.show_problems(study)
        if not study.images:
            window.notify(
                "No image could be opened: " + "; ".join(p.message for p in study.problems)
                if study.problems
                else "No DICOM images found in " + ", ".join(map(str, paths))
            )
            return False
        by_view = study.by_view()
        hung = set(id(img) for img in by_view.values())
        extra = [img for img in study.images if id(img) not in hung]
        leftovers = window.hanging.show_study(by_view, extra, loading=window.background_decoding)
        reading_setup.study_opened(window, study)
        if window.background_decoding:
            window.loading.load_shown()

        store = AnnotationStore.open(study.folder, window.reader, study.study_instance_uid)
        window.store = store
        try:
            model = store.load()
        except Exception as exc:
            QMessageBox.warning(window, "Annotations not loaded", str(exc))
            model = StudyAnnotations(window.reader, study.study_instance_uid)
        self.set_model(model, study)
        for notice in store.notices:
            window.notify(notice)
        if store.read_only_reason:
            QMessageBox.warning(window, "Annotations are read-only", store.read_only_reason)
        recovered = store.recovery()
        if recovered is not None and store.read_only_reason is None:
            answer = QMessageBox.question(
                window,
                "Recover unsaved marks?",
                "Marks newer than the last save were found (the program stopped before saving). "
                "Recover them?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.set_model(recovered, study)
                window.undo_stack.resetClean()
                window.saving.mark_dirty_without_command()
            else:
                store.discard_recovery()
        if leftovers:
            window.notify(f"{len(leftovers)} more image(s) in this study: Study > Images in this study")
        if len(studies) > 1:
            window.notify(
                f"{len(studies)} studies found; showing {study.folder.name}. "
                "Open the folder as a worklist (Ctrl+Shift+W) to go through them."
            )
        window.prefs.add_recent_path(str(study.folder))
        window.view_controls.rebuild_presets()
        window.update_title()
        return True

    def set_model(self, model: StudyAnnotations, study: Study) -> None:
        """Make ``model`` the window's marks of ``study``: a record for every image frame."""
        window = self.window
        window.cells.detach_all()
        window.undo_stack.clear()
        model.reader = model.reader or window.reader
        model.study_instance_uid = model.study_instance_uid or study.study_instance_uid
        names: dict[ImageKey, str] = {}
        for img in study.images:
            for frame in {0, *(f for (uid, f) in model.images if uid == img.sop_instance_uid)}:
                model.ensure_image(img.annotation_record(frame))
                names[image_key(img, frame)] = frame_label(img, frame)
        window.model = model
        window.controller.set_model(model, window.editing.rule())
        window.cells.attach_all(model)
        window.marks_panel.set_model(model, names)
        window.saving.dirty_without_command = False
        reading_setup.model_set(window, model)

    def show_problems(self, study: Study) -> None:
        window = self.window
        window.problems.clear()
        for problem in study.problems:
            prefix = "skipped" if problem.skipped else "cannot open"
            window.problems.addItem(f"{prefix}: {problem.message}")
        errors = [p for p in study.problems if not p.skipped]
        window.problems_dock.setVisible(bool(study.problems))
        if errors:
            window.notify(f"{len(errors)} file(s) could not be opened; see 'Files with problems'")

    def close_study(self) -> bool:
        """Ask about unsaved marks, flush writes, release the lock. False if the user cancels."""
        window = self.window
        saving = window.saving
        if saving.dirty:
            answer = QMessageBox.question(
                window,
                "Unsaved marks",
                "Save the marks before closing this study?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            if answer == QMessageBox.StandardButton.Save and not saving.save(wait=True):
                return False
        saving.writer.wait()
        window.loading.loader.cancel()
        window.workflow.clear_other_readers()
        window.workflow.candidates.clear()
        if window.store is not None:
            if window.undo_stack.isClean():
                window.store.discard_recovery()
            window.store.close()
            window.store = None
        return True
