"""Running one ruleset on every engine the same way, and comparing what comes out."""

from __future__ import annotations

import math
from typing import Any

from ruleset_strategies import Row

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine, convert_result
from leadflow.dsl.model import Model
from leadflow.runtime.engine import LeadResult, RulesetRuntimeError
from leadflow.runtime.interpreter import Interpreter


def load(text: str) -> Model:
    loaded = load_text(text, "gen.leadflow")
    assert loaded.ok, f"generated ruleset does not load:\n{text}\n{loaded.render()}"
    return loaded.model


def by_lead(rows: list[Row]) -> dict[str, list[Row]]:
    """Each lead's rows in time order (equal times keep input order)."""
    leads: dict[str, list[Row]] = {}
    for row in sorted(rows, key=lambda r: r.ts):
        leads.setdefault(row.lead_id, []).append(row)
    return leads


def run_fed(engine: Any, rows: list[Row], attrs: dict, as_of: int) -> dict[str, Any]:
    """new_lead, feed each event, advance to as-of, result (a run-time error is kept as an outcome)."""
    out: dict[str, Any] = {}
    for lead, mine in by_lead(rows).items():
        try:
            state = engine.new_lead(lead, attrs, points=True)
            for row in mine:
                engine.feed(state, row.ts, row.event, row.values)
            engine.advance(state, as_of)
            out[lead] = engine.result(state)
            # LeadResult.pending is the runner's to fill: here, the engine's scheduled items
            out[lead].pending = sorted((s.due, s.kind, s.source, repr(s.detail))
                                       for s in engine.scheduled(state))
        except RulesetRuntimeError as exc:
            out[lead] = ("error", str(exc))
    return out


def run_columns(engine: CompiledEngine, rows: list[Row], attrs: dict, as_of: int) -> dict[str, Any]:
    """The batch entry point: each lead's rows as columns, one run_lead_columns call."""
    declared = {name: set(fields) for name, fields in engine.events.items()}
    out: dict[str, Any] = {}
    for lead, mine in by_lead(rows).items():
        times = [r.ts for r in mine]
        codes = [engine.event_codes[r.event] for r in mine]
        columns = [[r.values.get(name) if (name, kind) in declared[r.event] else None for r in mine]
                   for name, kind in engine.slots]
        try:
            result = engine.run_lead_columns(lead, attrs, times, codes, columns, 0, len(mine), as_of,
                                             points=True)
            out[lead] = convert_result(result)
            out[lead].pending = None  # not listed: this entry point keeps no lead to ask
        except RulesetRuntimeError as exc:
            out[lead] = ("error", str(exc))
    return out


def all_engines(model: Model) -> dict[str, Any]:
    return {"interpreter": Interpreter(model), "compiled": CompiledEngine(model),
            "plain": CompiledEngine(model, optimized=False)}


def _close(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return x == y or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(x) and math.isnan(y))
    return x == y


def _same_actions(xs: list, ys: list) -> bool:
    return len(xs) == len(ys) and all(
        (x.at, x.rule, x.kind, x.target) == (y.at, y.rule, y.kind, y.target)
        and x.args.keys() == y.args.keys() and all(_close(x.args[k], y.args[k]) for k in x.args)
        for x, y in zip(xs, ys))


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """What differs between two runs, output by output (empty when they agree)."""
    found = []
    for lead in sorted(set(expected) | set(got)):
        a, b = expected.get(lead), got.get(lead)
        if isinstance(a, LeadResult) and isinstance(b, LeadResult):
            for name in a.scores.keys() | b.scores.keys():
                if not _close(a.scores.get(name), b.scores.get(name)):
                    found.append(f"{lead} score {name}: {a.scores.get(name)} != {b.scores.get(name)}")
            for what in ("stage", "tags", "attrs", "transitions", "first_seen", "last_activity",
                         "stage_since"):
                if getattr(a, what) != getattr(b, what):
                    found.append(f"{lead} {what}: {getattr(a, what)} != {getattr(b, what)}")
            if a.pending is not None and b.pending is not None and a.pending != b.pending:
                found.append(f"{lead} pending: {a.pending} != {b.pending}")
            for what in ("actions", "cancelled"):
                if not _same_actions(getattr(a, what), getattr(b, what)):
                    found.append(f"{lead} {what}: {getattr(a, what)} != {getattr(b, what)}")
            if len(a.points) != len(b.points) or not all(
                    (x.at, x.rule, x.score) == (y.at, y.rule, y.score)
                    and _close(x.change, y.change) and _close(x.value, y.value)
                    for x, y in zip(a.points, b.points)):
                found.append(f"{lead} points: {a.points} != {b.points}")
        elif isinstance(a, tuple) != isinstance(b, tuple) or isinstance(a, tuple) and a[1].split(":", 1)[0] != b[1].split(":", 1)[0] and "settle" in a[1]:
            found.append(f"{lead}: {a} != {b}")
    return found


def ledger_problems(engine: Any, results: dict[str, Any]) -> list[str]:
    """Where a lead's points ledger does not add up to its scores (empty when it does).

    Each score starts at its initial value (a fresh lead's); every ledger row's
    `value` is the running total after its `change`, and the last total is the
    lead's score.
    """
    found = []
    initial = engine.result(engine.new_lead("", {})).scores
    for lead, result in results.items():
        if not isinstance(result, LeadResult):
            continue
        running = dict(initial)
        for row in result.points:
            running[row.score] += row.change
            if row.change == 0 or not _close(running[row.score], row.value):
                found.append(f"{lead}: ledger row {row} does not follow from {running[row.score] - row.change}")
                running[row.score] = row.value
        for name, value in result.scores.items():
            if not _close(running[name], value):
                found.append(f"{lead} score {name}: the ledger adds up to {running[name]}, not {value}")
    return found
