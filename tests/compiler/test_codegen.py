"""Generated source: golden files, determinism, and that it compiles and passes ruff.

Golden files (tests/compiler/golden/*.py.golden) hold the generated module of a
ruleset, with the compiler version and the embedded source (the semantics
core, semantics/*.py, and compiler/module_support.py, pasted by
compiler/embed.py) left out (they change for reasons of their own;
tests/test_one_semantics.py checks the embedded functions). After a deliberate change to the code generator, regenerate them
and review the diff:

    LEADFLOW_UPDATE_GOLDEN=1 .venv/bin/pytest tests/compiler/test_codegen.py
"""

from __future__ import annotations

import json
import os
import py_compile
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leadflow.api import load_file
from leadflow.compiler import compile_model

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LEADFLOW_UPDATE_GOLDEN") == "1"
EMBEDDED = re.compile(r"(# -+ time arithmetic \(semantics/timemath\.py\)\n).*?(?=\n# -+ the ruleset)", re.DOTALL)

CASES = [
    ("seed", ROOT / "bench" / "seed.leadflow", True),
    ("features", GOLDEN / "features.leadflow", True),
    ("features_plain", GOLDEN / "features.leadflow", False),
]
RULESETS = [ROOT / "bench" / "seed.leadflow", GOLDEN / "features.leadflow",
            *sorted((ROOT / "examples").glob("*.leadflow"))]


def generated(path: Path, optimized: bool = True) -> str:
    loaded = load_file(os.path.relpath(path, ROOT))
    if loaded.model is None:
        pytest.skip(f"{path.name} does not check: {loaded.render()}")
    return compile_model(loaded.model, optimized)


def normalized(source: str) -> str:
    """Without the version and the embedded semantics core (source-map lines count from each `def`)."""
    source = re.sub(r"^COMPILER_VERSION = .*$", "COMPILER_VERSION = '<version>'", source, flags=re.MULTILINE)
    return EMBEDDED.sub(r"\1\n<the semantics core: compiler/embed.py>\n", source)


@pytest.fixture(autouse=True)
def from_the_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # rule file paths (in the source map) are relative to the repository


@pytest.mark.parametrize("name, path, optimized", CASES, ids=[c[0] for c in CASES])
def test_golden(name, path, optimized):
    got = normalized(generated(path, optimized))
    golden = GOLDEN / f"{name}.py.golden"
    if UPDATE or not golden.exists():
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8"), \
        f"{golden.name} differs (LEADFLOW_UPDATE_GOLDEN=1 to regenerate, then review the diff)"


def test_the_same_input_gives_byte_identical_output_across_processes():
    """Two processes with different hash seeds (set and dict order must not leak in)."""
    script = ("import sys; from leadflow.api import load_file; from leadflow.compiler import "
              "compile_model; sys.stdout.write(compile_model(load_file(sys.argv[1]).model))")
    outputs = set()
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", script, "tests/compiler/golden/features.leadflow"],
                              capture_output=True, text=True, check=True, cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.add(done.stdout)
    outputs.add(generated(GOLDEN / "features.leadflow"))
    assert len(outputs) == 1


@pytest.mark.parametrize("path", RULESETS, ids=[p.stem for p in RULESETS])
@pytest.mark.parametrize("optimized", [True, False], ids=["optimized", "plain"])
def test_generated_code_compiles_and_passes_ruff(path, optimized, tmp_path):
    source = generated(path, optimized)
    target = tmp_path / f"{path.stem}.py"
    target.write_text(source, encoding="utf-8")
    py_compile.compile(str(target), doraise=True)
    assert "import leadflow" not in source and "from leadflow" not in source
    findings = ruff(target)
    assert not findings, "\n".join(f"{f['location']['row']}: {f['code']} {f['message']}" for f in findings)


def ruff(path: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "json",
                           "--config", str(ROOT / "pyproject.toml"), str(path)],
                          capture_output=True, text=True, cwd=path.parent, check=False)
    if done.returncode not in (0, 1):
        pytest.fail(f"ruff failed to run: {done.stderr}")
    return json.loads(done.stdout or "[]")


def test_the_module_imports_only_the_standard_library():
    source = generated(GOLDEN / "features.leadflow")
    imported = set(re.findall(r"^(?:from|import) ([a-z_]+)", source, flags=re.MULTILINE))
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
