"""`leadflow fit` end to end: a patch on stdout, the weights and AUCs on stderr."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest
from shop_log import leadflow

ROOT = Path(__file__).resolve().parents[2]
SHOP = "examples/zapateria.leadflow"
DATA = ROOT / "examples" / "data"
ARGS = [str(DATA / "zapateria_events.csv"), "--outcomes", str(DATA / "zapateria_outcomes.csv"),
        "--horizon", "30d", "--until", "2024-07-01"]


def test_missing_scikit_learn_is_one_line_and_exit_2(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))
    result = leadflow("fit", str(ROOT / SHOP), *ARGS)
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: leadflow fit needs scikit-learn, which is not "
                                     "installed: pip install 'leadflow[fit]'")


pytest.importorskip("sklearn")


def test_fit_prints_a_patch_that_applies_and_the_held_out_aucs(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    suggested = tmp_path / "suggested.leadflow"
    result = leadflow("fit", SHOP, *ARGS, "-o", str(suggested))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"--- a/{SHOP}\n+++ b/{SHOP}\n")
    assert "Held-out ROC AUC of engagement: current points 0." in result.stderr
    assert "Not fitted: sales_says_cold (percentage)" in result.stderr
    # The patch turns the ruleset into the suggested file, and that file checks clean.
    copy = tmp_path / "repo"
    (copy / "examples").mkdir(parents=True)
    (copy / SHOP).write_text((ROOT / SHOP).read_text("utf-8"), "utf-8")
    subprocess.run(["patch", "-s", "-p1", "-d", str(copy)], input=result.stdout, text=True,
                   check=True)
    assert (copy / SHOP).read_text("utf-8") == suggested.read_text("utf-8")
    assert leadflow("check", str(suggested)).exit_code == 0


def test_an_unknown_score_is_a_usage_error():
    result = leadflow("fit", str(ROOT / SHOP), *ARGS, "--score", "fitness")
    assert result.exit_code == 2
    assert "--score fitness: the ruleset has no such score (scores: engagement)" in result.stderr


def test_nothing_to_fit_exits_1(tmp_path):
    rules = tmp_path / "tags.leadflow"
    rules.write_text('event email_open\nrule t: on email_open tag "reader"\n')
    result = leadflow("fit", str(rules), *ARGS)
    assert result.exit_code == 1
    assert "nothing to fit" in result.stderr and "Traceback" not in result.stderr
