"""Hanging protocols in the window: View > Hanging protocol, the reading sequence, the prior exam.

The protocols come from :mod:`viewer.store.protocol_file` (the shipped file or the reader's
``hanging_protocols.json`` in the user data folder); :func:`viewer.core.hanging_protocol.arrange`
puts the current exam's cells, the prior's and extra views into a protocol's grid.

When a study opens, its patient's most recent earlier exam is looked for beside it
(:func:`viewer.sources.priors.find_priors`, in a worker thread: a big share never stalls
the window); protocols that need a prior are offered once one is found. The prior's
pixels are read when a protocol first shows them. In a protocol with ``link_prior``,
zoom and pan of each current view drive the prior's same view and back. The prior's
marks, of every reader whose annotation file is in the prior's folder, are drawn read-only
in violet (View > Hanging protocol > Show the prior's marks).
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QActionGroup, QColor
from PySide6.QtWidgets import QMenu, QMenuBar

from viewer.core.annotations import StudyAnnotations
from viewer.core.hanging_protocol import STANDARD_VIEWS, ProtocolSet, arrange
from viewer.dicom.image import MammoImage
from viewer.dicom.study import Study, open_study
from viewer.qt.image_view import ImageView, image_key
from viewer.qt.marks_layer import MarksLayer
from viewer.qt.view_markers import ViewMarkers
from viewer.sources.pacs_cache import StudyCache
from viewer.sources.priors import PriorExam, combine, find_priors
from viewer.sources.server_priors import priors_on_server
from viewer.sources.worklist import Worklist
from viewer.store import sidecar
from viewer.store.errors import SidecarError
from viewer.store.locations import user_data_dir
from viewer.store.protocol_file import OVERRIDE_NAME, load_preferred_protocols
from viewer.store.sidecar import is_sidecar_name

if TYPE_CHECKING:
    from viewer.qt.main_window import MainWindow

log = logging.getLogger(__name__)
DEFAULT_PROTOCOL = "four_up"
PRIOR_MARKS_COLOR = QColor(170, 120, 255)


class ReadingProtocols:
    """The protocol in force, the reading sequence, the prior and extra views of the open study."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.hanging = window.hanging
        self.protocols: ProtocolSet
        self.protocols, problem = load_preferred_protocols(user_data_dir() / OVERRIDE_NAME)
        if problem:
            window.notify(problem)
        self.current = DEFAULT_PROTOCOL
        self.prior: PriorExam | None = None
        self.prior_study: Study | None = None
        self.priors: list[PriorExam] = []
        """Every earlier exam found, most recent first; :attr:`prior` is the one that hangs."""
        self.prior_menu: QMenu | None = None
        self.prior_actions: list[QAction] = []
        self.extras: list[MammoImage] = []
        self._prior_shown = False
        self._extras_shown = 0
        self._linking = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="priors")
        self._search: Future[list[PriorExam]] | None = None
        self._poll = QTimer(window)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._check_search)
        self.actions: dict[str, QAction] = {}
        self.prior_layers: list[MarksLayer] = []
        self._prior_marks: list[StudyAnnotations] = []
        self.prior_marks_action: QAction | None = None
        for name, view in self.hanging.views.items():
            view.vb.sigRangeChanged.connect(partial(self._current_moved, name))
        for name, prior in self.hanging.prior_views.items():
            prior.user_changed_range.connect(partial(self._prior_moved, name))

    # -- menus -----------------------------------------------------------------------------
    def build_menu(self, menubar: QMenuBar, view_menu: QMenu) -> None:
        """View > Hanging protocol: one item per protocol (Alt+1...), and the reading sequence."""
        menu = view_menu.addMenu("&Hanging protocol")
        group = QActionGroup(self.window)
        for i, protocol in enumerate(self.protocols.protocols):
            key = f"Alt+{i + 1}" if i < 9 else None
            action = self.window.make_action(
                protocol.name, partial(self.apply, protocol.id), key, checkable=True
            )
            group.addAction(action)
            menu.addAction(action)
            self.actions[protocol.id] = action
        menu.addSeparator()
        self.prior_marks_action = self.window.make_action(
            "Show the prior's &marks", self._toggle_prior_marks, checkable=True
        )
        self.prior_marks_action.setChecked(True)
        menu.addAction(self.prior_marks_action)
        self.prior_menu = menu.addMenu("Prior &exam")
        self._fill_prior_menu()
        menu.addSeparator()
        menu.addAction(
            self.window.make_action("&Next in the reading sequence", partial(self.step, True), "Alt+Right")
        )
        menu.addAction(
            self.window.make_action(
                "&Previous in the reading sequence", partial(self.step, False), "Alt+Left"
            )
        )
        self._update_actions()

    def _fill_prior_menu(self) -> None:
        """One checkable item per prior found (the one hanging checked), or a disabled line."""
        menu = self.prior_menu
        if menu is None:
            return
        menu.clear()
        self.prior_actions = []
        if not self.priors:
            none = menu.addAction("(no earlier exam found)")
            none.setEnabled(False)
            return
        group = QActionGroup(menu)
        for i, exam in enumerate(self.priors):
            action = QAction(exam.title, menu, checkable=True)
            action.setChecked(exam is self.prior)
            action.triggered.connect(partial(self.choose_prior, i))
            group.addAction(action)
            menu.addAction(action)
            self.prior_actions.append(action)

    def choose_prior(self, index: int) -> None:
        """Hang the ``index``-th prior found (0: the most recent) instead of the one hanging."""
        if not 0 <= index < len(self.priors):
            return
        exam = self.priors[index]
        study = open_study(exam.files)
        if not study.images:
            self.window.notify(f"prior {exam.title} cannot be shown: none of its files opens")
            return
        self.prior, self.prior_study, self._prior_shown = exam, study, False
        for layer in self.prior_layers:
            layer.detach()
        self.prior_layers, self._prior_marks = [], []
        for action, other in zip(self.prior_actions, self.priors, strict=False):
            action.setChecked(other is exam)
        if self.protocols.get(self.current).needs_prior:
            self.apply(self.current, quiet=True)
        self.window.notify(f"Prior: {exam.title}")

    def usable(self) -> list[str]:
        """Ids of the protocols that can be shown now (a prior, extra views where needed)."""
        out = []
        for p in self.protocols.protocols:
            if p.needs_prior and self.prior_study is None:
                continue
            if p.extra_views and not self.extras:
                continue
            out.append(p.id)
        return out

    def _update_actions(self) -> None:
        usable = set(self.usable())
        for pid, action in self.actions.items():
            action.setEnabled(pid in usable)
            action.setChecked(pid == self.current)

    # -- the study --------------------------------------------------------------------------
    def study_opened(self, study: Study) -> None:
        """A new study: back to the default protocol; look for its prior in the background."""
        hung = {id(v.image) for v in self.hanging.views.values() if v.image is not None}
        self.extras = [img for img in study.images if id(img) not in hung]
        self.prior, self.prior_study, self._prior_shown, self._extras_shown = None, None, False, 0
        self.priors = []
        self._fill_prior_menu()
        for layer in self.prior_layers:
            layer.detach()
        self.prior_layers, self._prior_marks = [], []
        for view in self.hanging.prior_views.values():
            view.set_image(None)
        self.current = DEFAULT_PROTOCOL
        alone = self.hanging.maximised  # a one-image study is shown large: keep it so
        self.apply(DEFAULT_PROTOCOL, quiet=True)
        if alone is not None:
            self.hanging.toggle_maximise(alone)
        first = study.images[0] if study.images else None
        if first is None:
            return
        server = self.window.session.server_store
        self._search = self._pool.submit(
            _search_priors,
            first,
            [study.folder.parent],
            self.window.workflow.worklist.worklist,
            server.base if server is not None else None,
            int(self.window.prefs.server_cache_gb * 1e9),
        )
        self._poll.start()

    def wait_for_prior(self, timeout_s: float = 30.0) -> bool:
        """Block until the prior search is done and applied (for tests and scripts)."""
        if self._search is None:
            return True
        with contextlib.suppress(Exception):  # reported by _check_search
            self._search.result(timeout=timeout_s)
        self._check_search()
        return self._search is None

    def _check_search(self) -> None:
        search = self._search
        if search is None or not search.done():
            return
        self._poll.stop()
        self._search = None
        try:
            priors = search.result()
        except Exception as exc:  # a failed search only means no prior
            log.warning("prior search failed: %s", exc)
            priors = []
        if not priors:
            self._update_actions()
            return
        self.priors = priors
        self.prior = priors[0]
        self.prior_study = open_study(self.prior.files)
        self._fill_prior_menu()
        others = (
            f" ({len(priors) - 1} older: View > Hanging protocol > Prior exam)" if len(priors) > 1 else ""
        )
        self.window.notify(
            f"Prior found: {self.prior.title}{others}. View > Hanging protocol shows it (Alt+Right)."
        )
        self._update_actions()

    def _show_prior_pixels(self) -> None:
        if self._prior_shown or self.prior_study is None:
            return
        self._prior_shown = True
        by_view = self.prior_study.by_view()
        d = self.prior_study.images[0].study_date if self.prior_study.images else ""
        note = f"PRIOR {d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else "PRIOR"
        models = self._prior_models()
        if models:
            note += f" - marks of {', '.join(m.reader or 'unknown' for m in models)}"
        for name, view in self.hanging.prior_views.items():
            view.note = note
            view.set_image(by_view.get(name))
        self._prior_marks = models
        self._toggle_prior_marks()

    def _prior_models(self) -> list[StudyAnnotations]:
        """Every reader's annotations of the prior (files that cannot be read are named, not shown)."""
        assert self.prior_study is not None
        models = []
        for path in sorted(self.prior_study.folder.glob("mammo-annotations.*.json")):
            if not is_sidecar_name(path.name):
                continue
            try:
                models.append(sidecar.load(path))
            except SidecarError as exc:
                self.window.notify(f"prior marks not shown: {exc}")
        return models

    def _toggle_prior_marks(self) -> None:
        """Draw the prior's marks read-only in violet, or take them away."""
        for layer in self.prior_layers:
            layer.detach()
        self.prior_layers = []
        if self.prior_marks_action is not None and not self.prior_marks_action.isChecked():
            return
        for model in self._prior_marks:
            for view in self.hanging.prior_views.values():
                if view.image is None:
                    continue
                key = image_key(view.image, view.frame)
                if key in model.images:
                    layer = MarksLayer(view, model, key, color=PRIOR_MARKS_COLOR)
                    layer.set_show_labels(False)
                    self.prior_layers.append(layer)

    # -- applying ---------------------------------------------------------------------------
    def apply(self, protocol_id: str, quiet: bool = False) -> bool:
        """Hang the protocol ``protocol_id``; False (with a message) when it cannot be shown now."""
        protocol = self.protocols.get(protocol_id)
        if protocol_id not in self.usable():
            if not quiet:
                need = (
                    "prior exam (an earlier study of the patient beside it)"
                    if protocol.needs_prior
                    else "extra views"
                )
                self.window.notify(f"{protocol.name}: this study has no {need}")
            self._update_actions()
            return False
        if protocol.needs_prior:
            self._show_prior_pixels()
        extras: list[tuple[str, str | None, ImageView]] = []
        if protocol.extra_views:
            for i, image in enumerate(self.extras):
                cell = self.hanging.extra_cell(i)
                if cell not in self.window.view_markers:
                    self.window.view_markers[cell] = ViewMarkers(cell)
                if i >= self._extras_shown:
                    cell.cell_label = image.view_label
                    cell.set_image(image)
                extras.append((image.view_label, image.laterality, cell))
            self._extras_shown = max(self._extras_shown, len(self.extras))
        active = next(
            (n for n, v in self.hanging.views.items() if v is self.hanging.active), STANDARD_VIEWS[0]
        )
        _, _, placements = arrange(protocol, self.hanging.views, self.hanging.prior_views, extras, active)
        self.hanging.lay_out([(p.row, p.column, p.item, p.align) for p in placements if p.item is not None])
        self.current = protocol_id
        self._update_actions()
        if protocol.link_prior:
            for name in self.hanging.views:
                self._current_moved(name)
        if not quiet:
            self.window.notify(f"Hanging: {protocol.name}")
        return True

    def step(self, forward: bool) -> None:
        """Alt+Right / Alt+Left: the next or previous protocol of the reading sequence."""
        target = self.protocols.step(self.current, forward, self.usable())
        self.apply(target)

    # -- linked zoom/pan between current and prior ----------------------------------------------
    def _linked(self) -> bool:
        return self.protocols.get(self.current).link_prior and self.prior_study is not None

    def _current_moved(self, name: str, *_args: object) -> None:
        prior = self.hanging.prior_views.get(name)
        current = self.hanging.views[name]
        if (
            self._linking
            or not self._linked()
            or prior is None
            or prior.image is None
            or current.image is None
        ):
            return
        self._follow(current, prior)

    def _prior_moved(self, name: str, *_args: object) -> None:
        prior = self.hanging.prior_views[name]
        current = self.hanging.views[name]
        if self._linking or not self._linked() or prior.image is None or current.image is None:
            return
        self._follow(prior, current)

    def _follow(self, source: ImageView, target: ImageView) -> None:
        """Give ``target`` the same field of view, scaled by the two images' sizes."""
        assert source.image is not None and target.image is not None
        sx = target.image.columns / max(source.image.columns, 1)
        sy = target.image.rows / max(source.image.rows, 1)
        cx, cy, zoom = source.view_state()
        self._linking = True
        try:
            target.apply_view_state((cx * sx, cy * sy, zoom / sx))
        finally:
            self._linking = False

    def shutdown(self) -> None:
        self._poll.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _search_priors(
    image: MammoImage, roots: list[Path], worklist: Worklist | None, server: str | None, cache_bytes: int
) -> list[PriorExam]:
    """The image's patient's earlier exams beside its folder, in the worklist if one is open, and
    on the server the study came from (retrieved into its cache)."""
    args = (image.patient_id, image.study_date, image.study_instance_uid)
    beside = find_priors(*args, roots)
    indexed = worklist.priors(*args) if worklist is not None else []
    remote = priors_on_server(server, *args, StudyCache(limit_bytes=cache_bytes)) if server else []
    return combine(beside, indexed, remote)
