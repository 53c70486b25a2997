"""Imports point down only: dashboard -> extract -> geodata (import-linter, and a plain AST check)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# package -> project packages it must never import
FORBIDDEN = {"geodata": {"extract", "dashboard"}, "extract": {"dashboard"}}


def _lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports not installed (pip install -e '.[test]')")
    return found


def test_import_linter_layers_contract_is_kept():
    done = subprocess.run([_lint_imports()], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout or "0 broken" in done.stdout


def _imported_packages(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_import_no_higher_layer(package):
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"no modules found in {package}/"
    offences = [f"{path.relative_to(REPO)}:{line} imports {name}"
                for path in files for name, line in _imported_packages(path) if name in FORBIDDEN[package]]
    assert offences == []


def test_the_ast_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from dashboard.cli import app\n    import extract.pipeline as p\n")
    assert {name for name, _ in _imported_packages(module)} == {"dashboard", "extract"}
