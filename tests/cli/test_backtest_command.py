"""`leadflow backtest` end to end on the shop example and its synthetic outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shop_log import leadflow

ROOT = Path(__file__).resolve().parents[2]
SHOP = str(ROOT / "examples" / "zapateria.leadflow")
EVENTS = str(ROOT / "examples" / "data" / "zapateria_events.csv")
LEADS = str(ROOT / "examples" / "data" / "zapateria_leads.csv")
OUTCOMES = str(ROOT / "examples" / "data" / "zapateria_outcomes.csv")


def backtest(*args: str):
    return leadflow("backtest", SHOP, EVENTS, "--leads", LEADS, "--outcomes", OUTCOMES, *args)


def test_text_report_has_every_section():
    result = backtest("--horizon", "30d", "--until", "2024-07-01")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Backtest of zapateria: 5 cutoffs from 2024-02-01 to 2024-06-01")
    for heading in ("Scores as predictors", "engagement by decile", "Stages as predictors",
                    "Time from first entering a stage", "Per cutoff"):
        assert heading in out


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_json_report_is_the_same_for_both_engines(engine):
    result = backtest("--horizon", "30d", "--every", "2 weeks", "--format", "json",
                      "--engine", engine)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    overall = data["overall"]
    assert overall["samples"] == sum(c["samples"] for c in data["per_cutoff"])
    assert overall["converted"] == sum(c["converted"] for c in data["per_cutoff"])
    auc = overall["scores"]["engagement"]["roc_auc"]
    assert 0.5 < auc <= 1
    assert sum(d["leads"] for d in overall["scores"]["engagement"]["deciles"]) == overall["samples"]
    assert [s["stage"] for s in overall["stages"]] == ["visitor", "mql", "sql"]
    assert overall["stages"][0]["recall_at_or_above"] == 1.0
    reference = backtest("--horizon", "30d", "--every", "2 weeks", "--format", "json",
                         "--engine", "interpreter")
    assert json.loads(reference.stdout) == data


@pytest.mark.parametrize("args, message", [
    (["--horizon", "soon"], "--horizon: cannot read duration"),
    (["--every", "0d"], "--every: cannot read duration"),
    (["--horizon", "2 years"], "no cutoff has a whole horizon"),
    (["--cutoff", "someday"], "--cutoff: cannot read time"),
], ids=["horizon", "every", "too-long", "cutoff"])
def test_usage_errors_exit_2_with_one_line(args, message):
    result = backtest(*args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_outcomes_without_converted_at_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("lead_id,when\nZ0001,2024-03-01\n")
    result = leadflow("backtest", SHOP, EVENTS, "--outcomes", str(bad))
    assert result.exit_code == 2
    assert "no conversion time column 'converted_at'" in result.stderr


def test_rejected_outcome_rows_are_a_warning(tmp_path):
    outcomes = tmp_path / "o.csv"
    outcomes.write_text(Path(OUTCOMES).read_text() + "Z0001,not a time,30\n")
    result = leadflow("backtest", SHOP, EVENTS, "--outcomes", str(outcomes), "--horizon", "30d")
    assert result.exit_code == 0
    assert "1 row rejected (first: row 134: cannot read converted_at 'not a time')" in result.stderr
