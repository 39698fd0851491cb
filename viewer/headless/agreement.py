"""``mammo-viewer agreement STUDY_FOLDER --readers A B``: how far two readers agree.

Reads both readers' annotation files in the study folder (``mammo-annotations.<reader>.json``,
or the user-data fallback used for read-only folders), matches calcifications within
``--distance-mm`` and clusters by outline overlap (:mod:`viewer.core.agreement`), and
prints counts, precision, recall and F1 per image and for the study. Reader A is the
reference: precision is the share of B's marks that A also made. ``--csv OUT`` writes the
same table as CSV (``-`` for standard output).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from viewer.core.agreement import AgreementOptions, ImageAgreement, Score, StudyAgreement, compare
from viewer.core.annotations import StudyAnnotations
from viewer.interop.agreement_csv import agreement_csv
from viewer.store import sidecar
from viewer.store.errors import SidecarError
from viewer.store.session import fallback_path


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Compare two readers' marks on a study: calcifications matched within "
        "a distance in mm, clusters by overlap; counts, precision, recall, F1."
    )
    parser.add_argument(
        "folder",
        type=Path,
        metavar="STUDY_FOLDER",
        help="the study folder holding the readers' annotation files",
    )
    parser.add_argument(
        "--readers", nargs=2, required=True, metavar=("A", "B"), help="reader A (reference) and reader B"
    )
    parser.add_argument(
        "--distance-mm",
        type=float,
        default=1.0,
        help="largest centre distance of two matching calcifications (default 1.0)",
    )
    parser.add_argument(
        "--distance-px",
        type=float,
        default=10.0,
        help="the same for images without pixel spacing (default 10)",
    )
    parser.add_argument(
        "--min-overlap",
        type=float,
        default=0.1,
        help="smallest outline IoU for two clusters to match (default 0.1)",
    )
    parser.add_argument("--csv", metavar="OUT", help="write the table as CSV to OUT ('-': stdout)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")


def find_sidecar(folder: Path, reader: str, study_uid: str = "") -> Path | None:
    """The reader's annotation file of the study in ``folder`` (or its fallback copy)."""
    primary = sidecar.sidecar_path(folder, reader)
    if primary.exists():
        return primary
    if study_uid:
        fallback = fallback_path(folder, reader, study_uid)
        if fallback.exists():
            return fallback
    return None


def load_readers(folder: Path, readers: tuple[str, str]) -> tuple[StudyAnnotations, StudyAnnotations]:
    """Both readers' annotations; raise SidecarError with a message naming what is missing."""
    found = {r: find_sidecar(folder, r) for r in readers}
    known = [m.study_instance_uid for r, p in found.items() if p is not None for m in [sidecar.load(p)]]
    for reader in readers:
        if found[reader] is None and known:
            found[reader] = find_sidecar(folder, reader, known[0])
    missing = [r for r in readers if found[r] is None]
    if missing:
        present = sorted(
            p.name for p in folder.glob(f"{sidecar.SIDECAR_PREFIX}*") if sidecar.is_sidecar_name(p.name)
        )
        listed = ", ".join(present) or "none"
        raise SidecarError(
            f"no annotations of reader {', '.join(repr(r) for r in missing)} in {folder} "
            f"(expected {sidecar.sidecar_path(folder, missing[0]).name}; files found: {listed})"
        )
    a_path, b_path = found[readers[0]], found[readers[1]]
    assert a_path is not None and b_path is not None
    return sidecar.load(a_path), sidecar.load(b_path)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _line(label: str, calcs: Score, clusters: Score, extra: str = "") -> str:
    return (
        f"{label:<24}{calcs.a:>5}{calcs.b:>5}{calcs.matched:>6}{_ratio(calcs.precision):>7}"
        f"{_ratio(calcs.recall):>7}{_ratio(calcs.f1):>7}   {clusters.a:>3}{clusters.b:>4}"
        f"{clusters.matched:>4}{_ratio(clusters.f1):>7}  {extra}"
    ).rstrip()


def _image_label(img: ImageAgreement) -> str:
    view = f"{img.laterality or '?'}{img.view or '?'}"
    return f"{view} ...{img.key[0][-10:]}" + (f" f{img.key[1]}" if img.key[1] else "")


def format_table(result: StudyAgreement) -> str:
    """The comparison as a plain-text table."""
    o = result.options
    lines = [
        f"reader A (reference): {result.reader_a}   reader B: {result.reader_b}",
        f"calcifications match within {o.distance_mm:g} mm ({o.distance_px:g} px without "
        f"spacing); clusters at IoU >= {o.min_overlap:g}",
        f"{'image':<24}{'A':>5}{'B':>5}{'match':>6}{'prec':>7}{'rec':>7}{'F1':>7}   "
        f"{'clA':>3}{'clB':>4}{'m':>4}{'clF1':>7}",
    ]
    for img in result.images:
        extra = "" if img.unit == "mm" else "(no spacing: px)"
        lines.append(_line(_image_label(img), img.calcifications, img.clusters, extra))
    lines.append(_line("study", result.calcifications, result.clusters))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"mammo-viewer agreement: {folder} is not a folder", file=sys.stderr)
        return 2
    try:
        options = AgreementOptions(args.distance_mm, args.distance_px, args.min_overlap)
        a, b = load_readers(folder, (args.readers[0], args.readers[1]))
    except (ValueError, SidecarError) as exc:
        print(f"mammo-viewer agreement: {exc}", file=sys.stderr)
        return 2
    result = compare(a, b, options)
    if args.csv:
        text = agreement_csv(result)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            try:
                Path(args.csv).write_text(text, encoding="utf-8", newline="")
            except OSError as exc:
                print(
                    f"mammo-viewer agreement: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr
                )
                return 2
    if args.json:
        sys.stdout.buffer.write(
            orjson.dumps(result.rows(), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        )
        sys.stdout.flush()
    elif args.csv != "-":
        print(format_table(result))
    return 0
