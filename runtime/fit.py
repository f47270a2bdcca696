"""`leadflow fit`: suggest point values for the rules from the conversions they preceded.

One sample per (lead, cutoff), exactly as `backtest` builds them (runtime/
backtest.py): the features are how often each points rule fired before the
cutoff (for a `while` rule: whether it holds), the label whether the lead
converted within the horizon. Leads are split, by a seeded hash of the lead id,
into a fitting set and a held-out set, so no lead informs the weights it is
judged by. A regularized logistic regression (runtime/fit_model.py) gives one
weight per rule; the weights are scaled onto the rules' own scale (the mean
absolute score over the fitting samples stays what the current points give, so
stage thresholds keep their meaning) and rounded to integers. The suggested
ruleset is the original text with only those numbers changed; it is replayed
like the original to measure both on the held-out leads.

A points rule has exactly one `add N` or `subtract N` (a number, not an
expression) for the fitted score; other rules keep their points and are listed
as not fitted. Rule firings are read from the reference interpreter's per-lead
rule memories, so the fitting replay always uses the interpreter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.dsl import ast
from leadflow.dsl.model import Model
from leadflow.runtime.backtest import BacktestOptions, Setup, prepare, sweep
from leadflow.runtime.driver import RunOptions
from leadflow.runtime.engine import Engine
from leadflow.runtime.interpreter import Interpreter
from leadflow.runtime.metrics import roc_auc
from leadflow.runtime.readers import InputError
from leadflow.runtime.staging import Staging

# A rule must have fired before the cutoff in this many fitting samples to get a
# weight: a weight learned from a handful of leads is noise that rounds to big points.
MIN_SUPPORT = 20


class FitError(Exception):
    """The data or the ruleset give nothing to fit: one line for the user, exit code 1."""


@dataclass(frozen=True)
class PointsRule:
    index: int  # in model.rules
    id: str
    action: ast.Add
    points: float  # as written, negative for `subtract`
    held: bool  # a `while` rule: the feature is whether it holds


@dataclass(frozen=True)
class FitOptions:
    score: str | None = None  # default: the first declared score
    holdout: float = 0.3
    seed: int = 0
    strength: float = 1.0  # L2 penalty (1 / scikit-learn's C)


@dataclass
class Suggestion:
    rule: PointsRule
    fires: float  # mean feature value over the fitting samples
    weight: float
    points: int


@dataclass
class FitResult:
    score: str
    setup: Setup
    suggestions: list[Suggestion]
    not_fitted: list[tuple[str, str]]  # (rule id, why)
    text: str  # the suggested ruleset
    train_samples: int
    train_converted: int
    holdout_leads: int
    holdout_samples: int
    holdout_converted: int
    auc_old: float | None
    auc_new: float | None
    auc_model: float | None  # the fitted weights themselves: no rounding, clamps or decay
    scale: float
    bounded: bool = False  # the score declares a min or max
    holdout_ids: set[str] = field(default_factory=set)


def points_rules(model: Model, score: str) -> tuple[list[PointsRule], list[tuple[str, str]]]:
    """The rules whose points for `score` can be fitted, and why the others with points cannot."""
    found, skipped = [], []
    for index, checked in enumerate(model.rules):
        adds = [a for a in checked.rule.actions if isinstance(a, ast.Add)
                and (a.score or model.default_score) == score]
        percent = [a for a in checked.rule.actions if isinstance(a, ast.SubtractPercent)
                   and (a.score or model.default_score) == score]
        if not adds and not percent:
            continue
        if percent or len(adds) != 1 or not isinstance(adds[0].amount, ast.Number):
            why = "percentage" if percent else "more than one add" if len(adds) > 1 \
                else "points are an expression"
            skipped.append((checked.id, why))
            continue
        action = adds[0]
        points = -action.amount.value if action.negate else action.amount.value
        found.append(PointsRule(index, checked.id, action, float(points),
                                isinstance(checked.rule.trigger, ast.While)))
    return found, skipped


def in_holdout(lead_id: str, seed: int, fraction: float) -> bool:
    """A stable, seeded coin per lead: the same split on every machine and every run."""
    digest = hashlib.sha256(f"{seed}:{lead_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def rewrite(text: str, changes: Sequence[tuple[ast.Add, int]], default_score: str) -> str:
    """The source with each action's text replaced by `add N` / `subtract N` [to|from SCORE]."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    out, last = [], 0
    for action, points in sorted(changes, key=lambda c: (c[0].span.line, c[0].span.column)):
        span = action.span
        begin, end = offset(span.line, span.column), offset(span.end_line, span.end_column)
        word, link = ("subtract", "from") if points < 0 else ("add", "to")
        new = f"{word} {abs(points)}" + (f" {link} {action.score}" if action.score else "")
        out += [text[last:begin], new]
        last = end
    out.append(text[last:])
    return "".join(out)


