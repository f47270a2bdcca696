"""The points ledger adds up to the scores, and both engines write the same one.

Over every example ruleset in examples/, on Hypothesis-generated logs (engine
level, `leadflow.testing.event_logs`), and end to end through `leadflow run
--points` on the shop's real log: for every lead, the ledger's changes summed
from each score's initial value give the score in leads.csv, and the compiled
module's points file is byte for byte the interpreter's.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from engines import differences, ledger_problems
from hypothesis import given, note, settings
from hypothesis import strategies as st

from leadflow import testing
from leadflow.api import load_file, load_text
from leadflow.cli import cli as main
from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.engine import RulesetRuntimeError
from leadflow.runtime.interpreter import Interpreter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RULESETS = sorted(p for p in EXAMPLES.glob("*.leadflow") if not p.stem.endswith("_tests"))
DAY = 86_400_000_000


def run_log(engine, log, as_of: int) -> dict:
    out: dict = {}
    for lead, events in log.by_lead().items():
        try:
            state = engine.new_lead(lead, log.attributes(lead), points=True)
            for event in events:
                engine.feed(state, event.ts, event.event, dict(event.values))
            engine.advance(state, as_of)
            out[lead] = engine.result(state)
        except RulesetRuntimeError as exc:
            out[lead] = ("error", str(exc))
    return out


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.stem)
def test_the_ledger_adds_up_on_generated_logs_of_every_example(path):
    model = load_file(str(path)).model
    interpreter, compiled = Interpreter(model), CompiledEngine(model)

    @settings(deadline=None)
    @given(testing.event_logs(model, leads=3, max_events=15), st.integers(0, 60))
    def check(log, extra_days):
        note(log.as_test_blocks())
        as_of = (log.end or 0) + extra_days * DAY
        reference = run_log(interpreter, log, as_of)
        got = run_log(compiled, log, as_of)
        assert not differences(reference, got)
        for results in (reference, got):
            found = ledger_problems(interpreter, results)
            assert not found, "\n".join(found)

    check()


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_run_points_adds_up_to_leads_csv_on_both_engines(tmp_path):
    events = EXAMPLES / "data" / "zapateria_events.csv"
    leads = EXAMPLES / "data" / "zapateria_leads.csv"
    outs = {}
    for engine in ("compiled", "interpreter"):
        out = tmp_path / engine
        result = CliRunner().invoke(main, ["run", str(EXAMPLES / "zapateria.leadflow"), str(events),
                                           "--leads", str(leads), "--out", str(out), "--points",
                                           "--engine", engine, "-q"])
        assert result.exit_code == 0, result.output
        outs[engine] = out
    ledger = (outs["compiled"] / "points.csv").read_bytes()
    assert ledger == (outs["interpreter"] / "points.csv").read_bytes()

    rows = read(outs["compiled"] / "points.csv")
    assert list(rows[0]) == ["lead_id", "at", "rule", "score", "change", "value"]
    model = load_file(str(EXAMPLES / "zapateria.leadflow")).model
    index = Interpreter(model).index
    rule_ids = {index.rule_id(i) for i in range(len(index.rules))}
    causes = {r["rule"] for r in rows}
    assert causes <= rule_ids | set(model.flows) | {f"{kind}:{rule}" for kind in ("expire", "while")
                                                    for rule in rule_ids}
    assert "open" in causes and "cooling" in causes  # a rule that adds, one that decays
    assert [(r["lead_id"], r["at"]) for r in rows] == sorted((r["lead_id"], r["at"]) for r in rows)
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for row in rows:
        totals[row["lead_id"], row["score"]] += float(row["change"])
        assert float(row["value"]) == pytest.approx(totals[row["lead_id"], row["score"]], abs=1e-6)
    lead_rows = read(outs["compiled"] / "leads.csv")
    scores = list(lead_rows[0])[1:list(lead_rows[0]).index("stage")]
    assert scores == ["engagement"]
    assert len(lead_rows) > 100
    for lead in lead_rows:
        for score in scores:
            assert float(lead[score]) == pytest.approx(totals[lead["lead_id"], score], abs=1e-6), lead


def test_without_points_no_ledger_is_written(tmp_path):
    events = EXAMPLES / "data" / "zapateria_events.csv"
    result = CliRunner().invoke(main, ["run", str(EXAMPLES / "zapateria.leadflow"), str(events),
                                       "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "out" / "points.csv").exists()


CANCELLING = """timezone "UTC"
event open
score a min 0 max 60
rule idle: every 1 month without activity add 1
"""


@pytest.mark.parametrize("engine_type", [Interpreter, CompiledEngine])
def test_a_saved_lead_keeps_its_cancelled_timers_cancelled(engine_type):
    """A regression: the interpreter's snapshot skipped every field named like the lead's
    list of cancelled sends, Timer.cancelled too, which brought the `every` timer that
    activity had restarted back to life: it fired twice."""
    engine = engine_type(load_text(CANCELLING, "c.leadflow").model)
    state = engine.new_lead("l", {}, points=True)
    engine.feed(state, 0, "open", {})
    engine.feed(state, DAY, "open", {})  # restarts the clock: the first timer is cancelled
    state = engine.load_state(engine.save_state(state), points=True)
    engine.advance(state, 40 * DAY)
    assert [(p.rule, p.change) for p in engine.result(state).points] == [("idle", 1.0)]
