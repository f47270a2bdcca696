"""`fit` recovers known weights from synthetic history, and rewrites only the numbers."""

from __future__ import annotations

import csv
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadflow.api import load_text
from leadflow.runtime.backtest import BacktestOptions
from leadflow.runtime.driver import RunOptions
from leadflow.runtime.fit import FitOptions, fit, in_holdout, points_rules, rewrite
from leadflow.runtime.interpreter import Interpreter
from leadflow.runtime.metrics import roc_auc
from leadflow.runtime.readers import InputFile

fit_model = pytest.importorskip("leadflow.runtime.fit_model")  # needs leadflow[fit]

# Every rule starts with the same guess, 10 points: the ranking must come from the data.
SYNTHETIC_RULES = '''\
ruleset synthetic
event a
event b
event c
event d
score points
rule ra: on a add 10
rule rb: on b add 10
rule rc: on c add 10
rule rd: on d add 10
'''
TRUE_WEIGHTS = {"a": 0.15, "b": 0.45, "c": 0.9, "d": -0.5}
INTERCEPT = -2.5
LEADS = 2000
JANUARY = datetime(2024, 1, 1, tzinfo=UTC)
CUTOFF = datetime(2024, 2, 1, tzinfo=UTC)


def synthetic_history(directory: Path, seed: int = 7) -> dict[str, tuple[dict[str, int], bool]]:
    """Leads with 0-4 events of each kind in January; each converts in February with
    probability sigmoid(INTERCEPT + Σ weight × count). Returns lead → (counts, converted)."""
    rng = random.Random(seed)
    truth = {}
    with open(directory / "events.csv", "w", newline="") as events, \
            open(directory / "outcomes.csv", "w", newline="") as outcomes:
        log, won = csv.writer(events), csv.writer(outcomes)
        log.writerow(["lead_id", "event", "ts"])
        won.writerow(["lead_id", "converted_at"])
        for n in range(LEADS):
            lead = f"L{n:05d}"
            counts = {kind: rng.randint(0, 4) for kind in TRUE_WEIGHTS}
            rows = [(JANUARY + timedelta(seconds=rng.randint(0, 30 * 86400)), kind)
                    for kind, count in counts.items() for _ in range(count)]
            for at, kind in sorted(rows):
                log.writerow([lead, kind, at.isoformat()])
            logit = INTERCEPT + sum(TRUE_WEIGHTS[k] * c for k, c in counts.items())
            converted = rng.random() < 1 / (1 + math.exp(-logit))
            if converted:
                won.writerow([lead, (CUTOFF + timedelta(days=rng.randint(1, 20))).isoformat()])
            truth[lead] = (counts, converted)
    return truth


def test_fit_recovers_known_weights(tmp_path):
    truth = synthetic_history(tmp_path)
    model = load_text(SYNTHETIC_RULES, "synthetic.leadflow").model
    result = fit(model, SYNTHETIC_RULES,
                 lambda text: Interpreter(load_text(text, "synthetic.leadflow").model),
                 RunOptions([InputFile(str(tmp_path / "events.csv"), "csv")]),
                 BacktestOptions(InputFile(str(tmp_path / "outcomes.csv"), "csv"), (30, "day"),
                                 cutoffs=("2024-02-01T00:00:00Z",)),
                 FitOptions(seed=3), fit_model.logistic_weights)
    points = {s.rule.id[1]: s.points for s in result.suggestions}
    # The suggested points rank the rules as the true coefficients do, signs included.
    assert sorted(points, key=points.get) == sorted(TRUE_WEIGHTS, key=TRUE_WEIGHTS.get)
    assert points["d"] < 0 < points["a"]
    # The true model, on the same held-out leads (those with an event before the cutoff).
    held = [truth[lead] for lead in sorted(result.holdout_ids)]
    true_auc = roc_auc([sum(TRUE_WEIGHTS[k] * c for k, c in counts.items()) for counts, _ in held],
                       [converted for _, converted in held])
    assert result.holdout_samples == len(held)
    assert abs(result.auc_new - true_auc) <= 0.02, (result.auc_new, true_auc)
    # The old guess (10 points each) ranks far worse: the fit is worth something.
    assert result.auc_old < true_auc - 0.05
    assert "rule rd: on d subtract" in result.text


RULES = '''\
event open
event buy(amount: number)
score points min 0
score fit
rule o: on open add 1
rule b: on buy where amount > 100 add 10 to points
rule expr: on buy add amount / 10
rule two: on buy add 1, add 2
rule decay: on open subtract 50%
rule cool: every 30 days without activity subtract 5
rule es: while lead.country == "ES" add 5 to fit
'''


def test_points_rules_are_the_fixed_number_ones():
    model = load_text(RULES.replace("event buy", "lead(country: text)\nevent buy"), "r.leadflow").model
    found, skipped = points_rules(model, "points")
    assert [(r.id, r.points, r.held) for r in found] == [("o", 1, False), ("b", 10, False),
                                                           ("cool", -5, False)]
    assert skipped == [("expr", "points are an expression"), ("two", "more than one add"),
                       ("decay", "percentage")]
    found, _ = points_rules(model, "fit")
    assert [(r.id, r.points, r.held) for r in found] == [("es", 5, True)]


def test_rewrite_changes_only_the_numbers_and_keeps_the_score():
    text = RULES.replace("event buy", "lead(country: text)\nevent buy")
    model = load_text(text, "r.leadflow").model
    found, _ = points_rules(model, "points")
    new = rewrite(text, [(found[0].action, 3), (found[1].action, -4), (found[2].action, 0)],
                  "points")
    assert "rule o: on open add 3\n" in new
    assert "rule b: on buy where amount > 100 subtract 4 from points\n" in new
    assert "rule cool: every 30 days without activity add 0\n" in new
    assert new.replace("add 3", "add 1").replace("subtract 4 from", "add 10 to").replace(
        "without activity add 0", "without activity subtract 5") == text
    assert load_text(new, "r.leadflow").ok


def test_the_split_is_by_lead_stable_and_near_the_fraction():
    leads = [f"lead{n}" for n in range(2000)]
    held = [lead for lead in leads if in_holdout(lead, 0, 0.3)]
    assert held == [lead for lead in leads if in_holdout(lead, 0, 0.3)]
    assert 0.26 < len(held) / len(leads) < 0.34
    assert held != [lead for lead in leads if in_holdout(lead, 1, 0.3)]
