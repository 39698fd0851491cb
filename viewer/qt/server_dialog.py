"""File > Open from server: search a DICOMweb archive (QIDO-RS), page through its studies, pick one.

The search runs on a worker thread; the dialog stays responsive and says what went wrong
(the server cannot be reached, refused the credentials) in its status line. The servers
used before are offered in the address box (most recent first). On Orthanc, each study's
status (per reader, kept on the server) is shown beside it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer.sources.dicomweb import DicomwebServer, ServerError, StudySummary, parse_url
from viewer.sources.orthanc_rest import OrthancRest
from viewer.sources.server_status import overall, read_statuses

PAGE_SIZE = 50
COLUMNS = ("Date", "Patient ID", "Patient", "Accession", "Description", "Images", "Status")


class _Signals(QObject):
    done = Signal(object, object, str)  # studies, statuses by uid, error ("" on success)


class _Search(QRunnable):
    def __init__(self, base: str, filters: dict[str, str], offset: int, signals: _Signals) -> None:
        super().__init__()
        self.base, self.filters, self.offset, self.signals = base, filters, offset, signals

    def run(self) -> None:
        try:
            studies = DicomwebServer(self.base).search_studies(
                patient=self.filters["patient"],
                date=self.filters["date"],
                accession=self.filters["accession"],
                offset=self.offset,
                limit=PAGE_SIZE,
            )
        except ServerError as exc:
            self.signals.done.emit([], {}, str(exc))
            return
        statuses: dict[str, str] = {}
        rest = OrthancRest(self.base)
        try:
            if rest.probe() is not None:
                for study in studies:
                    found = read_statuses(rest, study.study_instance_uid)
                    who = ", ".join(f"{s.reader}: {s.status.label}" for s in found.values())
                    statuses[study.study_instance_uid] = overall(found).label + (f" ({who})" if who else "")
        except ServerError:
            pass  # statuses are a courtesy; the list stands without them
        self.signals.done.emit(studies, statuses, "")


class OpenFromServerDialog(QDialog):
    """Choose a study on a DICOMweb server; :attr:`chosen` is ``(base URL, StudySummary)``."""

    def __init__(self, recent_servers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open from server")
        self.resize(980, 560)
        self.chosen: tuple[str, StudySummary] | None = None
        self._studies: list[StudySummary] = []
        self._offset = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.done.connect(self._show)

        self.server = QComboBox()
        self.server.setEditable(True)
        self.server.addItems(recent_servers)
        self.server.setCurrentText(recent_servers[0] if recent_servers else "http://127.0.0.1:8042/dicom-web")
        self.server.setMinimumWidth(420)
        self.patient = QLineEdit(placeholderText="Patient ID, or a name with * (Smith*)")
        self.date = QLineEdit(placeholderText="YYYYMMDD or YYYYMMDD-YYYYMMDD")
        self.accession = QLineEdit(placeholderText="accession number")
        self.search_button = QPushButton("&Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.server, 1)
        row.addWidget(self.search_button)
        form.addRow("Server (DICOMweb)", row)
        filters = QHBoxLayout()
        for label, edit in (("Patient", self.patient), ("Date", self.date), ("Accession", self.accession)):
            filters.addWidget(QLabel(label))
            filters.addWidget(edit, 1)
            edit.returnPressed.connect(self.search)
        form.addRow(filters)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.accept())
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.status = QLabel("Enter the server's DICOMweb address and press Search.")
        self.status.setWordWrap(True)
        self.previous_button = QPushButton("< Previous")
        self.next_button = QPushButton("Next >")
        self.previous_button.clicked.connect(lambda: self._page(-1))
        self.next_button.clicked.connect(lambda: self._page(+1))
        paging = QHBoxLayout()
        paging.addWidget(self.status, 1)
        paging.addWidget(self.previous_button)
        paging.addWidget(self.next_button)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addLayout(paging)
        layout.addWidget(self.buttons)
        self._update_buttons()

    @property
    def base(self) -> str:
        return self.server.currentText().strip().rstrip("/")

    def search(self) -> None:
        """Search from the first page with the current filters."""
        self._offset = 0
        self._start()

    def _page(self, step: int) -> None:
        self._offset = max(0, self._offset + step * PAGE_SIZE)
        self._start()

    def _start(self) -> None:
        try:
            base = parse_url(self.base).base
        except ServerError as exc:
            self.status.setText(str(exc))
            return
        filters = {
            "patient": self.patient.text().strip(),
            "date": self.date.text().strip(),
            "accession": self.accession.text().strip(),
        }
        self.status.setText(f"Searching {base} ...")
        self.search_button.setEnabled(False)
        self._pool.start(_Search(base, filters, self._offset, self._signals))

    def _show(self, studies: list[StudySummary], statuses: dict[str, str], error: str) -> None:
        self.search_button.setEnabled(True)
        if error:
            self.status.setText(error)
            return
        self._studies = list(studies)
        self.table.setRowCount(len(studies))
        for row, s in enumerate(studies):
            date = (
                f"{s.study_date[:4]}-{s.study_date[4:6]}-{s.study_date[6:]}"
                if len(s.study_date) == 8
                else s.study_date
            )
            values = (
                date,
                s.patient_id,
                s.patient_name.replace("^", " ").strip(),
                s.accession_number,
                s.description,
                str(s.images),
                statuses.get(s.study_instance_uid, ""),
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(s.url)
                if col == 5:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        if studies:
            self.table.selectRow(0)
        first = self._offset + 1 if studies else self._offset
        self.status.setText(
            f"Studies {first}-{self._offset + len(studies)} of the mammography studies on {self.base}"
            if studies
            else f"No mammography study on {self.base} matches."
        )
        self._update_buttons()

    def _selection_changed(self) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = bool(self.table.selectionModel().selectedRows()) if self.table.selectionModel() else False
        self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(has)
        self.previous_button.setEnabled(self._offset > 0)
        self.next_button.setEnabled(len(self._studies) == PAGE_SIZE)

    def accept(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        self.chosen = (parse_url(self.base).base, self._studies[rows[0].row()])
        super().accept()

    def wait(self, msecs: int = 10000) -> bool:
        """Block until a running search is done (tests, closing)."""
        return bool(self._pool.waitForDone(msecs))
