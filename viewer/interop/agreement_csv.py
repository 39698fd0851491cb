"""The agreement of two readers as CSV text: one row per image, then the study's row.

The columns are :data:`viewer.core.agreement.CSV_COLUMNS`, the keys of
:meth:`~viewer.core.agreement.StudyAgreement.rows`; ratios are written with 4 decimals and
left empty where they are undefined (no marks on either side), counts as integers.
``mammo-viewer agreement --csv`` and the agreement dialog's "Save CSV..." write this text.
"""

from __future__ import annotations

import csv
import io

from viewer.core.agreement import CSV_COLUMNS, Cell, StudyAgreement


def agreement_csv(result: StudyAgreement) -> str:
    """The rows of ``result`` as CSV text, header first, lines ending in ``\\n``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in result.rows():
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return out.getvalue()


def _csv_cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return value
