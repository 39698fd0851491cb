"""Tests of viewer.qt.view_overlays: the text over the picture, legible and saying what went wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.fixtures.dicom_files import make_dataset
from tests.fixtures.qt_driving import image_of
from viewer.core.phantom import make_mammogram
from viewer.core.windowing import VoiPreset
from viewer.dicom.image import MammoImage
from viewer.qt.image_view import ImageView


def dataset(
    *,
    offset: int = 0,
    scale: int = 1,
    bits_stored: int = 12,
    photometric: str = "MONOCHROME2",
    **attributes: Any,
) -> Dataset:
    """A small synthetic mammogram dataset (phantom pixels scaled and offset)."""
    phantom = make_mammogram(240, 200, (0.1, 0.1), "L", "CC", seed=4)
    pixels = (phantom.pixels.astype(np.int64) * scale + offset).astype(np.uint16)
    return make_dataset(
        pixels,
        photometric=photometric,
        bits_stored=bits_stored,
        ImageLaterality="L",
        ViewPosition="CC",
        **attributes,
    )


def bright_image() -> Dataset:
    """A MONOCHROME1 image (displayed inverted)."""
    return dataset(photometric="MONOCHROME1")


def _grey(widget: Any) -> np.ndarray:
    """The widget as painted, as a grey array (rows, cols)."""
    image = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * height)
    return buffer.reshape(height, image.bytesPerLine())[:, :width].copy()


def _view(qtbot: Any, image: MammoImage) -> ImageView:
    view = ImageView("LCC")
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    view.set_image(image)
    qtbot.waitExposed(view)
    return view


class TestLegibility:
    """Overlay text on a dark backdrop: readable over white tissue."""

    def test_text_on_a_bright_inverted_image(self, qtbot: Any) -> None:
        """On a MONOCHROME1 image shown almost white, each text block sits on a dark backdrop."""
        image = MammoImage.from_dataset(bright_image())
        view = _view(qtbot, image)
        # a window above every value: all at its minimum, shown white once inverted
        view.set_voi(VoiPreset.window(float(image.pixels().max()) + 50.0, 10.0))
        assert view.invert
        grey = _grey(view)
        assert np.median(grey) > 200  # the picture is bright
        label: QLabel
        for label in (view.overlays.top, view.overlays.bottom):
            assert label.isVisible() and label.text()
            geometry = label.geometry()
            block = grey[geometry.top() : geometry.bottom(), geometry.left() : geometry.right()]
            assert np.median(block) < 90, "text backdrop is not dark"
            assert np.percentile(block, 99) > 180, "no bright text on the backdrop"


class TestNotes:
    """What of the header could not be used is said on the image."""

    def test_refused_magnification(self, qtbot: Any) -> None:
        """ERMF 40: the note names the attribute and value beside the spacing."""
        ds = dataset(ImagerPixelSpacing=[0.1, 0.1], EstimatedRadiographicMagnificationFactor=40)
        view = _view(qtbot, MammoImage.from_dataset(ds))
        notes = view.overlays.notes
        assert notes.isVisible()
        assert "Estimated Radiographic Magnification Factor (0018,1114) 40 refused" in notes.text()
        assert "mm at the detector (overestimates)" in view.overlays.top.text()

    def test_window_that_shows_nothing(self, qtbot: Any) -> None:
        """The file's window beyond the data: the automatic window, and the note says so."""
        ds = dataset(offset=32744, scale=8, bits_stored=16, WindowCenter=2725, WindowWidth=5310)
        view = _view(qtbot, MammoImage.from_dataset(ds))
        assert view.voi is not None and view.voi.name == "Auto (tissue)"
        assert "the file's window shows no tissue: automatic window used" in view.overlays.notes.text()
        view.set_voi(image_of(view).voi_presets[0])
        assert "shows no tissue" not in view.overlays.notes.text()

    def test_clean_file_has_no_notes(self, qtbot: Any) -> None:
        """Nothing to say: no notes block."""
        view = _view(qtbot, MammoImage.from_dataset(dataset(ImagerPixelSpacing=[0.1, 0.1])))
        assert not view.overlays.notes.isVisible()


class TestSpecialCharacters:
    def test_a_single_note_with_markup_characters_reads_as_written(self, qtbot: Any) -> None:
        """A reason holding '<', '>' and '&' shows those characters, alone or with other notes
        (Qt guessed a single escaped note to be plain text and showed '&lt;')."""
        from PySide6.QtGui import QTextDocument
        from PySide6.QtWidgets import QWidget

        from viewer.qt.view_overlays import ViewOverlays

        parent = QWidget()
        qtbot.addWidget(parent)
        overlays = ViewOverlays(parent)
        reason = "Pixel Spacing (0028,0030) '<0.01' refused: spacing <= 0 & > 5 mm are not plausible"
        overlays.show_failed("LCC", reason, "a<b>&c.dcm")
        for label, want in (
            (overlays.notes, reason),
            (overlays.top, "LCC: could not be decoded\na<b>&c.dcm"),
        ):
            doc = QTextDocument()
            doc.setHtml(label.text())
            assert doc.toPlainText() == want
            assert label.textFormat() == Qt.TextFormat.RichText


