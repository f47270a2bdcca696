"""`leadflow init`: a starter that passes check, fmt, test and run, end to end (issue 11)."""

from __future__ import annotations

import csv
import os

from click.testing import CliRunner

from leadflow.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_then_check_fmt_test_and_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = invoke("init", "shop")
    assert made.exit_code == 0, made.output
    assert "created shop/rules.leadflow" in made.stdout
    assert "leadflow run shop/rules.leadflow shop/events.csv --out shop/out" in made.stdout

    checked = invoke("check", "shop")
    assert (checked.exit_code, checked.stderr) == (0, "0 errors, 0 warnings in 1 file\n")
    assert invoke("fmt", "--check", "shop").exit_code == 0
    tested = invoke("test", "-v", "--fail-under", "100", "shop")
    assert tested.exit_code == 0, tested.output
    assert "5 passed, 0 failed" in tested.stdout

    ran = invoke("run", "shop/rules.leadflow", "shop/events.csv", "--out", "shop/out", "--quiet")
    assert ran.exit_code == 0, ran.output
    with open("shop/out/leads.csv", newline="", encoding="utf-8") as handle:
        leads = {row["lead_id"]: row for row in csv.DictReader(handle)}
    assert sorted(leads) == ["L001", "L002", "L003"]
    assert leads["L001"]["stage"] == "customer"
    assert leads["L003"]["stage"] == "mql"
    with open("shop/out/rejects.csv", newline="", encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == []  # every sample row is applied


def test_init_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = invoke("init")
    assert made.exit_code == 0
    assert sorted(os.listdir(tmp_path)) == ["events.csv", "rules.leadflow"]
    assert "  leadflow check\n" in made.stdout


def test_init_never_overwrites(tmp_path):
    (tmp_path / "events.csv").write_text("mine")
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'events.csv'} already exists; nothing was written\n"
    assert (tmp_path / "events.csv").read_text() == "mine"
    assert not (tmp_path / "rules.leadflow").exists()
