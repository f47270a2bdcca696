"""`leadflow compile FILE -o OUT.py`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadflow.api import load_text
from leadflow.cli import cli
from leadflow.compiler import dead_rule_warnings

ROOT = Path(__file__).resolve().parents[2]
RULES = "event buy(amount: number)\nscore a min 0\nrule big: on buy where amount > 100 add 10\n"

STANDALONE = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("rules", sys.argv[1])
rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rules)
lead = rules.new_lead("l1", {})
rules.feed(lead, 1_717_200_000_000_000, "buy", {"amount": 150.0})
rules.advance(lead, 1_717_300_000_000_000)
print(rules.result(lead).scores, sorted(m for m in sys.modules if m.split(".")[0] == "leadflow"))
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def compile_cli(*args: str, cwd: Path):
    """`leadflow compile ARGS` in a fresh directory holding rules.leadflow; (result, .py files)."""
    work = cwd / f"run{len(list(cwd.iterdir()))}"
    work.mkdir()
    (work / "rules.leadflow").write_text(RULES, encoding="utf-8")
    os.chdir(work)
    result = CliRunner().invoke(cli, ["compile", *args])
    files = {p.name: p.read_text(encoding="utf-8") for p in work.iterdir() if p.suffix == ".py"}
    return result, files


def test_writes_a_standalone_module_that_runs_without_leadflow(tmp_path):
    result, files = compile_cli("rules.leadflow", "-o", "rules.py", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    module = tmp_path / "standalone.py"
    module.write_text(files["rules.py"], encoding="utf-8")
    # -I -S: isolated, no site-packages: only the standard library can be imported.
    done = subprocess.run([sys.executable, "-I", "-S", "-c", STANDALONE, str(module)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "{'a': 10.0} []"


def test_the_same_input_writes_the_same_bytes(tmp_path):
    first = compile_cli("rules.leadflow", "-o", "one.py", cwd=tmp_path)[1]["one.py"]
    second = compile_cli("rules.leadflow", "-o", "two.py", cwd=tmp_path)[1]["two.py"]
    assert first == second


def test_dash_writes_to_standard_output(tmp_path):
    result, files = compile_cli("rules.leadflow", "-o", "-", cwd=tmp_path)
    assert result.exit_code == 0 and result.output.startswith('"""A leadflow ruleset compiled')
    assert files == {}


def test_a_ruleset_with_errors_exits_1_with_its_diagnostics():
    Path("bad.leadflow").write_text("event buy\nrule r: on buyy add 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["compile", "bad.leadflow", "-o", "out.py"])
    assert result.exit_code == 1
    assert "bad.leadflow:2:" in result.output and "buyy" in result.output
    assert not Path("out.py").exists()


def test_a_rule_that_can_never_fire_is_reported_and_left_out():
    Path("dead.leadflow").write_text(RULES + "rule never: on buy where 2 < 1 add 5\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["compile", "dead.leadflow", "-o", "out.py"])
    assert result.exit_code == 0
    assert "dead.leadflow:4:1: warning: rule `never` can never fire" in result.output
    assert "'never'" not in Path("out.py").read_text(encoding="utf-8").split("_SOURCES")[1]


def test_usage_errors_exit_2(tmp_path):
    assert compile_cli("rules.leadflow", cwd=tmp_path)[0].exit_code == 2  # no -o
    result, _ = compile_cli("rules.leadflow", "-o", "no/such/dir/out.py", cwd=tmp_path)
    assert result.exit_code == 2 and "cannot write" in result.output


def test_passes_can_be_turned_off(tmp_path):
    plain = compile_cli("rules.leadflow", "-o", "p.py", "--no-optimize", cwd=tmp_path)[1]["p.py"]
    skipped = compile_cli("rules.leadflow", "-o", "s.py", "--skip-pass", "dispatch_by_event",
                          cwd=tmp_path)[1]["s.py"]
    optimized = compile_cli("rules.leadflow", "-o", "o.py", cwd=tmp_path)[1]["o.py"]
    assert len({plain, skipped, optimized}) == 3


def test_emit_ir_shows_what_the_passes_decided(tmp_path):
    def ir(*options: str) -> str:
        result = compile_cli("rules.leadflow", "--emit", "ir", "-o", "-", *options, cwd=tmp_path)[0]
        assert result.exit_code == 0, result.output
        return result.stdout

    optimized = ir()
    assert optimized.startswith("Program\n")
    where = "where: Compare(op='>', left=Field(name='amount'), right=Const(value=100))"
    called = "where: FilterCall(operand=Compare(op='>', left=Field(name='amount'), right=Const(value=100)))"
    dispatch = "  dispatch: Dispatch\n    branches: (1)\n      -: EventBranch(event=0, rules=(0,))\n"
    assert f"      {where}" in optimized and dispatch in optimized
    skip_dispatch = ir("--skip-pass", "dispatch_by_event")
    assert "dispatch" not in skip_dispatch and f"      {where}" in skip_dispatch
    skip_inline = ir("--skip-pass", "inline_filters")
    assert f"      {called}" in skip_inline and dispatch in skip_inline
    plain = ir("--no-optimize")
    assert "dispatch" not in plain and f"      {called}" in plain
    assert ir() == optimized


def test_dead_rule_warnings_for_leadflow_check():
    loaded = load_text(RULES + "rule never: on buy where amount > 1 and 2 < 1 add 5\n", "w.leadflow")
    (found,) = dead_rule_warnings(loaded.model)
    assert not found.is_error and (found.span.file, found.span.line) == ("w.leadflow", 4)
    assert "rule `never` can never fire" in found.render(loaded.sources["w.leadflow"])
    assert dead_rule_warnings(load_text(RULES, "ok.leadflow").model) == []


def test_check_warns_about_rules_that_can_never_fire(tmp_path):
    """`leadflow check` shows the optimizer's dead-rule verdict as a warning, and still exits 0."""
    path = tmp_path / "dead.leadflow"
    path.write_text("event e(n: number)\nrule never: on e where 1 > 2 add 5\nrule ok: on e add 1\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0
    assert "dead.leadflow:2:1: warning: rule `never` can never fire" in result.output
