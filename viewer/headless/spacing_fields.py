"""The pixel spacing as the JSON of ``info``, ``measure`` and ``detect`` says it: the same four fields.

``spacing_mm`` is ``[row_mm, col_mm]`` (null when uncalibrated: sizes are then in pixels),
``spacing_source`` the rule that gave it (:class:`viewer.core.geometry.SpacingSource`),
``spacing_label`` what the sizes mean ("mm at the breast plane (ERMF 1.08)") and
``spacing_note`` why a spacing rule was skipped (null when none was).
"""

from __future__ import annotations

from typing import Any

from viewer.core.geometry import Spacing


def spacing_fields(spacing: Spacing) -> dict[str, Any]:
    """The four spacing members of a headless command's JSON document."""
    return {
        "spacing_mm": [spacing.row_mm, spacing.col_mm] if spacing.calibrated else None,
        "spacing_source": spacing.source.value,
        "spacing_label": spacing.label,
        "spacing_note": spacing.note or None,
    }
