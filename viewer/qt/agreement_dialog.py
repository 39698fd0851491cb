"""The agreement dialog: how far two readers agree on the open study, per image and overall.

Reader A is the reference (precision is the share of B's marks that A also made). The
table follows :data:`viewer.core.agreement.CSV_COLUMNS`; "Save CSV..." writes exactly what
``mammo-viewer agreement --csv`` writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer.core.agreement import AgreementOptions, Score, StudyAgreement, compare
from viewer.core.annotations import StudyAnnotations
from viewer.interop.agreement_csv import agreement_csv
from viewer.store import sidecar
from viewer.store.errors import SidecarError
from viewer.store.session import fallback_path

COLUMNS = (
    "Image",
    "A",
    "B",
    "Matched",
    "Precision",
    "Recall",
    "F1",
    "Mean dist.",
    "Clusters A",
    "Clusters B",
    "Matched",
    "Cluster F1",
)


def load_study_readers(
    folder: Path,
    study_uid: str = "",
    current: StudyAnnotations | None = None,
) -> tuple[dict[str, StudyAnnotations], list[str]]:
    """Every reader's annotations of the study in ``folder``, and what could not be read.

    ``current`` (the open, perhaps unsaved, model) stands in for its reader's file. Files in
    the user-data fallback (read-only study folders) are found through ``study_uid``.
    """
    models: dict[str, StudyAnnotations] = {}
    problems: list[str] = []
    paths = [
        p for p in sorted(Path(folder).glob(f"{sidecar.SIDECAR_PREFIX}*")) if sidecar.is_sidecar_name(p.name)
    ]
    uid = study_uid or (current.study_instance_uid if current is not None else "")
    if uid:
        fallback_folder = fallback_path(folder, "x", uid).parent
        if fallback_folder.is_dir():
            paths += [p for p in sorted(fallback_folder.iterdir()) if sidecar.is_sidecar_name(p.name)]
    slugs: set[str] = set()
    for path in paths:
        try:
            model = sidecar.load(path)
        except SidecarError as exc:
            problems.append(str(exc))
            continue
        slug = sidecar.reader_file_key(model.reader)
        if slug not in slugs:  # the study folder's file wins over a fallback copy
            slugs.add(slug)
            models[model.reader or slug] = model
    if current is not None:
        same = sidecar.reader_file_key(current.reader)
        for name in [n for n in models if sidecar.reader_file_key(n) == same]:
            del models[name]
        models[current.reader] = current
    return dict(sorted(models.items(), key=lambda kv: kv[0].lower())), problems


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


class AgreementDialog(QDialog):
    """Pick two readers and the matching distance; see the table; save it as CSV."""

    def __init__(
        self,
        models: Mapping[str, StudyAnnotations],
        reader_a: str | None = None,
        reader_b: str | None = None,
        notices: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reader agreement")
        self.models = dict(models)
        self.agreement: StudyAgreement | None = None
        names = list(self.models)
        self._build(names, notices)
        if reader_a in names:
            self.combo_a.setCurrentText(reader_a)
        if reader_b in names and reader_b != self.combo_a.currentText():
            self.combo_b.setCurrentText(reader_b)
        elif len(names) > 1 and self.combo_b.currentText() == self.combo_a.currentText():
            self.combo_b.setCurrentText(next(n for n in names if n != self.combo_a.currentText()))
        for signal in (
            self.combo_a.currentIndexChanged,
            self.combo_b.currentIndexChanged,
            self.distance_spin.valueChanged,
            self.overlap_spin.valueChanged,
        ):
            signal.connect(self.recompute)
        self.recompute()

    @classmethod
    def for_study(
        cls,
        folder: Path,
        study_uid: str = "",
        current: StudyAnnotations | None = None,
        parent: QWidget | None = None,
    ) -> AgreementDialog:
        """The dialog for the study in ``folder``; the current reader is reader A."""
        models, problems = load_study_readers(folder, study_uid, current)
        return cls(models, current.reader if current is not None else None, None, problems, parent)

    def _build(self, names: list[str], notices: Sequence[str]) -> None:
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.combo_a, self.combo_b = QComboBox(), QComboBox()
        self.combo_a.setObjectName("agreement_reader_a")
        self.combo_b.setObjectName("agreement_reader_b")
        for combo in (self.combo_a, self.combo_b):
            combo.addItems(names)
        swap = QPushButton("Swap")
        swap.clicked.connect(self.swap)
        self.distance_spin = QDoubleSpinBox()
        self.distance_spin.setRange(0.05, 20.0)
        self.distance_spin.setSingleStep(0.1)
        self.distance_spin.setDecimals(2)
        self.distance_spin.setSuffix(" mm")
        self.distance_spin.setValue(AgreementOptions().distance_mm)
        self.overlap_spin = QDoubleSpinBox()
        self.overlap_spin.setRange(0.01, 1.0)
        self.overlap_spin.setSingleStep(0.05)
        self.overlap_spin.setValue(AgreementOptions().min_overlap)
        for widget in (
            QLabel("Reader A (reference)"),
            self.combo_a,
            swap,
            QLabel("Reader B"),
            self.combo_b,
            QLabel("Match within"),
            self.distance_spin,
            QLabel("Cluster IoU \u2265"),
            self.overlap_spin,
        ):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("agreement_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("agreement_summary")
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.notice_label = QLabel("\n".join(notices))
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet("color: #b35c00")
        self.notice_label.setVisible(bool(notices))
        layout.addWidget(self.notice_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton("Save CSV...", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self._ask_and_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(1000, 360)

    def swap(self) -> None:
        """Exchange readers A and B."""
        a, b = self.combo_a.currentText(), self.combo_b.currentText()
        self.combo_a.blockSignals(True)
        self.combo_a.setCurrentText(b)
        self.combo_a.blockSignals(False)
        self.combo_b.setCurrentText(a)
        self.recompute()

    def options(self) -> AgreementOptions:
        return AgreementOptions(distance_mm=self.distance_spin.value(), min_overlap=self.overlap_spin.value())

    def recompute(self) -> None:
        """Compare the chosen readers again and refill the table."""
        a, b = self.combo_a.currentText(), self.combo_b.currentText()
        if len(self.models) < 2 or a == b or a not in self.models or b not in self.models:
            self.agreement = None
            self.table.setRowCount(0)
            found = ", ".join(self.models) or "none"
            self.summary_label.setText(
                "Agreement needs the annotations of two different readers "
                f"(readers with a file for this study: {found})."
            )
            self.save_button.setEnabled(False)
            return
        self.agreement = compare(self.models[a], self.models[b], self.options())
        self._fill(self.agreement)
        self.save_button.setEnabled(True)

    def _fill(self, result: StudyAgreement) -> None:
        rows: list[tuple[str, str, Score, float | None, Score]] = [
            (
                f"{i.laterality or '?'}{i.view or '?'}  \u2026{i.key[0][-8:]}"
                + (f" frame {i.key[1] + 1}" if i.key[1] else ""),
                i.unit,
                i.calcifications,
                i.mean_distance,
                i.clusters,
            )
            for i in result.images
        ]
        rows.append(("Study", result.unit, result.calcifications, result.mean_distance, result.clusters))
        self.table.setRowCount(len(rows))
        bold = QFont()
        bold.setBold(True)
        for r, (label, unit, calcs, dist, clusters) in enumerate(rows):
            values = [
                label,
                str(calcs.a),
                str(calcs.b),
                str(calcs.matched),
                _ratio(calcs.precision),
                _ratio(calcs.recall),
                _ratio(calcs.f1),
                "" if dist is None else f"{dist:.2f} {unit}",
                str(clusters.a),
                str(clusters.b),
                str(clusters.matched),
                _ratio(clusters.f1),
            ]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r == len(rows) - 1:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        s = result.calcifications
        f1 = _ratio(s.f1) or "n/a"
        px = [i for i in result.images if i.unit == "px"]
        note = (
            f" {len(px)} image(s) without pixel spacing were matched within "
            f"{result.options.distance_px:g} px."
            if px
            else ""
        )
        self.summary_label.setText(
            f"{result.reader_a} (A) vs {result.reader_b} (B): {s.matched} of {s.a} and {s.b} "
            f"calcifications matched within {result.options.distance_mm:g} mm, F1 {f1}; "
            f"clusters {result.clusters.matched} of {result.clusters.a} and "
            f"{result.clusters.b} matched.{note}"
        )

    def save_csv(self, path: Path) -> None:
        """Write the current table as CSV; raise OSError naming the file on failure."""
        if self.agreement is None:
            raise ValueError("no comparison to save: choose two different readers")
        Path(path).write_text(agreement_csv(self.agreement), encoding="utf-8", newline="")

    def _ask_and_save(self) -> None:
        if self.agreement is None:
            return
        name = (
            f"agreement-{sidecar.reader_slug(self.agreement.reader_a)}-"
            f"{sidecar.reader_slug(self.agreement.reader_b)}.csv"
        )
        path, _ = QFileDialog.getSaveFileName(self, "Save agreement as CSV", name, "CSV files (*.csv)")
        if not path:
            return
        try:
            self.save_csv(Path(path))
        except OSError as exc:
            self.notice_label.setText(f"Cannot save {path}: {exc.strerror or exc}")
        else:
            self.notice_label.setText(f"Saved {path}")
        self.notice_label.setVisible(True)
