"""The layer contract of pyproject.toml holds (STYLE.md, "The house"): a wrong arrow fails here."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept() -> None:
    """`lint-imports` finds every contract of pyproject.toml kept."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.fail("import-linter is not installed: it is part of the test extra")
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout, result.stdout[-4000:]


CORE_MAY_IMPORT = frozenset({"numpy", "scipy"})
"""Beyond the standard library and viewer.core itself: core is numpy/scipy only (STYLE.md)."""


def imports_of(package: Path) -> dict[str, set[str]]:
    """For each module under ``package`` (by its path there): the modules it imports, absolute."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[path.relative_to(package).as_posix()] = names
    return found


def outside_core(imports: dict[str, set[str]]) -> dict[str, list[str]]:
    """The imports that are neither the standard library, numpy, scipy nor viewer.core, by module."""
    allowed = set(sys.stdlib_module_names) | CORE_MAY_IMPORT

    def wrong(name: str) -> bool:
        root = name.split(".")[0]
        return not (root in allowed or name == "viewer.core" or name.startswith("viewer.core."))

    return {
        module: sorted(filter(wrong, names)) for module, names in imports.items() if any(map(wrong, names))
    }


def test_core_imports_only_numpy_scipy_and_the_standard_library() -> None:
    """Every import of viewer/core is of the standard library, numpy, scipy or viewer.core itself."""
    imports = imports_of(ROOT / "viewer" / "core")
    assert len(imports) > 20 and any("numpy" in names for names in imports.values())
    assert outside_core(imports) == {}


def test_an_import_from_outside_core_is_found(tmp_path: Path) -> None:
    """A module importing requests or viewer.dicom is named; numpy, math and core are not (it can fail)."""
    (tmp_path / "a.py").write_text(
        "import math\nimport numpy as np\nfrom requests import get\n", encoding="utf-8"
    )
    (tmp_path / "b.py").write_text(
        "from viewer.core.geometry import Spacing\nimport viewer.dicom.image\n", encoding="utf-8"
    )
    (tmp_path / "c.py").write_text("from scipy import ndimage\nfrom . import a\n", encoding="utf-8")
    assert outside_core(imports_of(tmp_path)) == {"a.py": ["requests"], "b.py": ["viewer.dicom.image"]}
