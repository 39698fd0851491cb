"""One mammogram file: its header, what it shows, how to display it, its pixels.

:meth:`MammoImage.open` reads the header only; pixels are decoded on first use, one
frame at a time, and kept (read-only) for the next call. Every problem a user can meet
raises :class:`DicomImageError` with a message naming the file and the reason.
"""

from __future__ import annotations

import logging
import math
import os
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import UID

from viewer.core.annotations import ImageAnnotations
from viewer.core.display_transform import DisplayTransform, reading_note, reading_transform
from viewer.core.geometry import Spacing
from viewer.core.tissue_window import auto_window, tissue_mask
from viewer.core.windowing import ModalityLut, VoiPreset, window_shows_values
from viewer.dicom.codestream_damage import truncated_file_reason
from viewer.dicom.decode import (
    DecodeError,
    decode_frame,
    decoder_problem,
    transfer_syntax_name,
)
from viewer.dicom.read_guard import DicomImageError as DicomImageError
from viewer.dicom.read_guard import (
    check_regular_file,
    pixel_budget_problem,
    pixels_truncated,
    read_dataset,
)
from viewer.dicom.spacing import resolve_spacing
from viewer.dicom.view_inference import SOURCE_CAPTIONS, infer_view
from viewer.dicom.views import (
    mirror_from_tissue,
    read_frame_laterality,
    read_patient_orientation,
    read_view_modifiers,
    view_label,
)
from viewer.dicom.voi import read_modality_lut, read_voi_presets

log = logging.getLogger(__name__)

FOR_PROCESSING_SOP_CLASSES = frozenset(
    {"1.2.840.10008.5.1.4.1.1.1.2.1", "1.2.840.10008.5.1.4.1.1.1.1.1", "1.2.840.10008.5.1.4.1.1.1.3.1"}
)
"""Mammography, DX and intra-oral X-Ray "For Processing" SOP classes."""

AUTO_VOI_NAME = "Auto (tissue)"
WINDOW_SHOWS_NOTHING = "the file's window shows no tissue: automatic window used"
"""The note on the image when the file's first window lies beyond all of its values."""

_PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_NON_IMAGE_CLASS_PREFIXES = (
    "1.2.840.10008.5.1.4.1.1.88.",  # structured reports (SR, CAD SR, dose SR), key objects (KO)
    "1.2.840.10008.5.1.4.1.1.11.",  # presentation states (PR)
    "1.2.840.10008.5.1.4.1.1.104.",  # encapsulated PDF / CDA / STL
    "1.2.840.10008.5.1.4.1.1.66",  # raw data, registrations, segmentations (SEG), fiducials
    "1.2.840.10008.5.1.4.1.1.481.",  # radiotherapy objects (RT Image, .481.1, is an image)
    "1.2.840.10008.5.1.4.1.1.30",  # parametric maps
)
_STRUCTURED_REPORT_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
_NON_IMAGE_MODALITIES = frozenset({"SEG", "SR", "PR", "KO", "DOC", "RTSTRUCT", "RTPLAN", "RTDOSE", "REG"})
"""Objects that may carry pixel data but are not images to read: a SEG mask is a label map."""
_FRAME_CACHE = 4
"""Decoded frames kept per image: scrolling back and forth in a tomosynthesis stack."""


def read_header(path: Path) -> Dataset:
    """Read a DICOM file without loading its pixel data; raise DicomImageError if it is not one.

    Through the read boundary (:func:`viewer.dicom.read_guard.read_dataset`): only regular
    files are opened, large values stay on disk, every failure is a message.
    """
    return read_dataset(path)


@dataclass(frozen=True)
class FrameHeader:
    """What one frame's header says: for an enhanced multi-frame image, from that frame's
    functional groups (its own, else the shared ones), else from the top level.

    ``notes`` name the values that could not be used (spacing, rescale, windows), each
    with its attribute, for the overlay and ``info --json``.
    """

    spacing: Spacing
    modality_lut: ModalityLut
    voi_presets: list[VoiPreset]
    laterality: str | None
    """The frame's own Frame Laterality, or None when it states none (the image's applies)."""
    notes: tuple[str, ...]


def read_frame_header(ds: Dataset, frame: int) -> FrameHeader:
    """The :class:`FrameHeader` of ``frame`` (0-based) of ``ds``."""
    notes: list[str] = []
    spacing = resolve_spacing(ds, frame)
    if spacing.note:
        notes.append(spacing.note)
    modality = read_modality_lut(ds, frame, notes)
    presets = read_voi_presets(ds, frame, notes)
    return FrameHeader(spacing, modality, presets, read_frame_laterality(ds, frame), tuple(notes))


