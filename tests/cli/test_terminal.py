"""Colour, rule-file discovery and shell completion, shared by the commands (issue 11)."""

from __future__ import annotations

import io
import re

from click.testing import CliRunner

from leadflow.cli import cli
from leadflow.files import files_under
from leadflow.terminal import colour_diagnostics, counts_line, wants_colour

RENDERED = """\
a.leadflow:2:4: error: unknown event `purchse`
 2 | on purchse add 1
   |    ^^^^^^^
  hint: did you mean `purchase`?
a.leadflow:3:1: warning: something
 3 | x
   | ^"""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colouring_changes_nothing_but_the_colours():
    coloured = colour_diagnostics(RENDERED)
    assert coloured != RENDERED
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == RENDERED
    assert "\x1b[33m" in coloured.splitlines()[-1]  # a warning's caret is yellow


def test_colour_follows_the_terminal_and_the_environment(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert wants_colour(_Tty()) and not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(_Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not wants_colour(_Tty())  # NO_COLOR wins
    monkeypatch.delenv("NO_COLOR")
    assert wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "")  # empty: not set
    assert wants_colour(io.StringIO())


def test_counts_line():
    assert counts_line(2, 1) == "2 errors, 1 warning"
    assert counts_line(1, 0, 3) == "1 error, 0 warnings in 3 files"


def test_files_under_are_sorted_and_skip_hidden_and_tool_directories(tmp_path):
    for name in ("b.leadflow", "a/z.leadflow", "a_b/x.leadflow", "a/.x.leadflow",
                 ".venv/v.leadflow", "venv/v.leadflow", "a/__pycache__/p.leadflow", "c.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = [p[len(str(tmp_path)) + 1:].replace("\\", "/") for p in files_under(str(tmp_path))]
    assert found == ["a/z.leadflow", "a_b/x.leadflow", "b.leadflow"]


def test_bash_completion_script_and_answers():
    """The completion documented in docs/cli.md: `eval "$(_LEADFLOW_COMPLETE=bash_source leadflow)"`."""
    runner = CliRunner()
    script = runner.invoke(cli, [], prog_name="leadflow",
                           env={"_LEADFLOW_COMPLETE": "bash_source"})
    assert "_leadflow_completion()" in script.output
    answer = runner.invoke(cli, [], prog_name="leadflow",
                           env={"_LEADFLOW_COMPLETE": "bash_complete",
                                "COMP_WORDS": "leadflow in", "COMP_CWORD": "1"})
    assert "plain,init" in answer.output.splitlines()
