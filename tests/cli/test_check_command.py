"""`leadflow check`: directories, the count line, --strict, --format json|github (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadflow.commands.check import command, github_annotation
from leadflow.dsl import ast
from leadflow.dsl.diagnostics import error

GOOD = "event purchase(amount: number)\non purchase add 1\n"
WARNS = "event purchase(amount: number)\non purchase count >= 3 add 15\n"
BAD = "event purchase(amount: number)\non purchse add 1\non purchase add 1 to nope\n"


@pytest.fixture(autouse=True)
def _plain(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


def invoke(*args: str):
    return CliRunner().invoke(command, list(args), catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_last_line_counts_errors_and_warnings(tmp_path):
    write(tmp_path / "a.leadflow", BAD)
    write(tmp_path / "b.leadflow", WARNS)
    result = invoke(str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "2 errors, 1 warning in 2 files"


def test_warnings_alone_pass_and_strict_makes_them_errors(tmp_path):
    path = str(write(tmp_path / "w.leadflow", WARNS))
    plain = invoke(path)
    assert plain.exit_code == 0
    assert ": warning: this rule fires on every `purchase`" in plain.stderr
    strict = invoke("--strict", path)
    assert strict.exit_code == 1
    assert ": error: this rule fires on every `purchase`" in strict.stderr
    assert strict.stderr.splitlines()[-1] == "1 error, 0 warnings in 1 file"


def test_a_clean_file_says_so(tmp_path):
    result = invoke(str(write(tmp_path / "g.leadflow", GOOD)))
    assert (result.exit_code, result.stderr) == (0, "0 errors, 0 warnings in 1 file\n")


def test_no_path_means_the_current_directory_and_its_subdirectories(tmp_path, monkeypatch):
    write(tmp_path / "top.leadflow", GOOD)
    write(tmp_path / "rules" / "deep" / "bad.leadflow", BAD)
    write(tmp_path / ".hidden" / "skip.leadflow", BAD)
    write(tmp_path / ".venv" / "lib" / "skip.leadflow", BAD)
    write(tmp_path / "node_modules" / "skip.leadflow", BAD)
    write(tmp_path / "notes.txt", "not a rule file")
    monkeypatch.chdir(tmp_path)
    result = invoke()
    assert result.exit_code == 1
    assert "rules/deep/bad.leadflow:2:4: error: unknown event `purchse`" in result.stderr
    assert "skip.leadflow" not in result.stderr
    assert result.stderr.splitlines()[-1] == "2 errors, 0 warnings in 2 files"


def test_a_directory_without_rule_files_is_a_usage_error(tmp_path):
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"error: no .leadflow files in {tmp_path} or below it\n"


def test_a_missing_file_is_a_usage_error(tmp_path):
    result = invoke(str(tmp_path / "nope.leadflow"))
    assert result.exit_code == 2  # docs/cli.md: a missing file is a usage error
    assert result.stderr == f"error: {tmp_path / 'nope.leadflow'}: no such file\n"


def test_format_json(tmp_path):
    path = str(write(tmp_path / "a.leadflow", BAD))
    result = invoke("--format", "json", path)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["files"], report["errors"], report["warnings"]) == (1, 2, 0)
    first = report["diagnostics"][0]
    assert first == {"file": path, "line": 2, "column": 4, "end_line": 2, "end_column": 11,
                     "severity": "error", "message": "unknown event `purchse`",
                     "hint": "did you mean `purchase`?"}


def test_format_github_writes_one_annotation_per_diagnostic(tmp_path):
    path = str(write(tmp_path / "a.leadflow", BAD))
    result = invoke("--format", "github", path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0] == (f"::error file={path},line=2,col=4,endLine=2,endColumn=11,"
                        "title=leadflow check::unknown event `purchse`%0Ahint: did you mean "
                        "`purchase`?")


def test_github_annotations_escape_what_github_reads_as_syntax():
    span = ast.Span("a,b:c.leadflow", 3, 1, 4, 2)
    line = github_annotation(error("100% wrong\nreally", span))
    assert line == "::error file=a%2Cb%3Ac.leadflow,line=3,col=1,title=leadflow check::" \
                   "100%25 wrong%0Areally"


def test_a_tests_file_and_its_ruleset_report_the_ruleset_error_once(tmp_path):
    write(tmp_path / "shop.leadflow", BAD)
    write(tmp_path / "shop_tests.leadflow", 'tests for "shop.leadflow"\n')
    result = invoke(str(tmp_path))
    assert result.stderr.count("unknown event `purchse`") == 1


def test_colour_is_forced_by_force_color_and_refused_by_no_color(tmp_path, monkeypatch):
    path = str(write(tmp_path / "a.leadflow", BAD))
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = invoke(path)
    assert "\x1b[31m" in coloured.stderr  # a red `error`
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in invoke(path).stderr
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "0")
    assert "\x1b[" not in invoke(path).stderr


def test_no_colour_in_a_pipe_by_default(tmp_path):
    assert "\x1b[" not in invoke(str(write(tmp_path / "a.leadflow", BAD))).stderr