def _features(state: Any, rules: Sequence[PointsRule]) -> list[float]:
    """Each rule's firings so far (or whether a `while` rule holds) in the interpreter's state."""
    row = []
    for r in rules:
        if r.held:
            row.append(1.0 if r.index in state.while_held else 0.0)
        else:
            memory = state.rules.get(r.index)
            row.append(float(memory.fired) if memory is not None else 0.0)
    return row


def fit(model: Model, source: str, engine_for: Callable[[str], Engine], run: RunOptions,
        backtest: BacktestOptions, options: FitOptions, weights_of: Callable[..., list[float]]
        ) -> FitResult:
    """Replay, fit, rewrite, replay the suggestion; `weights_of` is fit_model.logistic_weights.

    `engine_for(text)` checks the suggested ruleset's text and makes the engine
    that measures it (the caller knows how to load a file and which engine).
    """
    score = options.score or model.default_score
    if score not in [s.name for s in model.scores]:
        raise InputError(f"--score {score}: the ruleset has no such score "
                         f"(scores: {', '.join(s.name for s in model.scores)})")
    rules, skipped = points_rules(model, score)
    if not rules:
        raise FitError(f"no rule adds or subtracts a fixed number of points to {score}: "
                       f"nothing to fit")
    interpreter = Interpreter(model)
    tz = model.timezone
    with Staging(tz, run.memory_limit) as staging:
        setup = prepare(interpreter, staging, run, backtest)
        samples: list[tuple[str, int, list[float], float, bool]] = []

        def on_cutoff(lead_id: str, k: int, state: Any) -> None:
            converted = setup.label(lead_id, k, tz)
            if converted is not None:
                samples.append((lead_id, k, _features(state, rules), state.scores[score], converted))

        sweep(interpreter, staging, setup, on_cutoff)
        held = {s[0] for s in samples if in_holdout(s[0], options.seed, options.holdout)}
        train = [s for s in samples if s[0] not in held]
        test = [s for s in samples if s[0] in held]
        labels = [s[4] for s in train]
        if not any(labels) or all(labels):
            raise FitError(f"the {len(train)} fitting samples are all "
                           f"{'converted' if any(labels) else 'not converted'}: nothing to learn "
                           f"(more history, a longer --horizon, or more cutoffs may help)")
        support = [sum(1 for s in train if s[2][j]) for j in range(len(rules))]
        keep = [j for j, n in enumerate(support) if n >= MIN_SUPPORT]
        skipped += [(rules[j].id, f"fired in only {n} fitting samples; {MIN_SUPPORT} needed")
                    for j, n in enumerate(support) if n < MIN_SUPPORT]
        if not keep:
            raise FitError(f"every points rule fired in fewer than {MIN_SUPPORT} fitting samples: "
                           f"too little history to fit")
        rules = [rules[j] for j in keep]
        train = [(a, k, [x[j] for j in keep], old, y) for a, k, x, old, y in train]
        weights = weights_of([s[2] for s in train], labels, options.strength)
        scale = _scale(train, rules, weights)
        points = [round(scale * w) for w in weights]
        fires = [sum(s[2][j] for s in train) / len(train) for j in range(len(rules))]
        text = rewrite(source, [(r.action, p) for r, p in zip(rules, points)], model.default_score)

        engine = engine_for(text)
        new_scores: dict[tuple[str, int], float] = {}

        def on_new_cutoff(lead_id: str, k: int, state: Any) -> None:
            if lead_id in held:
                new_scores[(lead_id, k)] = engine.result(state).scores[score]

        sweep(engine, staging, setup, on_new_cutoff)
    test_labels = [s[4] for s in test]
    auc_old = roc_auc([s[3] for s in test], test_labels)
    auc_model = roc_auc([sum(w * s[2][j] for w, j in zip(weights, keep)) for s in test],
                        test_labels)
    auc_new = roc_auc([new_scores[(s[0], s[1])] for s in test], test_labels)
    return FitResult(score, setup, [Suggestion(r, f, w, p) for r, f, w, p in
                                    zip(rules, fires, weights, points)],
                     skipped, text, len(train), sum(labels), len(held), len(test),
                     sum(test_labels), auc_old, auc_new, auc_model, scale,
                     any(d.name == score and (d.min is not None or d.max is not None)
                         for d in model.scores), held)


def _scale(train: Sequence[tuple], rules: Sequence[PointsRule], weights: Sequence[float]) -> float:
    """Points per unit of weight: keeps the mean absolute score of the current points."""
    current = sum(abs(sum(r.points * x for r, x in zip(rules, s[2]))) for s in train)
    learned = sum(abs(sum(w * x for w, x in zip(weights, s[2]))) for s in train)
    if learned == 0:
        raise FitError("every learned weight is 0: the rules' firings do not tell converters "
                       "apart (try a smaller --l2)")
    if current == 0:
        current = learned * max(abs(r.points) for r in rules) / max(abs(w) for w in weights)
    return current / learned

