"""Tests of viewer.headless.spacing_fields: the spacing members of info, measure and detect JSON."""

from __future__ import annotations

import json

from viewer.core.geometry import Spacing, SpacingSource
from viewer.headless.spacing_fields import spacing_fields


class TestSpacingFields:
    def test_calibrated(self) -> None:
        """A calibrated spacing gives its two mm values, its source, label and skipped rules."""
        label = "mm at the breast plane (ERMF 1.08)"
        spacing = Spacing(
            0.0787, 0.0787, SpacingSource.IMAGER_PIXEL_SPACING_ERMF, label, note="Pixel Spacing ignored"
        )
        assert json.loads(json.dumps(spacing_fields(spacing))) == {
            "spacing_mm": [0.0787, 0.0787],
            "spacing_source": "imager_pixel_spacing_ermf",
            "spacing_label": label,
            "spacing_note": "Pixel Spacing ignored",
        }

    def test_uncalibrated(self) -> None:
        """Without a calibration the mm values and the note are null: sizes are in pixels."""
        assert spacing_fields(Spacing.uncalibrated()) == {
            "spacing_mm": None,
            "spacing_source": "none",
            "spacing_label": "px (uncalibrated)",
            "spacing_note": None,
        }
