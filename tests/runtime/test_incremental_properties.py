"""Runs with a state equal one full run (`run --state`, docs/operations.md), on both engines.

For a generated ruleset and event log, split at random times into 1-6 parts
(some empty, leads that first appear in a later part, flows, held sends and
decay timers that span parts), running the parts in order with one state
file must give: the last run's leads.csv and pending.csv equal to one full run's, and the
runs' actions.csv, transitions.csv and cancelled.csv, concatenated, equal to
the full run's, and so do their points ledgers (points.csv, ordered by lead: concatenated and
then sorted by lead, keeping each lead's rows in order).
One of the runs may be a `--rebuild`, which must change nothing either.
"""

from __future__ import annotations

import csv
import os

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from ruleset_strategies import Row, event_logs, rulesets

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.driver import LeadFailed, RunOptions, run
from leadflow.runtime.incremental import ruleset_fingerprint
from leadflow.runtime.interpreter import Interpreter
from leadflow.runtime.readers import InputFile
from leadflow.semantics import timemath

HOUR = 3_600_000_000
ENGINES = {"interpreter": Interpreter, "compiled": CompiledEngine}
FIELDS = ("url", "amount", "kind")
# Each example runs up to eight runs through DuckDB: fewer examples than the profile's.
FEWER = settings(max_examples=max(10, settings.default.max_examples // 3))


def write_log(path: str, rows: list[Row]) -> InputFile:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["lead_id", "event", "ts", *FIELDS])
        for row in rows:
            out.writerow([row.lead_id, row.event, timemath.format_instant(row.ts),
                          *(row.values.get(f, "") for f in FIELDS)])
    return InputFile(path, "csv")


def run_once(engine, text: str, log: InputFile, out: str, as_of: int, state: str | None = None,
             rebuild: bool = False) -> dict[str, list[list[str]]]:
    options = RunOptions([log], as_of=timemath.format_instant(as_of), out_dir=out, top=0,
                         state=state, rebuild=rebuild, command=f"{log.path} {as_of} {rebuild}",
                         ruleset_fingerprint=ruleset_fingerprint(text), ruleset_file="gen",
                         points=True, cancelled=True)
    run(engine, options)
    tables = {}
    for name in ("leads", "actions", "transitions", "points", "cancelled", "pending"):
        with open(os.path.join(out, f"{name}.csv"), newline="", encoding="utf-8") as handle:
            tables[name] = list(csv.reader(handle))
    return tables


@st.composite
def split_logs(draw):
    rows = draw(event_logs(max_leads=4))
    first, last = rows[0].ts, rows[-1].ts
    count = draw(st.integers(1, 6))
    # Cut times anywhere in the log (so parts may be empty), in order; the last
    # as-of goes past the last row so timers after it (decay, waits) fire too.
    cuts = sorted(draw(st.lists(st.integers(first - HOUR, last), min_size=count - 1,
                                max_size=count - 1)))
    cuts.append(last + draw(st.sampled_from([0, 1, 5, 40])) * 24 * HOUR)
    parts, lower = [], None
    for cut in cuts:
        parts.append([r for r in rows if (lower is None or r.ts > lower) and r.ts <= cut])
        lower = cut
    rebuild_at = draw(st.sampled_from([None, *range(1, count)])) if count > 1 else None
    return rows, cuts, parts, rebuild_at


@pytest.mark.parametrize("engine_name", sorted(ENGINES))
@FEWER
@given(ruleset=rulesets(), split=split_logs())
def test_runs_with_a_state_equal_one_full_run(tmp_path_factory, engine_name, ruleset, split):
    rows, cuts, parts, rebuild_at = split
    text = ruleset.source()
    note(text)
    note(f"cuts {cuts}, part sizes {[len(p) for p in parts]}, rebuild at {rebuild_at}")
    loaded = load_text(text, "gen.leadflow")
    assert loaded.ok, loaded.render()
    engine = ENGINES[engine_name](loaded.model)
    work = str(tmp_path_factory.mktemp("incremental"))
    try:
        full = run_once(engine, text, write_log(os.path.join(work, "all.csv"), rows),
                        os.path.join(work, "full"), cuts[-1])
    except LeadFailed:
        assume(False)  # a ruleset that does not settle: nothing to compare
    state = os.path.join(work, "state.duckdb")
    actions, transitions, points = [full["actions"][0]], [full["transitions"][0]], []
    cancelled = [full["cancelled"][0]]
    for i, (part, cut) in enumerate(zip(parts, cuts, strict=True)):
        got = run_once(engine, text, write_log(os.path.join(work, f"part{i}.csv"), part),
                       os.path.join(work, f"out{i}"), cut, state, rebuild=(i == rebuild_at))
        actions += got["actions"][1:]
        transitions += got["transitions"][1:]
        points += got["points"][1:]
        cancelled += got["cancelled"][1:]
    assert got["leads"] == full["leads"]
    assert got["pending"] == full["pending"]
    assert [full["points"][0], *sorted(points, key=lambda row: row[0])] == full["points"]
    assert actions == full["actions"]
    assert transitions == full["transitions"]
    assert cancelled == full["cancelled"]