def _log_notes(path: Path, frame: int, header: FrameHeader) -> None:
    """Write to the program log what of a frame's header was not used, and why (it is on screen too)."""
    for note in header.notes:
        log.info("%s frame %d: %s", path.name, frame + 1, note)


class MammoImage:
    """A grey-scale DICOM image (usually a mammogram) and how to display and measure it.

    Build with :meth:`open` (raises :class:`DicomImageError` when the file cannot be
    shown) or :meth:`from_dataset` for an in-memory dataset. Attributes are read from
    the header once; pixel access (:meth:`pixels`) decodes lazily.
    """

    def __init__(
        self, ds: Dataset, path: Path, *, in_memory: bool = False, file_size: int | None = None
    ) -> None:
        self.path = path
        self._ds = ds
        if file_size is None and not in_memory:
            try:
                file_size = os.stat(path).st_size
            except (OSError, ValueError):
                file_size = 0
        self._file_size = file_size or 0
        self._in_memory = in_memory
        self._frames: OrderedDict[int, NDArray[Any]] = OrderedDict()
        self._auto: dict[int, VoiPreset] = {}
        self._window_notes: dict[int, str] = {}
        meta = getattr(ds, "file_meta", None)
        self.transfer_syntax: str = str(meta.get("TransferSyntaxUID", "") if meta else "")
        self.transfer_syntax_name: str = (
            transfer_syntax_name(self.transfer_syntax) if self.transfer_syntax else ""
        )
        self.sop_class_uid: str = str(ds.get("SOPClassUID", "") or "")
        self.sop_instance_uid: str = str(ds.get("SOPInstanceUID", "") or "")
        self.study_instance_uid: str = str(ds.get("StudyInstanceUID", "") or "")
        self.series_instance_uid: str = str(ds.get("SeriesInstanceUID", "") or "")
        self.patient_id: str = str(ds.get("PatientID", "") or "").strip()
        self.study_date: str = str(ds.get("StudyDate", "") or "").strip()
        self.rows: int = int(ds.get("Rows", 0) or 0)
        self.columns: int = int(ds.get("Columns", 0) or 0)
        self.frames: int = max(1, int(ds.get("NumberOfFrames", 1) or 1))
        self.bits_stored: int = int(ds.get("BitsStored", 0) or ds.get("BitsAllocated", 16) or 16)
        self.signed: bool = int(ds.get("PixelRepresentation", 0) or 0) == 1
        self.photometric: str = str(ds.get("PhotometricInterpretation", "") or "").strip()
        self.truncated: bool = pixels_truncated(ds)
        """The file ends inside its pixel data: the header shows, the pixels never decode."""
        intent = str(ds.get("PresentationIntentType", "") or "").strip().upper()
        self.presentation_intent: str | None = intent or None
        self.for_processing: bool = (
            intent == "FOR PROCESSING" or self.sop_class_uid in FOR_PROCESSING_SOP_CLASSES
        )
        inferred = infer_view(ds, None if in_memory else path)
        self.laterality: str | None = inferred.laterality
        self.view: str | None = inferred.view
        self.view_source: str | None = inferred.source
        """Where laterality and view came from (``viewer.dicom.view_inference.VIEW_SOURCES``)."""
        self.view_modifiers: tuple[str, ...] = read_view_modifiers(ds)
        self.view_label: str = view_label(self.laterality, self.view)
        self.patient_orientation: tuple[str, str] | None = read_patient_orientation(ds)
        self._headers: dict[int, FrameHeader] = {0: read_frame_header(ds, 0)}
        first = self._headers[0]
        _log_notes(path, 0, first)
        self.spacing: Spacing = first.spacing
        self.modality_lut: ModalityLut = first.modality_lut
        self.voi_presets: list[VoiPreset] = first.voi_presets
        self.notes: tuple[str, ...] = first.notes
        """Values of frame 0's header that could not be used, each naming its attribute."""
        shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
        # In the DX/MG IODs, INVERSE is how MONOCHROME1 is declared (PS3.3 C.8.11.1.1.1):
        # the two say the same thing once, they do not cancel out.
        self.invert_default: bool = self.photometric == "MONOCHROME1" or shape == "INVERSE"
        # Measuring and detection work on modality values (the Modality LUT already applied,
        # of every frame its own), and the display maps them to grey increasingly for
        # MONOCHROME2 (PS3.3 C.7.6.3.1.2: the minimum shows black after the VOI transform):
        # so a dense speck has high modality values exactly when the display does not invert.
        # A negative Rescale Slope, of the image or of one frame, changes the stored values
        # only, not this.
        self.bright_is_high: bool = not self.invert_default
        # Air displays black: in modality values it is high exactly when display inverts.
        self.background_high: bool = self.invert_default
        if self.signed:
            low, high = -(2 ** (self.bits_stored - 1)), 2 ** (self.bits_stored - 1) - 1
        else:
            low, high = 0, 2**self.bits_stored - 1
        self.stored_range: tuple[int, int] = (low, high)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str) -> MammoImage:
        """Read a file's header and check it can be shown; raises DicomImageError."""
        path = Path(path)
        size = check_regular_file(path).st_size
        ds = read_header(path)
        try:
            image = cls(ds, path, file_size=size)
            problem = image.problem()
        except DicomImageError:
            raise
        except Exception as exc:  # a value of the wrong type or VR: the header is damaged
            reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise DicomImageError(path, f"damaged DICOM header ({reason})") from exc
        if problem is not None:
            raise DicomImageError(path, problem, not_an_image=image.not_an_image)
        return image

    @classmethod
    def from_dataset(cls, ds: Dataset, path: Path | str = Path("memory.dcm")) -> MammoImage:
        """Wrap an in-memory dataset (with its pixel data); raises DicomImageError."""
        image = cls(ds, Path(path), in_memory=True)
        problem = image.problem()
        if problem is not None:
            raise DicomImageError(image.path, problem, not_an_image=image.not_an_image)
        return image

    @property
    def dataset(self) -> Dataset:
        """The header (large values may be deferred: read from disk on access)."""
        return self._ds

    @property
    def not_an_image(self) -> bool:
        """True for objects that hold no image by design (SR, presentation state, ...)."""
        if not any(tag in self._ds for tag in _PIXEL_TAGS) and self.rows == 0:
            return True
        modality = str(self._ds.get("Modality", "") or "").strip().upper()
        uid = self.sop_class_uid
        by_class = uid.startswith(_NON_IMAGE_CLASS_PREFIXES) and uid != "1.2.840.10008.5.1.4.1.1.481.1"
        return by_class or modality in _NON_IMAGE_MODALITIES

    def problem(self) -> str | None:
        """Why this file cannot be shown, or None when it can."""
        ds = self._ds
        if self.not_an_image:
            kind = UID(self.sop_class_uid).name if self.sop_class_uid else "no SOP Class"
            if self.sop_class_uid.startswith(_STRUCTURED_REPORT_PREFIX):
                return (
                    f"not an image ({kind}): skipped; a measurement report's marks are under "
                    "Study > Show another reader's marks"
                )
            return f"not an image ({kind}): skipped"
        if not any(tag in ds for tag in _PIXEL_TAGS) and not self.truncated:
            return "this file has no image data (no Pixel Data element)"
        if "PixelData" not in ds and not self.truncated:
            return "floating point pixel data is not supported"
        if self.photometric not in ("MONOCHROME1", "MONOCHROME2"):
            return (
                f"colour images are not supported (Photometric Interpretation "
                f"{self.photometric or 'missing'}); mammograms are grey-scale"
            )
        if int(ds.get("SamplesPerPixel", 1) or 1) != 1:
            return "more than one sample per pixel: not a grey-scale image"
        if self.rows < 2 or self.columns < 2:
            return (
                f"the image is only {self.rows}x{self.columns} pixels: too small to show "
                "(a placeholder or shrunk image)"
            )
        if not 1 <= self.bits_stored <= 16:
            return f"{self.bits_stored} bits stored is not supported (at most 16)"
        if not self._in_memory:
            budget = pixel_budget_problem(ds, self.rows, self.columns, self.frames, self._file_size)
            if budget is not None:
                return budget
        if self.transfer_syntax and not self._in_memory:
            return decoder_problem(self.transfer_syntax)
        return None

    def set_view(self, laterality: str | None, view: str | None, source: str | None = "reader") -> None:
        """Set laterality and view (a reader's correction); the hanging follows them."""
        if laterality not in (None, "R", "L"):
            raise ValueError(f"laterality must be 'R', 'L' or None, got {laterality!r}")
        self.laterality, self.view, self.view_source = laterality, view, source
        self.view_label = view_label(laterality, view)
        self.__dict__.pop("hanging_transform", None)

    @property
    def view_caption(self) -> str:
        """The view as a user reads it: ``"LCC"``, or ``"LCC (from file name)"`` when inferred."""
        if self.view_source in (None, "dicom"):
            return self.view_label
        return f"{self.view_label} ({SOURCE_CAPTIONS.get(self.view_source, self.view_source)})"

    def frame_header(self, frame: int = 0) -> FrameHeader:
        """Spacing, Modality LUT, VOI presets and laterality of ``frame`` (see :class:`FrameHeader`).

        The image-level attributes (:attr:`spacing`, :attr:`modality_lut`, ...) are frame 0's.
        """
        header = self._headers.get(frame)
        if header is None:
            if not 0 <= frame < self.frames:
                raise ValueError(f"frame {frame} out of range 0..{self.frames - 1}")
            header = read_frame_header(self._ds, frame)
            self._headers[frame] = header
            _log_notes(self.path, frame, header)
        return header

    # -- pixels ---------------------------------------------------------------------

    def annotation_record(self, frame: int = 0) -> ImageAnnotations:
        """The empty annotation record of one frame of this image, with its header facts.

        The GUI and the headless commands both register images through this, so a mark
        saved by either is filed the same way.
        """
        header = self.frame_header(frame)
        return ImageAnnotations(
            sop_instance_uid=self.sop_instance_uid,
            frame=frame,
            study_instance_uid=self.study_instance_uid,
            series_instance_uid=self.series_instance_uid,
            rows=self.rows,
            columns=self.columns,
            laterality=self.frame_laterality(frame),
            view=self.view,
            view_source=self.view_source,
            dicom_spacing=header.spacing,
        )

    def frame_laterality(self, frame: int = 0) -> str | None:
        """The laterality of ``frame``: a reader's correction, else the frame's own Frame
        Laterality where it differs from the image's, else the image's."""
        if self.view_source == "reader":
            return self.laterality
        return self.frame_header(frame).laterality or self.laterality

    def pixels(self, frame: int = 0) -> NDArray[Any]:
        """Stored values of ``frame`` as a read-only 2-D array (rows, columns).

        Index with ``[y, x]`` (y = row, x = column). Values are clipped to
        :attr:`stored_range`. Raises DicomImageError when decoding fails.
        """
        if not 0 <= frame < self.frames:
            raise DicomImageError(
                self.path, f"frame {frame + 1} does not exist (the image has {self.frames})"
            )
        cached = self._frames.get(frame)
        if cached is not None:
            self._frames.move_to_end(frame)
            return cached
        syntax = f"{self.transfer_syntax_name} ({self.transfer_syntax})"
        if self.truncated:
            reason = truncated_file_reason(self.transfer_syntax)
            raise DicomImageError(self.path, f"cannot decode the image data ({syntax}): {reason}")
        source: Any = self._ds if self._in_memory else self.path
        try:
            arr = decode_frame(source, frame)
        except DecodeError as exc:
            raise DicomImageError(self.path, f"cannot decode the image data ({syntax}): {exc}") from exc
        if arr.shape != (self.rows, self.columns):
            raise DicomImageError(
                self.path,
                f"decoded image is {arr.shape[0]}x{arr.shape[1]} pixels but the header "
                f"says {self.rows}x{self.columns}",
            )
        # Some encoders set bits above Bits Stored; store_pixels clips to the table's range.
        return self.store_pixels(frame, arr)

    def store_pixels(
        self, frame: int, pixels: NDArray[Any], clipped_to: tuple[int, int] | None = None
    ) -> NDArray[Any]:
        """Adopt stored values decoded elsewhere (a worker process) as ``frame``'s pixels.

        The array must have the image's shape; it is clipped to :attr:`stored_range`,
        made read-only, cached and returned, exactly as :meth:`pixels` would give it.
        ``clipped_to``: the range the caller already clipped the values to; when it is
        :attr:`stored_range` the values are not scanned again (a full frame's scan on the
        UI thread costs 10-30 ms, most of it faulting in the pages of shared memory).
        """
        if not 0 <= frame < self.frames:
            raise ValueError(f"frame {frame} out of range 0..{self.frames - 1}")
        if pixels.shape != (self.rows, self.columns):
            raise ValueError(f"pixels of shape {pixels.shape} for an image of {self.rows}x{self.columns}")
        low, high = self.stored_range
        scan = clipped_to != (low, high) and pixels.size > 0
        if scan and (int(pixels.min()) < low or int(pixels.max()) > high):
            pixels = np.clip(pixels, low, high)
        pixels.flags.writeable = False
        self._frames[frame] = pixels
        self._frames.move_to_end(frame)
        while len(self._frames) > _FRAME_CACHE:
            self._frames.popitem(last=False)
        return pixels

    def modality_pixels(self, frame: int = 0) -> NDArray[np.float32]:
        """Modality values (after Rescale / Modality LUT) of ``frame`` as float32, for measuring.

        Converts the whole frame: a click converts only its window (see
        :func:`viewer.core.measure.find_calcification` with ``modality``).
        """
        return self.frame_header(frame).modality_lut.apply(self.pixels(frame)).astype(np.float32)

    # -- display --------------------------------------------------------------------

    def _sample(self, frame: int) -> NDArray[np.float64]:
        """Modality values of a regular subsample of about a million pixels."""
        arr = self.pixels(frame)
        step = max(1, int(math.sqrt(arr.size / (1 << 20))))
        lut = self.frame_header(frame).modality_lut
        return np.asarray(lut.apply(arr[::step, ::step]), dtype=np.float64)

    def _auto_from(self, values: NDArray[np.float64], frame: int) -> VoiPreset:
        """The automatic window of ``values`` in the file's VOI function."""
        center, width = auto_window(values, self.background_high)
        function = next(
            (p.function for p in self.frame_header(frame).voi_presets if p.kind == "window"), "LINEAR"
        )
        if function == "LINEAR" and width < 1.0:
            function = "LINEAR_EXACT"  # LINEAR has no width under 1 (a 0..1 rescaled image)
        return VoiPreset.window(center, width, name=AUTO_VOI_NAME, function=function)

    def auto_voi(self, frame: int = 0) -> VoiPreset:
        """A window over the breast tissue's histogram (background excluded).

        It keeps the file's VOI function (DOMAIN.md 4): a file whose windows are SIGMOID
        gets a SIGMOID automatic window, so switching to it changes the window, not the
        curve; LINEAR otherwise (LINEAR_EXACT under a width of 1).
        """
        preset = self._auto.get(frame)
        if preset is None:
            preset = self._auto_from(self._sample(frame), frame)
            self._auto[frame] = preset
        return preset

    def default_voi(self, frame: int = 0, values: NDArray[np.float64] | None = None) -> VoiPreset:
        """The file's first VOI preset; the automatic window when none, For Processing, or
        when the file's window shows no tissue (see :meth:`window_note`).

        ``values``: modality values to judge and window by instead of the frame's own (a
        reduced preview while the frame is decoded); nothing is cached from them.
        """
        presets = self.frame_header(frame).voi_presets
        if not presets or self.for_processing:
            return self.auto_voi(frame) if values is None else self._auto_from(values, frame)
        first = presets[0]
        sample = self._sample(frame) if values is None else values
        if window_shows_values(first, sample):
            self._window_notes.pop(frame, None)
            return first
        self._window_notes[frame] = WINDOW_SHOWS_NOTHING
        return self.auto_voi(frame) if values is None else self._auto_from(values, frame)

    def window_note(self, frame: int = 0) -> str | None:
        """Why the file's window is not the one shown (decided by :meth:`default_voi`), or None."""
        return self._window_notes.get(frame)

    @cached_property
    def hanging_transform(self) -> DisplayTransform:
        """How the image is turned and mirrored for the 4-up hanging (DOMAIN.md section 1).

        From Laterality, view and Patient Orientation when they say
        (:func:`viewer.core.display_transform.reading_transform`: an image stored a quarter
        turn from the reading orientation is turned); otherwise mirrored or not as guessed
        from which side holds more tissue (the chest wall side), which decodes frame 0.
        """
        decided = reading_transform(self.laterality, self.view, self.patient_orientation)
        if decided is not None:
            return decided
        if self.laterality is None:
            return DisplayTransform()
        try:
            mask = tissue_mask(self._sample(0), self.background_high)
        except DicomImageError:
            return DisplayTransform()
        if mask is None:
            return DisplayTransform()
        third = max(1, mask.shape[1] // 3)
        left = float(mask[:, :third].mean())
        right = float(mask[:, -third:].mean())
        return DisplayTransform(0, mirror_from_tissue(self.laterality, left, right))

    @property
    def orientation_note(self) -> str | None:
        """What the screen says when the hanging turns the image (a quarter or half turn), else None."""
        decided = reading_transform(self.laterality, self.view, self.patient_orientation)
        return None if decided is None else reading_note(self.patient_orientation, decided)

    def __repr__(self) -> str:
        return (
            f"MammoImage({self.path.name!r}, {self.view_label}, {self.rows}x{self.columns}"
            f"{f'x{self.frames}' if self.frames > 1 else ''}, {self.photometric})"
        )