class TestFailedHeadline:
    def test_truncated_data_is_named_in_the_headline(self, qtbot: Any) -> None:
        """'RMLO: could not be decoded (truncated JPEG 2000 data)'; the whole reason below it."""
        from PySide6.QtGui import QTextDocument
        from PySide6.QtWidgets import QWidget

        from viewer.qt.view_overlays import ViewOverlays

        parent = QWidget()
        qtbot.addWidget(parent)
        overlays = ViewOverlays(parent)
        reason = "cannot decode the image data (JPEG 2000): truncated JPEG 2000 data: the data stops early"
        overlays.show_failed("RMLO", reason, "r.dcm")
        doc = QTextDocument()
        doc.setHtml(overlays.top.text())
        assert doc.toPlainText() == "RMLO: could not be decoded (truncated JPEG 2000 data)\nr.dcm"
        assert overlays.notes.text() == reason

    def test_failed_cell_in_the_window(self, qtbot: Any) -> None:
        """A view that fails after 'decoding...' reads the headline, wrapped inside a 375-pixel
        cell, and keeps no scale bar, letters or patient line of the image it never showed
        (the bar of the loading state stayed: '100 px (uncalibrated)' under the message)."""
        from viewer.qt.view_markers import ViewMarkers

        image = MammoImage.from_dataset(dataset(PatientName="P", PatientOrientation=["A", "R"]))
        view = _view(qtbot, image)
        markers = ViewMarkers(view)
        view.resize(375, 430)
        view.set_loading(image)
        markers.refresh()
        assert markers.bar is not None and markers.bar.isVisible() and markers.patient.isVisible()
        reason = "cannot decode the image data (JPEG 2000): truncated JPEG 2000 data: the data stops early"
        view.set_failed(image, reason)
        assert not markers.bar.isVisible()
        assert not any(letter.isVisible() for letter in markers.letters.values())
        assert not markers.patient.isVisible()
        top = view.overlays.top
        assert top.isVisible() and view.rect().contains(top.geometry())
        assert "LCC: could not be decoded (truncated JPEG 2000 data)" in top.text()


class TestCornersNeverOverlap:
    """The corner texts (view, notes, window/zoom, patient line) never cover each other."""

    @staticmethod
    def _shown_rects(view: ImageView, patient: QLabel) -> dict[str, Any]:
        overlays = view.overlays
        labels = {
            "top": overlays.top,
            "notes": overlays.notes,
            "bottom": overlays.bottom,
            "banner": overlays.banner,
            "patient": patient,
        }
        return {name: label.geometry() for name, label in labels.items() if label.isVisible()}

    def test_cbis_names_at_any_cell_size(self, qtbot: Any) -> None:
        """CBIS-DDSM's long Patient Name and ID (the file name): the patient line is elided beside
        the window/zoom block, and at every cell size down to the smallest no two blocks intersect
        and none leaves the cell (the old line ran over the zoom text and off the cell)."""
        from viewer.qt.view_markers import ViewMarkers

        cbis = "Mass-Test_P_00820_RIGHT_CC"
        ds = dataset(
            PatientName=cbis,
            PatientID=cbis,
            StudyDate="20161004",
            ImagerPixelSpacing=[0.1, 0.1],
            EstimatedRadiographicMagnificationFactor=40,
        )
        view = _view(qtbot, MammoImage.from_dataset(ds))
        markers = ViewMarkers(view)
        for width, height in ((700, 560), (375, 430), (260, 220), (180, 150), (120, 120)):
            view.resize(width, height)
            markers.refresh()
            qtbot.wait(1)
            rects = self._shown_rects(view, markers.patient)
            assert "top" in rects, (width, height)  # the view's name is always said
            names = sorted(rects)
            for i, a in enumerate(names):
                assert view.rect().contains(rects[a]), (width, height, a)
                for b in names[i + 1 :]:
                    assert not rects[a].intersects(rects[b]), (width, height, a, b)
            if width == 375:  # a 2x2 cell of a 1600-pixel screen: the line is there, shortened
                assert "patient" in rects and "notes" in rects and "bottom" in rects
                assert markers.patient.text().startswith("Mass-Test_P_")
                assert markers.patient.text().endswith("…")
        view.resize(1400, 900)
        markers.refresh()
        assert markers.patient.text() == f"{cbis}  {cbis}  2016-10-04"  # room enough: all of it
