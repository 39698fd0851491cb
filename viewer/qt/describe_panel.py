"""The describe panel: descriptors and metrics of the selected marks or cluster.

Morphology applies to the selected calcifications; distribution, assessment,
recommendation and note to the selected cluster. Choices come from the lexicon
(BI-RADS by default). Every change is emitted as a request; the window turns it into an
undoable command, so this panel never edits the model itself.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from viewer.core.annotations import Calcification, Cluster
from viewer.core.cluster_metrics import ClusterMetrics
from viewer.core.lexicon import LabelSet, Lexicon


def _fill(combo: QComboBox, label_set: LabelSet) -> None:
    combo.clear()
    combo.addItem("(none)", None)
    for label in label_set:
        group = f"  [{label.group}]" if label.group else ""
        combo.addItem(f"{label.text} ({label.key}){group}", label.id)


def _select(combo: QComboBox, value: str | None) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)


class DescribePanel(QWidget):
    """Shows and edits the descriptors of the current selection."""

    morphology_chosen = Signal(object)  # label id or None
    cluster_field_chosen = Signal(str, object)  # field name, value

    def __init__(self, lexicon: Lexicon, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lexicon = lexicon
        self._updating = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        self.calc_box = QGroupBox("Calcification")
        form = QFormLayout(self.calc_box)
        self.calc_info = QLabel()
        self.calc_info.setWordWrap(True)
        self.morphology = QComboBox()
        self.morphology.setObjectName("morphology_combo")
        form.addRow(self.calc_info)
        form.addRow("Morphology (Shift+M)", self.morphology)
        layout.addWidget(self.calc_box)

        self.cluster_box = QGroupBox("Cluster")
        cform = QFormLayout(self.cluster_box)
        self.cluster_info = QLabel()
        self.cluster_info.setWordWrap(True)
        self.distribution = QComboBox()
        self.assessment = QComboBox()
        self.recommendation = QComboBox()
        self.note = QLineEdit()
        self.note.setPlaceholderText("free note (Enter to keep)")
        cform.addRow(self.cluster_info)
        cform.addRow("Distribution (Shift+D)", self.distribution)
        cform.addRow("Assessment (Shift+A)", self.assessment)
        cform.addRow("Recommendation (Shift+R)", self.recommendation)
        cform.addRow("Note (Shift+N)", self.note)
        layout.addWidget(self.cluster_box)
        layout.addStretch(1)

        self.set_lexicon(lexicon)
        self.morphology.activated.connect(lambda _i: self._emit_morphology())
        for name, combo in (
            ("distribution", self.distribution),
            ("assessment", self.assessment),
            ("recommendation", self.recommendation),
        ):
            combo.activated.connect(lambda _i, n=name, c=combo: self._emit_cluster(n, c.currentData()))
        self.note.editingFinished.connect(lambda: self._emit_cluster("note", self.note.text()))
        self.show_selection([], None, None)

    def set_lexicon(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._updating = True
        _fill(self.morphology, lexicon.morphology)
        _fill(self.distribution, lexicon.distribution)
        _fill(self.assessment, lexicon.assessment)
        _fill(self.recommendation, lexicon.recommendation)
        self._updating = False

    def _emit_morphology(self) -> None:
        if not self._updating:
            self.morphology_chosen.emit(self.morphology.currentData())

    def _emit_cluster(self, name: str, value: object) -> None:
        if not self._updating:
            self.cluster_field_chosen.emit(name, value)

    def show_selection(
        self,
        calcs: list[Calcification],
        cluster: Cluster | None,
        metrics: ClusterMetrics | None,
        latest: bool = False,
    ) -> None:
        """Fill the panel for the selected marks and cluster (either may be empty); ``latest``:
        nothing is selected and ``calcs`` is the mark added last, which quick entry acts on."""
        self._updating = True
        self.calc_box.setEnabled(bool(calcs))
        if len(calcs) == 1:
            head = "<i>the mark added last</i><br>" if latest else ""
            self.calc_info.setText(head + _calc_text(calcs[0]))
        elif calcs:
            self.calc_info.setText(f"{len(calcs)} marks selected")
        else:
            self.calc_info.setText("Select a mark (click it, or in the marks list)")
        morph = {c.morphology for c in calcs}
        _select(self.morphology, morph.pop() if len(morph) == 1 else None)

        self.cluster_box.setEnabled(cluster is not None)
        if cluster is None:
            self.cluster_info.setText("Select a cluster in the marks list")
            for combo in (self.distribution, self.assessment, self.recommendation):
                _select(combo, None)
            self.note.setText("")
        else:
            state = {
                "confirmed": "confirmed by the reader",
                "suggested": "suggested by the program (any edit confirms it)",
            }.get(cluster.state.value, cluster.state.value)
            self.cluster_info.setText(_cluster_text(cluster, metrics, state))
            _select(self.distribution, cluster.distribution)
            _select(self.assessment, cluster.assessment)
            _select(self.recommendation, cluster.recommendation)
            self.note.setText(cluster.note)
        self._updating = False


def _calc_text(calc: Calcification) -> str:
    if calc.sizes is None:
        return f"point mark at ({calc.center[0]:.0f}, {calc.center[1]:.0f}): size not measured"
    s = calc.sizes
    sp = s.spacing
    lines = [
        f"long axis {sp.format_length(s.long_axis_mm, s.long_axis_px)}, "
        f"short axis {sp.format_length(s.short_axis_mm, s.short_axis_px)}",
        f"area {s.area_mm2:.3f} mm²" if s.area_mm2 is not None else f"area {s.area_px:.1f} px²",
        f"spacing: {sp.label}",
    ]
    if calc.intensity is not None:
        i = calc.intensity
        lines.append(f"peak {i.peak:.0f}, mean {i.mean:.0f}, contrast {i.contrast:.0f}")
    return "<br>".join(lines)


def _cluster_text(cluster: Cluster, metrics: ClusterMetrics | None, state: str) -> str:
    lines = [f"{len(cluster.member_ids)} calcifications, {state}"]
    if metrics is not None:
        data = metrics.to_dict()
        span = data.get("span_mm")
        area = data.get("area_mm2")
        if span is not None:
            lines.append(
                f"span {span:.1f} mm, area {area:.1f} mm²" if area is not None else f"span {span:.1f} mm"
            )
        else:
            lines.append(f"span {data.get('span_px', 0):.0f} px (uncalibrated)")
        stats = data.get("long_axis_mm") or data.get("member_long_axis_mm")
        if isinstance(stats, dict) and stats:
            lines.append(
                "member long axis: smallest {smallest:.2f}, median {median:.2f}, "
                "largest {largest:.2f} mm".format(**stats)
            )
    return "<br>".join(lines)
