"""View > Set view of this image: the reader sets or corrects an image's laterality and view.

One undo step (:class:`viewer.core.commands.SetImageView`), saved in the reader's
annotation file, and used for the hanging from then on (the image moves to its cell at
once, and on every later open: :func:`viewer.dicom.reader_views.apply_reader_views`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from viewer.core.annotations import Change, ChangeKind, StudyAnnotations
from viewer.core.commands import SetImageView
from viewer.dicom.reader_views import apply_reader_views

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

CHOICES: tuple[tuple[str, str | None, str | None], ...] = (
    ("RCC", "R", "CC"),
    ("LCC", "L", "CC"),
    ("RMLO", "R", "MLO"),
    ("LMLO", "L", "MLO"),
    ("RML", "R", "ML"),
    ("LML", "L", "ML"),
    ("RXCCL", "R", "XCCL"),
    ("LXCCL", "L", "XCCL"),
    ("Unknown side and view", None, None),
)
"""Menu text, laterality, view."""


class ViewCorrection:
    """The menu and what follows a change of view: the image's caption and its cell."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._model: StudyAnnotations | None = None

    def build_menu(self, parent: QMenu) -> QMenu:
        """Add "Set view of this image" to ``parent`` (the View menu)."""
        menu = parent.addMenu("Set &view of this image")
        for text, laterality, view in CHOICES:
            action = menu.addAction(text)
            action.triggered.connect(lambda _=False, lat=laterality, v=view: self.set_view(lat, v))
        return menu

    def set_view(self, laterality: str | None, view: str | None) -> None:
        """Set the active cell's image to ``laterality`` + ``view`` (one undo step)."""
        window = self.window
        image = window.hanging.active.image
        if image is None or not window.session.is_open:
            window.notify("No image in the active cell")
            return
        self._listen(window.session.model)
        window.push(SetImageView((image.sop_instance_uid, 0), laterality, view))

    def _listen(self, model: StudyAnnotations) -> None:
        if self._model is model:
            return
        if self._model is not None:
            self._model.unsubscribe(self._changed)
        self._model = model
        model.subscribe(self._changed)

    def _changed(self, change: Change) -> None:
        if change.kind is not ChangeKind.VIEW_CHANGED or self._model is None:
            return
        study = self.window.session.study
        if study is None:
            return
        moved = apply_reader_views(study.images, self._model)
        if moved:
            self.rehang()
            self.window.notify(f"{moved[0].path.name} is now {moved[0].view_caption}")

    def rehang(self) -> None:
        """Hang the open study again after a view changed: each image to its cell."""
        window = self.window
        study = window.session.study
        if study is None:
            return
        by_view = study.by_view()
        hung = set(id(img) for img in by_view.values())
        extra = [img for img in study.images if id(img) not in hung]
        window.hanging.show_study(by_view, extra, loading=window.background_decoding)
        if window.background_decoding:
            window.loading.load_shown()
        window.opening.show_model()
