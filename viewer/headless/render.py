"""``mammo-viewer render FILE --out PNG [--voi SPEC] [--frame N]``: the displayed image.

Writes the 8-bit grey image exactly as the viewer shows it with the chosen VOI, through
the same :func:`~viewer.core.display_lut.display_lut` the viewer uses, at full resolution
in stored pixel orientation (no hanging mirror). ``SPEC`` is ``window:N`` or ``lut:N``
(the N-th window / VOI LUT of the file, counting from 1), ``auto`` (the tissue window),
or ``C,W`` (a window with the file's VOI function, as a drag gives). Default: the
viewer's default VOI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from viewer.core.display_lut import apply_display_lut, display_lut
from viewer.core.windowing import VoiPreset
from viewer.dicom.image import DicomImageError, MammoImage


class RenderError(Exception):
    """A problem the user can fix; the message says which and how."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mammo-viewer render``."""
    parser.description = (
        "Write the 8-bit image as the viewer displays it (full resolution, stored orientation) to a PNG file."
    )
    parser.add_argument("file", metavar="FILE", help="a DICOM image file")
    parser.add_argument("--out", required=True, metavar="PNG", help="the PNG file to write")
    parser.add_argument(
        "--voi",
        metavar="SPEC",
        help="window:N or lut:N (the file's N-th, from 1), auto, or C,W (default: the viewer's default VOI)",
    )
    parser.add_argument(
        "--frame", type=int, default=1, metavar="N", help="frame of a multi-frame image, from 1 (default 1)"
    )


def choose_voi(image: MammoImage, spec: str | None, frame: int = 0) -> VoiPreset:
    """The VOI preset a ``--voi`` SPEC names; RenderError lists the choices when wrong."""
    if spec is None:
        return image.default_voi(frame)
    text = spec.strip().lower()
    if text == "auto":
        return image.auto_voi(frame)
    presets = image.frame_header(frame).voi_presets
    windows = [p for p in presets if p.kind == "window"]
    tables = [p for p in presets if p.kind == "lut"]
    kind, _, number = text.partition(":")
    if kind in ("window", "lut") and number:
        available = windows if kind == "window" else tables
        try:
            index = int(number)
        except ValueError:
            index = 0
        if not 1 <= index <= len(available):
            names = ", ".join(f"{kind}:{i} ({p.name})" for i, p in enumerate(available, 1))
            raise RenderError(
                f"--voi {spec}: {image.path.name} has {len(available)} "
                f"{'windows' if kind == 'window' else 'VOI LUTs'}" + (f": {names}" if names else "")
            )
        return available[index - 1]
    parts = text.split(",")
    if len(parts) == 2:
        try:
            center, width = float(parts[0]), float(parts[1])
        except ValueError:
            center = width = float("nan")
        if width > 0 and center == center:
            return image.default_voi(frame).with_window(center, width)
    raise RenderError(f"--voi {spec}: expected window:N, lut:N, auto or CENTER,WIDTH (e.g. 2048,4096)")


def render(image: MammoImage, out: Path, spec: str | None = None, frame: int = 0) -> None:
    """Write ``frame`` of ``image`` as displayed with VOI ``spec`` to the PNG ``out``."""
    from PIL import Image

    voi = choose_voi(image, spec, frame)
    pixels = image.pixels(frame)
    low, high = image.stored_range
    lut = display_lut(low, high, image.frame_header(frame).modality_lut, voi, image.invert_default)
    grey = apply_display_lut(pixels, lut, low)
    try:
        Image.fromarray(grey).save(out, format="PNG")  # uint8 2-D: mode "L"
    except OSError as exc:
        raise RenderError(f"cannot write {out}: {exc.strerror or exc}") from exc


def run(args: argparse.Namespace) -> int:
    """Render; print a message and return 1 on failure."""
    try:
        image = MammoImage.open(Path(args.file))
        if not 1 <= args.frame <= image.frames:
            raise RenderError(
                f"--frame {args.frame}: {image.path.name} has {image.frames} "
                f"frame{'s' if image.frames > 1 else ''} (1-{image.frames})"
            )
        render(image, Path(args.out), args.voi, args.frame - 1)
    except (DicomImageError, RenderError) as exc:
        print(f"mammo-viewer render: {exc}", file=sys.stderr)
        return 1
    return 0
