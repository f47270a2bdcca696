"""`leadflow --help` and `leadflow run --help` start without the heavy libraries.

Structural, not timed: the time is printed by bench/startup_bench.py. What makes
help slow is importing duckdb, pyarrow (and numpy), jinja2 or lark, so the test
checks, in a fresh interpreter, that none of them was imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

from leadflow.cli import cli
from leadflow.commands import COMMAND_NAMES, SUMMARIES, LazyGroup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAVY = ("duckdb", "pyarrow", "numpy", "jinja2", "lark")

PROBE = f"""
import json, sys
from leadflow.cli import cli
code = 0
try:
    cli.main(args=sys.argv[1:], prog_name="leadflow", standalone_mode=True)
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
print(json.dumps({{"code": code, "loaded": loaded}}))
"""


def modules_after(*args: str, cache: str | None = None) -> tuple[str, list[str]]:
    env = {**os.environ, **({"LEADFLOW_CACHE_DIR": cache} if cache else {})}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          check=True, env=env)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None)
    return done.stdout, report["loaded"]


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"]],
                         ids=["help", "run-help", "version"])
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    out, loaded = modules_after(*args)
    assert loaded == []
    assert "Usage: leadflow" in out or "leadflow, version" in out


def test_the_probe_sees_heavy_imports(tmp_path) -> None:
    """The probe would notice: a real `check` imports lark, the parser (the first time:
    dsl/parse_cache.py keeps the tree of a file parsed before)."""
    shop = os.path.join(ROOT, "examples", "zapateria.leadflow")
    _, loaded = modules_after("check", shop, cache=str(tmp_path))
    assert "lark" in loaded
    _, loaded = modules_after("check", shop, cache=str(tmp_path))
    assert "lark" not in loaded


def test_summaries_are_the_commands_own_first_paragraphs() -> None:
    assert set(SUMMARIES) == set(COMMAND_NAMES)
    group = LazyGroup()
    for name in COMMAND_NAMES:
        command = group.get_command(click.Context(cli), name)
        first = command.help.split("\n\n")[0].strip()
        assert " ".join(first.split()) == SUMMARIES[name], name


def test_help_lists_every_command_with_its_summary() -> None:
    from click.testing import CliRunner

    out = CliRunner().invoke(cli, ["--help"], terminal_width=200).output
    for name in COMMAND_NAMES:
        assert f"  {name}" in out
    assert SUMMARIES["run"] in out
