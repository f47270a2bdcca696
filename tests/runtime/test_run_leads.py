"""`run`'s quick way through whole leads (a compiled module's `run_leads`) writes what the
lead-by-lead way writes.

A compiled engine takes the leads of a batch that are whole (another lead's rows follow
them in the batch) and have no attributes in one call; the interpreter goes lead by lead
(runtime/driver.py `replay`). For generated rulesets and event logs, with --leads
attributes for some leads (and leads only --leads names), leads whose events are all of
a type no rule declares, and batches of 1 to 7 rows (so leads span batches, and a batch
holds several whole leads between leads with attributes), both engines' output files
are equal byte for byte; a run that fails names the same lead with the same message.
"""

from __future__ import annotations

import csv
import os

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from ruleset_strategies import Row, event_logs, lead_attrs, rulesets

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.driver import LeadFailed, RunOptions, run
from leadflow.runtime.interpreter import Interpreter
from leadflow.runtime.readers import InputFile
from leadflow.runtime.staging import Staging
from leadflow.semantics import timemath

FIELDS = ("url", "amount", "kind")
OUTPUTS = ("leads", "actions", "transitions", "cancelled", "pending", "rejects")
FEWER = settings(max_examples=max(10, settings.default.max_examples // 3))


def small_batches(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    """Every run's events come in batches of `rows` rows."""
    reader = Staging.event_reader

    def in_small_batches(self, as_of, lead=None, batch_rows=rows, read=None):
        return reader(self, as_of, lead, rows, read)

    monkeypatch.setattr(Staging, "event_reader", in_small_batches)


def write_inputs(work: str, rows: list[Row], silent: list[str],
                 attrs: dict[str, dict]) -> tuple[InputFile, InputFile]:
    """The event log (with an undeclared `ping` for each lead in `silent`) and --leads."""
    events = os.path.join(work, "events.csv")
    with open(events, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["lead_id", "event", "ts", *FIELDS])
        for row in rows:
            out.writerow([row.lead_id, row.event, timemath.format_instant(row.ts),
                          *(row.values.get(f, "") for f in FIELDS)])
        for lead_id in silent:
            out.writerow([lead_id, "ping", timemath.format_instant(rows[0].ts), "", "", ""])
    leads = os.path.join(work, "leads.csv")
    with open(leads, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["lead_id", "tier", "region"])
        for lead_id, values in sorted(attrs.items()):
            out.writerow([lead_id, values.get("tier", ""), values.get("region", "")])
    return InputFile(events, "csv"), InputFile(leads, "csv")


def outputs(engine, events: InputFile, leads: InputFile, out: str) -> dict[str, bytes] | str:
    """Every output file's bytes, or the failing lead and message."""
    options = RunOptions([events], leads=leads, out_dir=out, top=0, cancelled=True,
                         command="run")
    try:
        run(engine, options)
    except LeadFailed as failed:
        return f"{failed.lead_id}: {failed.error}"
    files = {}
    for name in OUTPUTS:
        with open(os.path.join(out, f"{name}.csv"), "rb") as handle:
            files[name] = handle.read()
    return files


@FEWER
@given(ruleset=rulesets(), rows=event_logs(max_leads=6), batch=st.integers(1, 7),
       silent=st.lists(st.sampled_from(["l0", "l2", "l4", "l9"]), unique=True, max_size=2),
       attrs=st.dictionaries(st.sampled_from(["l1", "l3", "l5", "l7", "l8"]), lead_attrs(),
                             max_size=3))
def test_whole_leads_in_one_call_write_what_lead_by_lead_writes(
        tmp_path_factory, ruleset, rows, batch, silent, attrs):
    text = ruleset.source()
    note(text)
    note(f"batches of {batch} rows; --leads {attrs}; only ignored events: {silent}")
    loaded = load_text(text, "gen.leadflow")
    assert loaded.ok, loaded.render()
    work = str(tmp_path_factory.mktemp("run_leads"))
    events, leads = write_inputs(work, rows, silent, attrs)
    with pytest.MonkeyPatch.context() as patch:
        small_batches(patch, batch)
        by_lead = outputs(Interpreter(loaded.model), events, leads,
                          os.path.join(work, "interpreter"))
        whole = outputs(CompiledEngine(loaded.model), events, leads, os.path.join(work, "compiled"))
    assert whole == by_lead


# Lead c's /boom fails it: a stage loop that never settles (an error the module raises),
# and a score overflowing to infinity (one the driver finds when the lead is done).
NEVER_SETTLES = """event view(url: text, amount: number)
stage a
stage b when tagged "x"
rule go: on view where url == "/boom" tag "x"
rule down: on enter b untag "x"
rule back: on exit b tag "x"
"""
OVERFLOWS = """event view(url: text, amount: number)
score points
rule view: on view add 1
rule big: on view where url == "/boom" add amount
rule bigger: on view where url == "/boom" add amount
"""
FAILING = {"settle": (NEVER_SETTLES, "settle"),
           "overflow": (OVERFLOWS, "score points became inf")}


@pytest.mark.parametrize("failure", sorted(FAILING))
@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_a_lead_failing_inside_a_batch_is_named(tmp_path, monkeypatch, failure, batch):
    """The failing lead is named whether it runs alone or among whole leads of a batch."""
    small_batches(monkeypatch, batch)
    log = tmp_path / "events.csv"
    log.write_text("lead_id,event,ts,url,amount\n"
                   "a,view,2024-01-01T00:00:00Z,/,1\n"
                   "b,view,2024-01-02T00:00:00Z,/,1\n"
                   "c,view,2024-01-03T00:00:00Z,/boom,1e308\n"
                   "d,view,2024-01-04T00:00:00Z,/,1\n"
                   "e,view,2024-01-05T00:00:00Z,/,1\n", encoding="utf-8")
    text, message = FAILING[failure]
    for engine in (CompiledEngine, Interpreter):
        with pytest.raises(LeadFailed) as failed:
            run(engine(load_text(text, "failing.leadflow").model),
                RunOptions([InputFile(str(log), "csv")], out_dir=str(tmp_path / "out"), top=0))
        assert failed.value.lead_id == "c"
        assert message in str(failed.value.error)
