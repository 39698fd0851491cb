"""No module of the project is over 500 lines (STYLE.md "Small modules"; issue 12).

A module past the limit holds more than one concept: split it by concept rather than
raising the limit.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
PACKAGES = ("viewer", "benchmarks", "tests", "docs")
"""The folders of the project's Python code."""


def line_count(path: Path) -> int:
    """Lines of the file at ``path``, as ``wc -l`` counts them for a file ending in a newline."""
    return len(path.read_text(encoding="utf-8").splitlines())


def modules_over(root: Path, limit: int = MAX_LINES) -> list[tuple[str, int]]:
    """The Python modules under ``root``'s project folders longer than ``limit`` lines, longest first."""
    found = [
        (path.relative_to(root).as_posix(), line_count(path))
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    ]
    return sorted(((name, n) for name, n in found if n > limit), key=lambda item: -item[1])


def test_no_module_is_over_500_lines() -> None:
    """Every module of viewer/, benchmarks/, tests/ and docs/ is at most 500 lines."""
    assert (ROOT / "viewer" / "__init__.py").is_file()
    over = modules_over(ROOT)
    assert not over, "modules over 500 lines (split them by concept): " + ", ".join(
        f"{name} ({n} lines)" for name, n in over
    )


def test_a_long_module_is_found(tmp_path: Path) -> None:
    """The count finds a 501-line module and passes a 500-line one (the check can fail)."""
    (tmp_path / "viewer" / "qt").mkdir(parents=True)
    (tmp_path / "viewer" / "qt" / "long.py").write_text("x = 1\n" * 501, encoding="utf-8")
    (tmp_path / "viewer" / "short.py").write_text("x = 1\n" * 500, encoding="utf-8")
    assert modules_over(tmp_path) == [("viewer/qt/long.py", 501)]
