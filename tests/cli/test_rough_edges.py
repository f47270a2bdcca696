"""Issue 10's rough edges in check, test, explain and compile: exit codes and no silent choices."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from shop_log import leadflow, write_events, write_ruleset

ROOT = Path(__file__).resolve().parents[2]


def test_check_on_a_missing_file_is_a_usage_error():
    result = leadflow("check", "no/such.leadflow")
    assert result.exit_code == 2 and result.stderr.strip() == "error: no/such.leadflow: no such file"


def test_check_a_directory_checks_the_rule_files_under_it(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.leadflow").write_text("event e\nrule r: on nope add 1\n")
    (tmp_path / "good.leadflow").write_text("event e\nrule r: on e add 1\n")
    result = leadflow("check", tmp_path)
    assert result.exit_code == 1 and "bad.leadflow:2" in result.stderr
    assert leadflow("check", ROOT / "examples").exit_code == 0
    (tmp_path / "empty").mkdir()
    assert leadflow("check", tmp_path / "empty").exit_code == 2


def test_test_coverage_on_a_missing_file_is_a_usage_error_not_100_percent():
    result = leadflow("test", "--coverage", "no/such.leadflow")
    assert result.exit_code == 2 and "100" not in result.stdout


def test_fail_under_nan_is_refused():
    result = leadflow("test", "--fail-under", "nan", ROOT / "examples" / "zapateria.leadflow")
    assert result.exit_code == 2 and "nan" in result.stderr


def test_explain_with_two_leads_is_refused(tmp_path):
    result = leadflow("explain", write_ruleset(tmp_path), write_events(tmp_path, "csv"),
                      "--lead", "ana", "--lead", "bob")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --lead given 2 times; explain one lead per command"


def test_compile_output_follows_the_umask_and_a_symlink(tmp_path):
    rules = write_ruleset(tmp_path)
    target = tmp_path / "real.py"
    target.write_text("old")
    link = tmp_path / "link.py"
    os.symlink(target, link)
    old = os.umask(0o022)
    try:
        assert leadflow("compile", rules, "-o", link).exit_code == 0
    finally:
        os.umask(old)
    assert link.is_symlink() and "old" != target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
