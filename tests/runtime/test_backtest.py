"""`backtest` scores each lead at each cutoff from the events strictly before it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.backtest import BacktestOptions, backtest
from leadflow.runtime.driver import RunOptions
from leadflow.runtime.interpreter import Interpreter
from leadflow.runtime.readers import InputError, InputFile

RULES = '''\
timezone "Europe/Madrid"
event open
event buy(amount: number)
score points
stage cold
stage warm when points >= 5
rule o: on open add 1
rule b: on buy where amount > 10 add 5
rule cool: every 7 days without activity subtract 1
'''

EVENTS = [("ann", "open", "2024-01-01 10:00", ""), ("ann", "buy", "2024-01-10 10:00", "20"),
          ("bob", "open", "2024-01-02 10:00", ""), ("cy", "open", "2024-01-20 10:00", "")]
# Rows that would change ann's and bob's scores, stamped at and after the first cutoff.
LATER = [("ann", "buy", "2024-01-15 00:00", "50"), ("bob", "open", "2024-01-16 08:00", ""),
         ("bob", "buy", "2024-01-16 09:00", "50")]
CUTOFFS = ("2024-01-15", "2024-02-01")


def write(path: Path, header: list[str], rows: list[tuple]) -> InputFile:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return InputFile(str(path), "csv")


def run_backtest(tmp_path: Path, engine_type, rows, outcomes=(("ann", "2024-01-25 12:00", "30"),)):
    engine = engine_type(load_text(RULES, "t.leadflow").model)
    events = write(tmp_path / f"events{len(rows)}.csv", ["lead_id", "event", "ts", "amount"], rows)
    results = write(tmp_path / "outcomes.csv", ["lead_id", "converted_at", "value"], list(outcomes))
    options = BacktestOptions(results, (30, "day"), (1, "month"), CUTOFFS)
    return engine, backtest(engine, RunOptions([events]), options)


def snapshot(report, k):
    return {s.lead_id: (s.scores, s.stage, s.converted) for s in report.samples if s.cutoff == k}


ENGINES = pytest.mark.parametrize("engine_type", [Interpreter, CompiledEngine],
                                  ids=["interpreter", "compiled"])


@ENGINES
def test_no_leakage_an_event_after_a_cutoff_leaves_that_cutoffs_score_unchanged(tmp_path, engine_type):
    _, before = run_backtest(tmp_path, engine_type, EVENTS)
    _, after = run_backtest(tmp_path, engine_type, EVENTS + LATER)
    assert snapshot(after, 0) == snapshot(before, 0)
    assert snapshot(before, 0)["ann"] == ((5.0,), "warm", True)  # 1 - 1 (a quiet week) + 5
    # The later rows do change the scores, at the next cutoff.
    assert snapshot(after, 1)["bob"] != snapshot(before, 1)["bob"]


@ENGINES
def test_populations_and_labels(tmp_path, engine_type):
    _, report = run_backtest(tmp_path, engine_type, EVENTS)
    first, second = snapshot(report, 0), snapshot(report, 1)
    assert set(first) == {"ann", "bob"}  # cy's first event comes after the first cutoff
    assert first["bob"][2] is False
    assert set(second) == {"bob", "cy"}  # ann converted before the second cutoff
    assert report.overall.samples == 4 and report.overall.converted == 1
    assert report.overall.scores[0].auc == 1.0  # ann outscored bob
    assert [(g.name, g.value) for g in report.overall.stages] == [("cold", 0.0), ("warm", 30.0)]
    timing = {t.stage: t for t in report.timing}
    # ann: first event 2024-01-01 10:00 (cold), warm at the buy on 01-10 10:00, converted 01-25 12:00.
    assert timing["cold"].median_us == (24 * 86400 + 2 * 3600) * 1_000_000
    assert timing["warm"].median_us == (15 * 86400 + 2 * 3600) * 1_000_000


def test_cutoffs_without_a_whole_horizon_are_left_out(tmp_path):
    engine = Interpreter(load_text(RULES, "t.leadflow").model)
    events = write(tmp_path / "e.csv", ["lead_id", "event", "ts", "amount"], EVENTS)
    results = write(tmp_path / "o.csv", ["lead_id", "converted_at"], [("ann", "2024-01-25")])
    with pytest.raises(InputError, match="no cutoff has a whole horizon"):
        backtest(engine, RunOptions([events]), BacktestOptions(results, (90, "day"), (1, "month")))
    report = backtest(engine, RunOptions([events]),
                      BacktestOptions(results, (90, "day"), (1, "month"), until="2024-06-30"))
    assert len(report.setup.cutoffs) == 3  # Feb, Mar, Apr 1st: Apr 1 + 90 days is Jun 30


def test_bad_outcome_rows_are_rejected_with_their_row(tmp_path):
    engine = Interpreter(load_text(RULES, "t.leadflow").model)
    events = write(tmp_path / "e.csv", ["lead_id", "event", "ts", "amount"], EVENTS)
    results = write(tmp_path / "o.csv", ["lead_id", "converted_at", "value"],
                    [("ann", "2024-01-25", "30"), ("", "2024-01-25", ""), ("bob", "soon", ""),
                     ("cy", "2024-01-26", "lots")])
    report = backtest(engine, RunOptions([events]),
                      BacktestOptions(results, (30, "day"), (1, "month"), CUTOFFS))
    assert [r for r, _ in report.setup.outcomes.rejected] == [2, 3, 4]
    assert "cannot read converted_at" in report.setup.outcomes.rejected[1][1]
    assert set(report.setup.outcomes.conversions) == {"ann"}
