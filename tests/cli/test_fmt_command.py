"""`leadflow fmt`: directories and `--diff` (issue 11)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from leadflow.commands.fmt import command

MESSY = "event  purchase(amount:number)\non purchase   add 1\n"
TIDY = "event purchase(amount: number)\non purchase add 1\n"


def invoke(*args: str):
    return CliRunner().invoke(command, list(args), catch_exceptions=False)


def test_diff_prints_the_change_and_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    path = tmp_path / "a.leadflow"
    path.write_text(MESSY)
    result = invoke("--diff", str(path))
    assert result.exit_code == 1
    assert path.read_text() == MESSY
    assert result.stdout.splitlines()[:2] == [f"--- {path}", f"+++ {path}"]
    assert "-on purchase   add 1" in result.stdout and "+on purchase add 1" in result.stdout
    assert f"would reformat {path}" in result.stderr
    # The diff applies: `patch` turns the file into the formatted one.
    done = subprocess.run(["patch", "-s", str(path)], input=result.stdout, text=True,
                          capture_output=True, check=False)
    if done.returncode == 0:
        assert path.read_text() == TIDY


def test_diff_of_a_formatted_file_is_empty(tmp_path):
    path = tmp_path / "a.leadflow"
    path.write_text(TIDY)
    result = invoke("--diff", str(path))
    assert (result.exit_code, result.stdout) == (0, "")


def test_no_path_formats_every_rule_file_below_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    for name in ("a.leadflow", "sub/b.leadflow"):
        (tmp_path / name).write_text(MESSY)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.leadflow").write_text(MESSY)
    monkeypatch.chdir(tmp_path)
    result = invoke()
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["reformatted a.leadflow",
                                          f"reformatted {Path('sub/b.leadflow')}"]
    assert (tmp_path / "sub" / "b.leadflow").read_text() == TIDY
    assert (tmp_path / ".git" / "c.leadflow").read_text() == MESSY
