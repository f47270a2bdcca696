"""Properties of the reference interpreter on generated rulesets and event logs.

1. Leads are independent: a lead run alone gives what it gives when run
   interleaved with other leads through the same engine.
2. Re-ordering `on` rules that do not set/tag/untag (or start/stop flows)
   changes nothing (under the conditions in ruleset_strategies.py).
3. Shuffling input rows with distinct timestamps changes nothing.
4. A run to as-of T1, then continued to T2, equals one run to T2.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st
from ruleset_strategies import Row, Ruleset, event_logs, lead_attrs, lead_rows, rulesets

from leadflow.api import load_text
from leadflow.runtime.engine import LeadResult, RulesetRuntimeError
from leadflow.runtime.interpreter import Interpreter

DAY = 86_400_000_000


def interpreter(source: str) -> Interpreter:
    loaded = load_text(source, "gen.leadflow")
    assert loaded.ok, f"generated ruleset does not load:\n{source}\n{loaded.render()}"
    return Interpreter(loaded.model)


def outcome(result: LeadResult | RulesetRuntimeError) -> Any:
    """A result as comparable data; a run-time error as its message.

    A score that runs away (`every 30 minutes … subtract b * 2 from b` for weeks) overflows
    to inf and then NaN; NaN is not equal to itself, so it is compared as the text "nan".
    """
    if isinstance(result, RulesetRuntimeError):
        return ("error", str(result))
    result.scores = {k: _no_nan(v) for k, v in result.scores.items()}
    for action in result.actions:
        action.args = {k: _no_nan(v) for k, v in action.args.items()}
    return result


def _no_nan(value: Any) -> Any:
    return "nan" if isinstance(value, float) and math.isnan(value) else value


def run_rows(engine: Interpreter, rows: list[Row], attrs: dict[str, dict], as_of: int) -> dict[str, Any]:
    """Like `leadflow run`: rows sorted by time (stable), each fed to its lead, then as-of."""
    states: dict[str, Any] = {}
    failed: dict[str, RulesetRuntimeError] = {}
    for row in sorted(rows, key=lambda r: r.ts):
        if row.lead_id in failed or row.ts > as_of:
            continue
        if row.lead_id not in states:
            states[row.lead_id] = engine.new_lead(row.lead_id, attrs.get(row.lead_id, {}))
        try:
            engine.feed(states[row.lead_id], row.ts, row.event, row.values)
        except RulesetRuntimeError as exc:
            failed[row.lead_id] = exc
    results: dict[str, Any] = {}
    for lead_id, state in states.items():
        if lead_id in failed:
            results[lead_id] = outcome(failed[lead_id])
            continue
        try:
            engine.advance(state, as_of)
            results[lead_id] = outcome(engine.result(state))
        except RulesetRuntimeError as exc:
            results[lead_id] = outcome(exc)
    return results


def attrs_for(rows: list[Row], draw_attrs: list[dict]) -> dict[str, dict]:
    leads = sorted({r.lead_id for r in rows})
    return {lead: draw_attrs[i % len(draw_attrs)] for i, lead in enumerate(leads)}


@given(rulesets(), event_logs(), st.lists(lead_attrs(), min_size=1, max_size=3))
def test_leads_are_independent(ruleset: Ruleset, rows: list[Row], attrs_list):
    source = ruleset.source()
    note(source)
    attrs = attrs_for(rows, attrs_list)
    as_of = max(r.ts for r in rows) + 3 * DAY
    together = run_rows(interpreter(source), rows, attrs, as_of)
    for lead_id in together:
        alone = run_rows(interpreter(source), [r for r in rows if r.lead_id == lead_id], attrs, as_of)
        assert alone[lead_id] == together[lead_id], lead_id


def canonical(results: dict[str, Any]) -> dict[str, Any]:
    """Results with each lead's actions sorted (actions at one instant may come in rule order)."""
    out = {}
    for lead_id, result in results.items():
        if isinstance(result, LeadResult):
            key = lambda a: (a.at, a.rule, a.kind, a.target, json.dumps(a.args, sort_keys=True))
            result = (result.scores, result.stage, result.tags, result.attrs,
                      sorted(result.actions, key=key), result.transitions)
        out[lead_id] = result
    return out


@given(rulesets(reorder_safe=True), event_logs(), st.lists(lead_attrs(), min_size=1, max_size=3),
       st.randoms(use_true_random=False))
def test_reordering_on_rules_without_state_actions_changes_nothing(ruleset, rows, attrs_list, rnd):
    slots = [i for i, r in enumerate(ruleset.rules) if r.permutable]
    moved = [ruleset.rules[i] for i in slots]
    rnd.shuffle(moved)
    reordered = list(ruleset.rules)
    for slot, rule in zip(slots, moved):
        reordered[slot] = rule
    original, shuffled = ruleset.source(), ruleset.source(tuple(reordered))
    note(original)
    note(shuffled)
    attrs = attrs_for(rows, attrs_list)
    as_of = max(r.ts for r in rows) + 10 * DAY
    assert canonical(run_rows(interpreter(original), rows, attrs, as_of)) == \
        canonical(run_rows(interpreter(shuffled), rows, attrs, as_of))


@given(rulesets(), event_logs(distinct_times=True), st.lists(lead_attrs(), min_size=1, max_size=3),
       st.randoms(use_true_random=False))
def test_shuffling_rows_with_distinct_times_changes_nothing(ruleset, rows, attrs_list, rnd: random.Random):
    source = ruleset.source()
    note(source)
    attrs = attrs_for(rows, attrs_list)
    as_of = max(r.ts for r in rows)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert run_rows(interpreter(source), rows, attrs, as_of) == \
        run_rows(interpreter(source), shuffled, attrs, as_of)


@given(rulesets(), lead_rows("l0", distinct_times=False), lead_attrs(), st.data())
def test_as_of_t1_then_t2_equals_one_run_to_t2(ruleset, rows, attrs, data):
    source = ruleset.source()
    note(source)
    first, last = rows[0].ts, rows[-1].ts
    # T1 between the lead's first and last event (the lead exists at T1, see the report on
    # leads created by as-of alone), T2 some time after the last event.
    t1 = data.draw(st.integers(first, last), label="t1")
    t2 = last + data.draw(st.sampled_from([0, DAY, 45 * DAY]), label="t2 - last")

    def run(cuts: list[int]) -> Any:
        engine = interpreter(source)
        state = engine.new_lead("l0", attrs)
        try:
            done = 0
            for cut in cuts:
                for row in rows[done:]:
                    if row.ts > cut:
                        break
                    engine.feed(state, row.ts, row.event, row.values)
                    done += 1
                engine.advance(state, cut)
            return outcome(engine.result(state))
        except RulesetRuntimeError as exc:
            return outcome(exc)

    assert run([t1, t2]) == run([t2])
