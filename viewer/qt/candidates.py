"""Assisted detection in the GUI: candidate specks the reader accepts or rejects, one key each.

Candidates come from :func:`viewer.core.detect.find_candidates` (run off the UI thread)
and are shown as small yellow rings. They are never saved: accepting one runs the normal
one-click outline and adds a reader's mark through the undo stack; rejecting drops it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from viewer.core.annotations import Calcification, ImageAnnotations, ImageKey
from viewer.core.commands import AddCalcification, Command
from viewer.core.detect import Candidate, find_candidates
from viewer.core.geometry import Spacing
from viewer.core.measure import find_calcification
from viewer.qt.image_view import ImageView, image_key
from viewer.session.study_session import StudySession, Ticket

CANDIDATE_COLOR = QColor(255, 230, 0)
CURRENT_COLOR = QColor(255, 90, 0)


class _Signals(QObject):
    done = Signal(object, object, object, str)  # view, ticket, candidates | None, error


class _DetectJob(QRunnable):
    def __init__(
        self,
        view: ImageView,
        ticket: Ticket,
        pixels: np.ndarray,
        spacing: Spacing,
        bright: bool,
        signals: _Signals,
    ) -> None:
        super().__init__()
        self.view, self.ticket = view, ticket
        self.pixels, self.spacing, self.bright = pixels, spacing, bright
        self.signals = signals

    def run(self) -> None:
        try:
            found = find_candidates(self.pixels, self.spacing, bright_is_high=self.bright)
        except Exception as exc:
            self.signals.done.emit(self.view, self.ticket, None, str(exc) or exc.__class__.__name__)
        else:
            self.signals.done.emit(self.view, self.ticket, found, "")


class CandidateReview(QObject):
    """The candidates of one view and the reader's walk through them."""

    changed = Signal()

    def __init__(
        self,
        push: Callable[[Command], None],
        notify: Callable[[str], None],
        annotations_of: Callable[[ImageView], ImageAnnotations],
        reader: Callable[[], str],
        session: StudySession,
    ) -> None:
        super().__init__()
        self._push, self._notify, self._reader = push, notify, reader
        self._annotations_of = annotations_of
        self._session = session
        self.view: ImageView | None = None
        self.key: ImageKey | None = None
        """The image frame the candidates were found on."""
        self.candidates: list[Candidate] = []
        self.index = -1
        self.busy = False
        self._items: list[QGraphicsPathItem] = []
        self._signals = _Signals()
        self._signals.done.connect(self._found)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    # -- finding ---------------------------------------------------------------------
    def find(self, view: ImageView) -> None:
        """Look for candidates on ``view``'s image in the background."""
        if view.image is None or self.busy:
            return
        if not view.pixels_ready:
            self._notify("the image is still being decoded; one moment")
            return
        self.clear()
        self.busy = True
        self._notify(f"Finding candidate calcifications on {view.image.view_label}...")
        key = image_key(view.image, view.frame)
        pixels = view.image.modality_pixels(view.frame)
        spacing = self._annotations_of(view).spacing
        ticket = self._session.ticket(key)
        self._pool.start(_DetectJob(view, ticket, pixels, spacing, view.image.bright_is_high, self._signals))

    def wait(self, msecs: int = 60000) -> bool:
        return bool(self._pool.waitForDone(msecs))

    @staticmethod
    def _shows(view: ImageView, key: ImageKey | None) -> bool:
        return view.image is not None and key is not None and image_key(view.image, view.frame) == key

    def _found(self, view: ImageView, ticket: Ticket, found: list[Candidate] | None, error: str) -> None:
        self.busy = False
        if not self._session.is_current(ticket) or not self._shows(view, ticket.key):
            # another study, image or frame is shown now: these specks are not on it
            self._notify("candidates found for an image no longer shown there were dropped; Ctrl+F again")
            return
        if found is None:
            self._notify(f"Finding candidates failed: {error}")
            return
        self.view, self.key = view, ticket.key
        marked = self._marked_centres(view)
        kept: list[Candidate] = []
        for cand in found:  # best first: a weaker twin of a kept candidate is the same speck
            if self._near_mark(cand, marked):
                continue
            twins = np.array([k.center for k in kept], dtype=np.float64).reshape(-1, 2)
            if not self._near_mark(cand, twins):
                kept.append(cand)
        self.candidates = kept
        self.index = -1
        self._draw()
        label = view.image.view_label if view.image is not None else ""
        self._notify(
            f"{len(self.candidates)} candidates on {label}: N next, P previous, "
            "Y accept (outlines it), X reject"
        )
        if self.candidates:
            self.step(1)
        self.changed.emit()

    def _marked_centres(self, view: ImageView) -> np.ndarray:
        marks = self._annotations_of(view).calcifications.values()
        return np.array([c.center for c in marks], dtype=np.float64).reshape(-1, 2)

    @staticmethod
    def _near_mark(candidate: Candidate, marked: np.ndarray, radius_px: float = 4.0) -> bool:
        if marked.size == 0:
            return False
        d = np.hypot(marked[:, 0] - candidate.center[0], marked[:, 1] - candidate.center[1])
        return bool(d.min() <= radius_px)

    # -- reviewing -------------------------------------------------------------------
    @property
    def current(self) -> Candidate | None:
        if 0 <= self.index < len(self.candidates):
            return self.candidates[self.index]
        return None

    def step(self, delta: int) -> None:
        """Go to the next (``+1``) or previous (``-1``) candidate and centre it."""
        if not self.candidates or self.view is None:
            self._notify("no candidates: Detect > Find candidates first")
            return
        self.index = (self.index + delta) % len(self.candidates)
        cand = self.candidates[self.index]
        zoom = max(self.view.zoom_percent() / 100.0, 2.0)
        self.view.center_on(cand.center[0], cand.center[1], zoom)
        self._draw()
        size = f", about {cand.long_axis_mm:.2f} mm" if cand.long_axis_mm is not None else ""
        self._notify(
            f"candidate {self.index + 1} of {len(self.candidates)} "
            f"(score {cand.score:.1f}{size}): Y accept, X reject"
        )
        self.changed.emit()

    def accept(self) -> None:
        """Outline the current candidate as a reader's mark (a point mark if no outline is found)."""
        cand, view = self.current, self.view
        if cand is None or view is None or view.image is None:
            self._notify("no candidate selected (N for the next one)")
            return
        if not self._shows(view, self.key):
            self.clear()
            self._notify("the candidates were found on an image no longer shown; Ctrl+F again")
            return
        key: ImageKey = image_key(view.image, view.frame)
        spacing = self._annotations_of(view).spacing
        result = find_calcification(
            view.image.pixels(view.frame),
            cand.center[0],
            cand.center[1],
            spacing,
            bright_is_high=view.image.bright_is_high,
            modality=view.image.frame_header(view.frame).modality_lut,
        )
        if result.found and result.outline is not None and result.center is not None:
            calc = Calcification.create(
                result.center, result.outline, spacing, intensity=result.intensity, reader=self._reader()
            )
            text = "accept candidate"
        else:
            calc = Calcification.create(cand.center, None, spacing, reader=self._reader())
            text = "accept candidate as a point mark"
            self._notify("no outline found for this candidate: kept as a point mark (not measured)")
        self._push(AddCalcification(key, calc, text=text))
        self._drop_current()

    def reject(self) -> None:
        if self.current is None:
            self._notify("no candidate selected (N for the next one)")
            return
        self._drop_current()

    def _drop_current(self) -> None:
        del self.candidates[self.index]
        if not self.candidates:
            self.index = -1
            self._draw()
            self._notify("all candidates reviewed")
            self.changed.emit()
            return
        self.index -= 1
        self.step(1)

    def clear(self) -> None:
        self.candidates, self.index = [], -1
        self._draw()
        self.view, self.key = None, None

    # -- drawing ---------------------------------------------------------------------
    def _draw(self) -> None:
        for item in self._items:
            scene = item.scene()
            if scene is not None:
                scene.removeItem(item)
        self._items = []
        if self.view is None:
            return
        for i, cand in enumerate(self.candidates):
            current = i == self.index
            pen = QPen(CURRENT_COLOR if current else CANDIDATE_COLOR)
            pen.setCosmetic(True)
            pen.setWidthF(2.0 if current else 1.2)
            radius = max(6.0, (cand.long_axis_px or 4.0))
            path = QPainterPath()
            path.addEllipse(QPointF(cand.center[0], cand.center[1]), radius, radius)
            item = QGraphicsPathItem(path)
            item.setPen(pen)
            item.setZValue(15)
            self.view.vb.addItem(item, ignoreBounds=True)
            self._items.append(item)
