"""Decode speed of one 4096x5120 12-bit frame per transfer syntax, through the viewer's own decoder.

Run ``python benchmarks/decoder_bench.py [--json] [--runs N] [--size ROWSxCOLS]``. A synthetic
mammogram (:func:`viewer.core.phantom.make_mammogram`) is encoded in each transfer syntax of
DOMAIN.md that an installed encoder can make, and decoded with
:func:`viewer.dicom.decode.decode_frame` (what the loader's worker processes call). Each row
gives the median wall and CPU seconds of ``--runs`` decodes, the plugin or library that decoded
the frame (found by watching which of pydicom's plugins, or GDCM's image reader, returned it)
and the licence of its distribution, as tests/test_licences.py reads it.

Lossless syntaxes must give back the source exactly: a mismatch is a failure, listed under the
table and in ``failures`` of the JSON, and the exit status is 1. Lossy rows give the largest
difference from the source; JPEG-LS near-lossless must keep within its NEAR bound.

Encoders: pylibjpeg-openjpeg (JPEG 2000), pyjpegls (JPEG-LS), pylibjpeg-rle (RLE), GDCM's
``ImageChangeTransferSyntax`` (JPEG Lossless and 12-bit JPEG Extended), Pillow (8-bit JPEG
Baseline), pydicom (native and deflated). No installed encoder makes HTJ2K (OpenJPEG and GDCM
only decode it): the row says so.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import UID

from viewer.core.phantom import Phantom, make_mammogram

ROWS, COLS = 5120, 4096
JLS_NEAR = 2
"""The NEAR parameter of the JPEG-LS near-lossless row: no stored value may move further."""


@dataclass(frozen=True)
class Syntax:
    """A transfer syntax of the table and how to make a file in it."""

    uid: str
    label: str
    lossless: bool
    encode: Callable[[Dataset, Path], None]
    bits: int = 12
    """Bits per stored value of the source: 8 for JPEG Baseline, 12 otherwise."""


# -- encoders: each writes ``ds`` (12-bit or 8-bit native pixels) to ``out`` in its syntax ----------


class NoEncoderError(Exception):
    """No installed encoder can make this transfer syntax; the message says why."""


def _save(ds: Dataset, out: Path) -> None:
    ds.save_as(out, enforce_file_format=True)


def _native(uid: str) -> Callable[[Dataset, Path], None]:
    def encode(ds: Dataset, out: Path) -> None:
        ds.file_meta.TransferSyntaxUID = UID(uid)
        _save(ds, out)

    return encode


def _pydicom(uid: str, plugin: str, **kwargs: Any) -> Callable[[Dataset, Path], None]:
    def encode(ds: Dataset, out: Path) -> None:
        from pydicom.pixels import get_encoder

        if plugin not in get_encoder(uid).available_plugins:
            raise NoEncoderError(f"pydicom's {plugin} encoding plugin is not installed")
        ds.compress(uid, encoding_plugin=plugin, **kwargs)
        _save(ds, out)

    return encode


def _gdcm(uid: str, lossy: bool = False) -> Callable[[Dataset, Path], None]:
    def encode(ds: Dataset, out: Path) -> None:
        try:
            import gdcm
        except ImportError as exc:
            raise NoEncoderError("python-gdcm is not installed") from exc
        raw = out.with_suffix(".native.dcm")
        _save(ds, raw)
        try:
            reader = gdcm.ImageReader()
            reader.SetFileName(str(raw))
            if not reader.Read():
                raise RuntimeError("GDCM could not read the native file")
            change = gdcm.ImageChangeTransferSyntax()
            change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(uid)))
            change.SetInput(reader.GetImage())
            if lossy:
                codec = gdcm.JPEGCodec()
                codec.SetLossless(False)
                codec.SetQuality(90)
                change.SetUserCodec(codec)
            if not change.Change():
                raise NoEncoderError(f"GDCM cannot encode {uid}")
            writer = gdcm.ImageWriter()
            writer.SetFileName(str(out))
            writer.SetFile(reader.GetFile())
            writer.SetImage(change.GetOutput())
            if not writer.Write():
                raise RuntimeError("GDCM could not write the encoded file")
        finally:
            raw.unlink(missing_ok=True)

    return encode


def _pillow_baseline(ds: Dataset, out: Path) -> None:
    import io

    from PIL import Image
    from pydicom.encaps import encapsulate

    buffer = io.BytesIO()
    Image.fromarray(ds.pixel_array.astype(np.uint8)).save(buffer, format="JPEG", quality=90)
    ds.PixelData = encapsulate([buffer.getvalue()])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.50")
    ds.LossyImageCompression = "01"
    _save(ds, out)


def _no_encoder(reason: str) -> Callable[[Dataset, Path], None]:
    def encode(ds: Dataset, out: Path) -> None:
        raise NoEncoderError(reason)

    return encode


SYNTAXES = (
    Syntax("1.2.840.10008.1.2.1", "Explicit VR Little Endian", True, _native("1.2.840.10008.1.2.1")),
    Syntax("1.2.840.10008.1.2", "Implicit VR Little Endian", True, _native("1.2.840.10008.1.2")),
    Syntax("1.2.840.10008.1.2.1.99", "Deflated Explicit VR LE", True, _native("1.2.840.10008.1.2.1.99")),
    Syntax(
        "1.2.840.10008.1.2.4.90", "JPEG 2000 lossless", True, _pydicom("1.2.840.10008.1.2.4.90", "pylibjpeg")
    ),
    Syntax(
        "1.2.840.10008.1.2.4.91",
        "JPEG 2000 lossy (ratio 20)",
        False,
        _pydicom("1.2.840.10008.1.2.4.91", "pylibjpeg", j2k_cr=[20]),
    ),
    Syntax(
        "1.2.840.10008.1.2.4.201",
        "HTJ2K lossless",
        True,
        _no_encoder("no installed encoder makes HTJ2K (OpenJPEG and GDCM only decode it)"),
    ),
    Syntax(
        "1.2.840.10008.1.2.4.80", "JPEG-LS lossless", True, _pydicom("1.2.840.10008.1.2.4.80", "pyjpegls")
    ),
    Syntax(
        "1.2.840.10008.1.2.4.81",
        f"JPEG-LS near-lossless (NEAR={JLS_NEAR})",
        False,
        _pydicom("1.2.840.10008.1.2.4.81", "pyjpegls", jls_error=JLS_NEAR),
    ),
    Syntax("1.2.840.10008.1.2.4.70", "JPEG Lossless SV1 (process 14)", True, _gdcm("1.2.840.10008.1.2.4.70")),
    Syntax("1.2.840.10008.1.2.4.57", "JPEG Lossless (process 14)", True, _gdcm("1.2.840.10008.1.2.4.57")),
    Syntax(
        "1.2.840.10008.1.2.4.51", "JPEG Extended 12-bit (q 90)", False, _gdcm("1.2.840.10008.1.2.4.51", True)
    ),
    Syntax("1.2.840.10008.1.2.4.50", "JPEG Baseline 8-bit (q 90)", False, _pillow_baseline, bits=8),
    Syntax("1.2.840.10008.1.2.5", "RLE Lossless", True, _pydicom("1.2.840.10008.1.2.5", "pylibjpeg")),
)


# -- which decoder answered, and its licence --------------------------------------------------------

_PLUGIN_DISTRIBUTIONS = {
    "gdcm": "python-gdcm",
    "pyjpegls": "pyjpegls",
    "pillow": "pillow",
    "pydicom": "pydicom",
    "gdcm ImageReader": "python-gdcm",
}


def distribution_of(plugin: str, uid: str) -> str:
    """The distribution that holds the code of ``plugin`` decoding transfer syntax ``uid``."""
    if plugin == "pylibjpeg":
        if uid == "1.2.840.10008.1.2.5":
            return "pylibjpeg-rle"
        if uid.startswith("1.2.840.10008.1.2.4.9") or uid.startswith("1.2.840.10008.1.2.4.20"):
            return "pylibjpeg-openjpeg"
        return "pylibjpeg-libjpeg"
    return _PLUGIN_DISTRIBUTIONS.get(plugin, "pydicom")


def licence_of(distribution: str) -> str:
    """The licence a distribution declares (expression, licence field or classifier), or 'unknown'."""
    try:
        meta: Any = metadata.distribution(distribution).metadata
    except metadata.PackageNotFoundError:
        return "not installed"
    found = meta.get("License-Expression") or (meta.get("License") or "").split("\n")[0][:40]
    if found.strip() and found.strip().upper() != "UNKNOWN":
        return str(found.strip())
    classifiers = [
        c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    return ", ".join(classifiers) or "unknown"


@contextlib.contextmanager
def watching_decoders(uid: str, used: list[str]) -> Iterator[None]:
    """Append to ``used`` the name of each pydicom plugin (or GDCM fallback) that returns a frame."""
    from pydicom.pixels.decoders.base import get_decoder

    import viewer.dicom.decode as decode

    decoder: Any = get_decoder(uid)
    originals = dict(decoder._available)

    def watched(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            used.append(name)
            return result

        return call

    fallback = getattr(decode, "decode_with_gdcm")  # noqa: B009  (replaced for the call, then put back)
    decoder._available.update({name: watched(name, func) for name, func in originals.items()})
    setattr(decode, "decode_with_gdcm", watched("gdcm ImageReader", fallback))  # noqa: B010
    try:
        yield
    finally:
        decoder._available.update(originals)
        setattr(decode, "decode_with_gdcm", fallback)  # noqa: B010


# -- the measurement -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _phantom(rows: int, cols: int) -> Phantom:
    return make_mammogram(rows, cols, (0.07, 0.07), "L", "CC", seed=7)


def source_dataset(rows: int, cols: int, bits: int) -> tuple[Dataset, NDArray[Any]]:
    """A synthetic 12-bit (or, for ``bits=8``, 8-bit) mammogram dataset and its stored values."""
    from viewer.dicom.demo import demo_dataset

    phantom = _phantom(rows, cols)
    ds = demo_dataset(phantom, 1)
    pixels: NDArray[Any] = phantom.pixels
    if bits == 8:
        pixels = (pixels >> 4).astype(np.uint8)
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.PixelData = pixels.tobytes()
        for keyword in ("WindowCenter", "WindowWidth", "SmallestImagePixelValue", "LargestImagePixelValue"):
            if keyword in ds:
                del ds[keyword]
    return ds, pixels


def _check(syntax: Syntax, decoded: NDArray[Any], source: NDArray[Any]) -> tuple[str, bool]:
    """What the lossless / lossy check found, and whether it passed."""
    if decoded.shape != source.shape:
        return f"shape {decoded.shape} is not {source.shape}", False
    diff = int(np.abs(decoded.astype(np.int32) - source.astype(np.int32)).max())
    if syntax.lossless:
        return ("equal" if diff == 0 else f"MISMATCH: max |diff| {diff}"), diff == 0
    if syntax.uid == "1.2.840.10008.1.2.4.81" and diff > JLS_NEAR:
        return f"max |diff| {diff} > NEAR {JLS_NEAR}", False
    return f"lossy: max |diff| {diff}", True


def bench_syntax(syntax: Syntax, folder: Path, rows: int, cols: int, runs: int) -> dict[str, Any]:
    """Encode the source in ``syntax`` and time ``runs`` decodes of it; one row of the table."""
    from viewer.dicom.decode import DecodeError, decode_frame

    row: dict[str, Any] = {"syntax": syntax.label, "uid": syntax.uid, "lossless": syntax.lossless}
    ds, source = source_dataset(rows, cols, syntax.bits)
    path = folder / f"{syntax.uid}.dcm"
    t0 = time.perf_counter()
    try:
        syntax.encode(ds, path)
    except NoEncoderError as exc:
        return {**row, "skipped": str(exc)}
    except Exception as exc:  # an installed encoder that fails is a finding, not a crash of the table
        return {**row, "failure": f"encoding failed: {type(exc).__name__}: {exc}"}
    row["encode_s"] = time.perf_counter() - t0
    row["file_mb"] = path.stat().st_size / 1e6
    used: list[str] = []
    try:
        with watching_decoders(syntax.uid, used):
            decoded = decode_frame(path)
    except DecodeError as exc:
        return {**row, "failure": f"decode_frame raised: {exc}"}
    plugin = used[-1] if used else "native"  # no plugin: pydicom reads the values as stored
    row["decoder"] = plugin
    row["distribution"] = distribution_of(plugin, syntax.uid)
    row["licence"] = licence_of(row["distribution"])
    row["check"], passed = _check(syntax, decoded, source)
    if not passed:
        row["failure"] = row["check"]
    del decoded
    walls, cpus = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        decode_frame(path)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    row["wall_s"] = statistics.median(walls)
    row["cpu_s"] = statistics.median(cpus)
    path.unlink()
    return row


def run(rows: int = ROWS, cols: int = COLS, runs: int = 3) -> dict[str, Any]:
    """Every row of the table, the failures and the machine's load average before and after."""
    load_before = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="mammo-viewer-decoder-bench-") as tmp:
        table = [bench_syntax(s, Path(tmp), rows, cols, runs) for s in SYNTAXES]
    return {
        "frame": f"{cols}x{rows} (columns x rows), 12 bits stored",
        "runs": runs,
        "rows": table,
        "failures": [f"{r['syntax']}: {r['failure']}" for r in table if "failure" in r],
        "skipped": [f"{r['syntax']}: {r['skipped']}" for r in table if "skipped" in r],
        "total_wall_s": time.perf_counter() - t0,
        "total_cpu_s": time.process_time() - c0,
        "load_average_before_after": [load_before, os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def table(result: dict[str, Any]) -> str:
    """The Markdown table of :func:`run`'s result, with its failures and skipped syntaxes under it."""
    lines = [
        f"Decode of one {result['frame']} frame by `decode_frame`, median of {result['runs']} runs",
        "",
        "| syntax | UID | MB | decoder | licence | wall s | CPU s | check |",
        "|---|---|---:|---|---|---:|---:|---|",
    ]
    for r in result["rows"]:
        if "skipped" in r:
            lines.append(f"| {r['syntax']} | {r['uid']} | | | | | | not measured: {r['skipped']} |")
            continue
        if "wall_s" not in r:
            lines.append(f"| {r['syntax']} | {r['uid']} | | | | | | **FAILED**: {r['failure']} |")
            continue
        check = r["check"] if "failure" not in r else f"**FAILED**: {r['check']}"
        decoder = (
            r["decoder"] if r["decoder"] == r["distribution"] else f"{r['decoder']} ({r['distribution']})"
        )
        lines.append(
            f"| {r['syntax']} | {r['uid']} | {r['file_mb']:.1f} | {decoder} | {r['licence']} "
            f"| {r['wall_s']:.3f} | {r['cpu_s']:.3f} | {check} |"
        )
    before, after = result["load_average_before_after"]
    lines += [
        "",
        f"{result['cpus']} CPUs; load average before {', '.join(f'{x:.2f}' for x in before)}, "
        f"after {', '.join(f'{x:.2f}' for x in after)}; whole run {result['total_wall_s']:.0f} s wall, "
        f"{result['total_cpu_s']:.0f} CPU-s",
    ]
    lines += [f"FAILED: {f}" for f in result["failures"]]
    return "\n".join(lines)


def _size(text: str) -> tuple[int, int]:
    rows, _, cols = text.lower().partition("x")
    return int(rows), int(cols)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=3, help="timed decodes per syntax (median)")
    parser.add_argument("--size", type=_size, default=(ROWS, COLS), help="ROWSxCOLS (default 5120x4096)")
    args = parser.parse_args(argv)
    rows, cols = args.size
    result = run(rows, cols, runs=args.runs)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
