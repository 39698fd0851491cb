"""Where a finding is, in the window: the nipple on each view, the band on the other view, CC/MLO links.

- Each current view shows its nipple and chest wall line (:mod:`viewer.qt.nipple_layer`):
  found from the image in a worker thread when the annotation file has none (found
  landmarks are not an edit: nothing to undo, saved with the next save), dragged by the
  reader (one undo step, saved).
- Selecting a mark or cluster says where it is (nipple distance with the spacing source,
  depth third, and for a linked finding its clock face) and draws, on the same breast's
  other view (CC <-> MLO), the band at the same nipple distance +-1 cm.
- Ctrl+L links the finding last selected on CC with the one last selected on MLO of the
  same breast; Ctrl+Shift+L unlinks the selected finding. Both are undo steps.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMenu

from viewer.core.annotations import ImageKey, StudyAnnotations, new_id, utc_now
from viewer.core.finding_places import link_position, locate_item
from viewer.core.geometry import Point
from viewer.core.location import nipple_band
from viewer.core.nipple_detect import LandmarkError
from viewer.core.reading import FindingLink, FindingRef, ImageLandmarks
from viewer.core.reading_commands import LinkFindings, SetLandmarks, UnlinkFindings
from viewer.dicom.breast_landmarks import image_landmarks
from viewer.dicom.image import MammoImage
from viewer.qt.image_view import ImageView, image_key
from viewer.qt.nipple_layer import NippleLayer

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

log = logging.getLogger(__name__)
OTHER_VIEW = {"RCC": "RMLO", "RMLO": "RCC", "LCC": "LMLO", "LMLO": "LCC"}


def _landmarks_apart(image: MammoImage, frame: int) -> ImageLandmarks:
    """Landmarks from a copy of the image of its own (the window's copy caches frames unlocked)."""
    if image.path.is_file():
        image = MammoImage.open(image.path)
    return image_landmarks(image, frame)


class FindingReading:
    """Nipple layers, bands and links of the window's current views."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.layers: dict[str, NippleLayer] = {
            name: NippleLayer(view, partial(self._nipple_dropped, name))
            for name, view in window.hanging.views.items()
        }
        self.last_selected: dict[str, FindingRef] = {}
        """Per cell name, the finding last selected there (what Ctrl+L links)."""
        self._model: StudyAnnotations | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landmarks")
        self._pending: dict[Future[ImageLandmarks], tuple[ImageKey, str]] = {}
        self._poll = QTimer(window)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._collect)
        window.controller.selection_changed.connect(self._selection_changed)

    def build_menu(self, menu: QMenu) -> None:
        act = self.window.make_action
        menu.addAction(
            act(
                "&Link CC and MLO finding",
                self.link_last,
                "Ctrl+L",
                tip="one finding: the last selected on CC and on MLO of the same breast",
            )
        )
        menu.addAction(act("&Unlink finding", self.unlink_selected, "Ctrl+Shift+L"))
        menu.addAction(act("Find the &nipple again", self.find_again_active))

    # -- the model and its landmarks ----------------------------------------------------------
    def model_set(self, model: StudyAnnotations) -> None:
        """A new model (study opened, recovery): listen to it, draw its landmarks, find missing ones."""
        if self._model is not None:
            self._model.reading.unsubscribe(self._reading_changed)
        self._model = model
        model.reading.subscribe(self._reading_changed)
        self.last_selected.clear()
        for layer in self.layers.values():
            layer.hide_band()
        self.redraw()
        for name, view in self.window.hanging.views.items():
            if view.image is not None and image_key(view.image, view.frame) not in model.reading.landmarks:
                self._find(name, view.image, view.frame)

    def _find(self, name: str, image: MammoImage, frame: int) -> None:
        future = self._pool.submit(_landmarks_apart, image, frame)
        self._pending[future] = (image_key(image, frame), name)
        self._poll.start()

    def wait_for_landmarks(self, timeout_s: float = 30.0) -> None:
        """Block until every landmark search is done and applied (tests, scripts)."""
        for future in list(self._pending):
            with contextlib.suppress(Exception):  # reported by _collect
                future.result(timeout=timeout_s)
        self._collect()

    def _collect(self) -> None:
        model = self._model
        for future in [f for f in self._pending if f.done()]:
            key, name = self._pending.pop(future)
            try:
                found = future.result()
            except LandmarkError as exc:
                self.window.notify(
                    f"{name}: nipple not found ({exc}); drag it there by hand (Ctrl+L links need it)"
                )
                continue
            except Exception as exc:  # a failed search leaves the view without a nipple
                log.warning("landmarks of %s failed: %s", name, exc)
                continue
            if model is not self.window.model:  # another study (or none) is open now: dropped
                continue
            if model is not None and key in model.images and key not in model.reading.landmarks:
                # derived from the image, like the cluster suggestions: not an edit to undo
                model.reading.set_landmarks(key, found)
        if not self._pending:
            self._poll.stop()

    def _reading_changed(self, _what: str) -> None:
        self.redraw()
        self._selection_changed()

    def redraw(self) -> None:
        model = self._model
        for name, layer in self.layers.items():
            view = self.window.hanging.views[name]
            marks = None
            if model is not None and view.image is not None:
                found = model.reading.landmarks.get(image_key(view.image, view.frame))
                marks = found.landmarks if found is not None else None
            layer.show(marks)

    def _nipple_dropped(self, name: str, point: Point) -> None:
        model = self._model
        view = self.window.hanging.views[name]
        if model is None or view.image is None:
            return
        key = image_key(view.image, view.frame)
        before = model.reading.landmarks.get(key)
        if before is None:
            return
        after = ImageLandmarks(before.landmarks.with_nipple(point), before.orientation)
        self.window.push(SetLandmarks(key, before, after))

    def find_again_active(self) -> None:
        """Edit > Find the nipple again: the found landmarks replace the reader's (one undo step)."""
        view = self.window.hanging.active
        model = self._model
        if view.image is None or model is None:
            return
        key = image_key(view.image, view.frame)
        try:
            found = image_landmarks(view.image, view.frame)
        except LandmarkError as exc:
            self.window.notify(f"nipple not found: {exc}")
            return
        self.window.push(SetLandmarks(key, model.reading.landmarks.get(key), found, "find nipple again"))

    # -- selection, band, links -----------------------------------------------------------------
    def _name_of_key(self, key: ImageKey | None) -> str | None:
        for name, view in self.window.hanging.views.items():
            if view.image is not None and image_key(view.image, view.frame) == key:
                return name
        return None

    def selected_ref(self) -> FindingRef | None:
        ctl = self.window.controller
        if ctl.key is None:
            return None
        ids = sorted(ctl.cluster_ids) or sorted(ctl.calc_ids)
        return FindingRef(ctl.key, ids[0]) if len(ids) == 1 else None

    def _selection_changed(self) -> None:
        for layer in self.layers.values():
            layer.hide_band()
        model = self._model
        ref = self.selected_ref()
        if model is None or ref is None:
            return
        name = self._name_of_key(ref.image)
        if name is None:
            return
        self.last_selected[name] = ref
        where = locate_item(model, ref)
        if where is None:
            return
        message = [
            f"{name}: {where.nipple_distance_mm / 10:.1f} cm from the nipple"
            if where.nipple_distance_mm is not None
            else f"{name}: {where.nipple_distance_px:.0f} px from the nipple",
            f"{where.depth.value} depth ({where.spacing.short_label})",
        ]
        link = model.reading.link_of(ref)
        position = link_position(model, link) if link is not None else None
        if position is not None:
            message.append(f"linked: {position.description}")
        other = OTHER_VIEW.get(name)
        other_view = self.window.hanging.views.get(other) if other else None
        other_record = (
            self.window.model.images.get(image_key(other_view.image, other_view.frame))
            if other_view is not None and other_view.image is not None
            else None
        )
        if other and other_record is not None and where.nipple_distance_mm is not None:
            inner, outer = nipple_band(where.nipple_distance_mm)
            spacing = other_record.spacing
            self.layers[other].show_band(spacing, inner, outer)
            if not position:
                message.append(f"look on {other} {inner / 10:.1f}-{outer / 10:.1f} cm from the nipple")
        self.window.notify("; ".join(message))

    def link_last(self) -> None:
        """Ctrl+L: link the findings last selected on CC and MLO of the active view's breast."""
        active = self.window.hanging.active
        name = next((n for n, v in self.window.hanging.views.items() if v is active), "LCC")
        side = name[0]
        cc, mlo = self.last_selected.get(f"{side}CC"), self.last_selected.get(f"{side}MLO")
        if cc is None or mlo is None:
            missing = " and ".join(v for v, r in ((f"{side}CC", cc), (f"{side}MLO", mlo)) if r is None)
            self.window.notify(
                f"To link, select the finding on {missing} first (a mark or a confirmed cluster)"
            )
            return
        suggested = [r for r in (cc, mlo) if self._is_suggestion(r)]
        if suggested:
            self.window.notify("Confirm the suggested cluster first (Ctrl+Return), then link it")
            return
        link = FindingLink(new_id(), side, cc, mlo, self.window.mark_reader, utc_now())
        self.window.push(LinkFindings(link))
        position = link_position(self.window.model, link)
        self.window.notify(
            f"Linked: {position.description}" if position else "Linked (no nipple on one view: no clock face)"
        )

    def _is_suggestion(self, ref: FindingRef) -> bool:
        image = self.window.model.images.get(ref.image)
        return image is None or (
            ref.item_id not in image.clusters and ref.item_id not in image.calcifications
        )

    def unlink_selected(self) -> None:
        ref = self.selected_ref()
        link = self.window.model.reading.link_of(ref) if ref is not None else None
        if link is None:
            self.window.notify("The selected finding is not linked")
            return
        self.window.push(UnlinkFindings(link))

    def view_for(self, name: str) -> ImageView:
        return self.window.hanging.views[name]

    def shutdown(self) -> None:
        self._poll.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
