"""The package map holds: product code has no test files, Hypothesis stays in the
strategies module, and only runtime/interpreter/ reaches into its own internals."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("leadflow", "dsl", "compiler", "runtime", "semantics", "grammars")


def imported_modules(path: Path) -> list[str]:
    """The modules a file imports (at any depth, docstrings aside)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def product_files() -> list[Path]:
    return sorted(p for folder in PRODUCT for p in (ROOT / folder).rglob("*.py"))


def test_no_test_files_in_product_code():
    assert [str(p.relative_to(ROOT)) for p in product_files() if p.name.startswith("test_")] == []


def test_hypothesis_is_imported_by_the_strategies_module_only():
    importers = [str(p.relative_to(ROOT)) for p in product_files()
                 if any(m.split(".")[0] == "hypothesis" for m in imported_modules(p))]
    assert importers == ["leadflow/testing/strategies.py"]


@pytest.mark.parametrize("module", ["leadflow.testing", "leadflow.testing.plugin",
                                    "leadflow.commands.test"])
def test_test_blocks_run_without_hypothesis(module):
    code = f"import sys, {module}; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_only_the_interpreter_imports_its_internals():
    """Everything else uses the public API listed in runtime/interpreter/__init__.py."""
    prefix = "leadflow.runtime.interpreter."
    outside = {str(p.relative_to(ROOT)): [m for m in imported_modules(p) if m.startswith(prefix)]
               for p in product_files() if p.parent != ROOT / "runtime" / "interpreter"}
    assert {path: found for path, found in outside.items() if found} == {}


def test_the_readme_map_names_every_package_and_its_folder():
    """README "Where things are" has a row `leadflow.X` | `folder/` for each package."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    folders = {name: config["package-dir"].get(name) for name in config["packages"]}
    for name in config["packages"]:  # a package not in package-dir lives under its parent's
        if folders[name] is None:
            parent, _, last = name.rpartition(".")
            folders[name] = f"{folders[parent]}/{last}"
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    missing = [name for name, folder in folders.items()
               if f"| `{name}` | `{folder}/` |" not in section]
    assert missing == []
