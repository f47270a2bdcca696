"""leadflow.testing: the Hypothesis strategies, the EventLog, and `run`."""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from leadflow.api import load_text
from leadflow.dsl.diagnostics import LeadflowError
from leadflow.runtime.interpreter import Interpreter, RulesetIndex
from leadflow.semantics import timemath
from leadflow.testing import (
    DAY,
    SECOND,
    EventLog,
    Instant,
    LogEvent,
    event_logs,
    events,
    leads,
    load,
    run,
    time_literal,
)
from leadflow.testing.runner import run_block

ROOT = Path(__file__).resolve().parents[2]
SHOP_PATH = ROOT / "examples" / "zapateria.leadflow"
SHOP = load(SHOP_PATH)
B2B = load(ROOT / "examples" / "b2b_saas.leadflow")

TYPED = load("""
ruleset typed
timezone "America/New_York"
event visit(page: text, seconds: int, value: number, member: bool, joined: time)
event other
lead(tier: text, employees: int)
rule deep: on visit where seconds >= 30 and page matches "/docs/*" add 1
rule rich: while lead.employees > 250 add 5
""")

# Does the generator ever make X? Finding a rare X takes more tries than the suite's profile
# gives a property; the first one found is enough (no shrinking), the same one every run.
hunt = settings(max_examples=2000, deadline=None, database=None, derandomize=True,
                phases=[Phase.generate], suppress_health_check=[HealthCheck.too_slow])

_TYPES = {"number": float, "int": int, "text": str, "bool": bool, "time": int}


# ----------------------------------------------------------- valid events


@given(event_logs(TYPED, leads=2, missing=True))
def test_events_are_declared_typed_and_time_ordered(log):
    assert set(log.leads) <= {"lead1", "lead2"}
    for lead_id in log.leads:
        times = [e.ts for e in log.for_lead(lead_id)]
        assert times == sorted(times)
    for e in log:
        declared = {f.name: f.type for f in TYPED.events[e.event].fields}
        for name, value in e.values:
            assert name in declared
            assert type(value) is _TYPES[declared[name]] or (
                declared[name] == "time" and isinstance(value, Instant))
            if declared[name] == "int":
                assert not isinstance(value, bool)


@given(events(SHOP, span=dt.timedelta(days=60)))
def test_events_stay_within_the_span(log):
    start = timemath.from_local(dt.datetime(2024, 1, 8, 9, 0), SHOP.timezone)
    assert all(start <= e.ts <= start + 60 * DAY for e in log)
    assert set(log.leads) <= {"lead1"}


@given(events(SHOP, names=["email_open", "purchase"], min_size=3, max_size=5))
def test_names_limit_the_event_types_and_sizes_hold(log):
    assert {e.event for e in log} <= {"email_open", "purchase"}
    assert 3 <= len(log) <= 5


def test_an_unknown_event_name_is_an_error():
    with pytest.raises(ValueError, match="no such event.*purchse"):
        events(SHOP, names=["purchse"])


@given(leads(B2B))
def test_lead_attributes_have_the_declared_types(attrs):
    declared = {name: f.type for name, f in B2B.lead_fields.items()}
    assert set(attrs) <= set(declared)
    for name, value in attrs.items():
        assert type(value) is _TYPES[declared[name]]


def test_missing_leaves_fields_out_sometimes():
    log = find(events(TYPED, missing=True),
               lambda log: any(e.event == "visit" and len(e.values) < 5 for e in log), settings=hunt)
    assert any(len(e.values) < 5 for e in log if e.event == "visit")


# ------------------------------------------ aimed at what the rules look at


def _amounts(log: EventLog) -> set[float]:
    return {e.get("amount") for e in log if e.event == "purchase"}


@pytest.mark.parametrize("amount", [100.0, 101.0, 300.0, 301.0])
def test_values_land_on_the_thresholds(amount):
    """`where amount > 100` and `> 300`: both sides of each threshold come up."""
    find(events(SHOP, names=["purchase"]), lambda log: amount in _amounts(log), settings=hunt)


def test_texts_match_the_globs():
    """`url matches "*/tacon*"`: generated urls match it (and others miss it)."""
    def heels(e: LogEvent) -> bool:
        return e.event == "page_view" and fnmatchcase(e.get("url"), "*/tacon*")

    find(events(SHOP), lambda log: any(heels(e) for e in log), settings=hunt)
    find(events(SHOP), lambda log: any(e.event == "page_view" and not heels(e) for e in log),
         settings=hunt)


def test_texts_come_from_the_lists():
    find(events(SHOP), lambda log: any(e.get("query") == "zapatillas running" for e in log),
         settings=hunt)


def _gap_after_an_earlier_purchase(log: EventLog, length) -> bool:
    purchases = [e.ts for e in log if e.event == "purchase"]
    return any(later == length(earlier) for i, earlier in enumerate(purchases)
               for later in purchases[i + 1:])


@pytest.mark.parametrize("nudge", [-SECOND, 0, SECOND], ids=["inside", "on the edge", "outside"])
def test_times_land_on_both_sides_of_a_calendar_window(nudge):
    """`count >= 3 within 6 months`: a purchase six calendar months (Madrid time) after an
    earlier one, one second less, and one second more."""
    def six_months_later(ts: int) -> int:
        return timemath.add_duration(ts, 6, "month", SHOP.timezone) + nudge

    find(events(SHOP, names=["purchase"]),
         lambda log: _gap_after_an_earlier_purchase(log, six_months_later), settings=hunt)


@pytest.mark.parametrize("days", [5, 30], ids=["cart wait 2+3", "cart wait 2+3+25"])
def test_times_land_on_a_flows_total_wait(days):
    """cart_recovery waits 2, 3 and 25 days: events land when each wait, summed, ends
    (5 days has no rule of its own; 30 days also is the cooling period)."""
    def after_the_waits(log: EventLog) -> bool:
        return any(b.ts == a.ts + days * DAY for i, a in enumerate(log) for b in log.events[i + 1:])

    find(events(SHOP, names=["page_view"]), after_the_waits, settings=hunt)


def test_repeats_reach_count_thresholds():
    """`heels: … count > 3 tag "vestir"` needs four visits to a heels page."""
    def tagged(log: EventLog) -> bool:
        return any("vestir" in lead.tags for lead in run(SHOP, log).values())

    log = find(events(SHOP, names=["page_view", "purchase"]), tagged, settings=hunt)
    assert sum(1 for e in log if e.event == "page_view" and "/tacon" in e.get("url")) >= 4


# ---------------------------------------------------------- the EventLog


def test_an_event_log_prints_as_test_blocks():
    log = EventLog((
        LogEvent("b", timemath.parse_instant("2024-03-01T10:00", "Europe/Madrid"), "email_open"),
        LogEvent("a", timemath.parse_instant("2024-02-01T09:30:15", "Europe/Madrid"), "purchase",
                 (("amount", 120.0), ("category", 'say "hi"'))),
    ), (("a", (("country", "ES"),)),), "Europe/Madrid")
    assert log.as_test_blocks() == dedent("""\
        test "a"
          lead(country: "ES")
          at 2024-02-01T09:30:15 purchase(amount: 120, category: "say \\"hi\\"")
          # at 2024-03-01T10:00 expect ...
        end

        test "b"
          at 2024-03-01T10:00 email_open
          # at 2024-03-01T10:00 expect ...
        end""")
    assert repr(log) == "EventLog(\n" + log.as_test_blocks() + "\n)"


def test_a_time_in_the_dst_fold_is_written_in_utc():
    """02:30 on 27 Oct 2024 happens twice in Madrid; the second one cannot be written locally."""
    first = timemath.parse_instant("2024-10-27T00:30:00Z", "UTC")  # 02:30 CEST
    assert time_literal(first, "Europe/Madrid") == "2024-10-27T02:30"
    second = timemath.parse_instant("2024-10-27T01:30:00Z", "UTC")  # 02:30 CET, an hour later
    assert time_literal(second, "Europe/Madrid") == "2024-10-27T01:30:00Z"


def test_with_event_keeps_time_order():
    log = EventLog((LogEvent("a", 10, "x"), LogEvent("a", 30, "y")))
    more = log.with_event(LogEvent("a", 10, "z"))
    assert [e.event for e in more] == ["x", "z", "y"]


def _replayed_as_a_test_block(ruleset, log: EventLog, score: str) -> list:
    """The log's single lead as a test block that expects the score `run` computed."""
    lead = run(ruleset, log)["lead1"]
    block = log.as_test_blocks().replace(
        "# at", "at").replace("expect ...", f"expect {score} == {lead.scores[score]!r}")
    loaded = load_text(f'tests for "{ruleset.path}"\n{block}\n', str(ROOT / "replay.leadflow"))
    assert loaded.ok, loaded.render()
    engine = Interpreter(loaded.model)
    return run_block(engine, RulesetIndex(loaded.model), loaded.model.tests[0]).failures


@settings(deadline=None)
@given(events(SHOP, min_size=1))
def test_a_printed_log_is_a_test_block_that_reproduces_the_run(log):
    """Times, values and lead attributes survive the trip through the printed block."""
    assert _replayed_as_a_test_block(SHOP, log, "engagement") == []


@settings(deadline=None)
@given(events(B2B, min_size=1))
def test_a_printed_log_reproduces_lead_attributes_too(log):
    assert _replayed_as_a_test_block(B2B, log, "fit") == []


# ----------------------------------------------------------------- run


def test_run_reads_results_per_lead():
    t0 = timemath.parse_instant("2024-02-01T10:00", SHOP.timezone)
    log = EventLog((
        LogEvent("ana", t0, "purchase", (("amount", 400.0), ("category", "boda"))),
        LogEvent("ana", t0 + DAY, "email_open"),
        LogEvent("ben", t0, "page_view", (("url", "www.zapateria.com/mi_cesta"),)),
    ), timezone=SHOP.timezone)
    results = run(SHOP, log, as_of=dt.timedelta(days=31))
    ana, ben = results["ana"], results["ben"]
    # 400 € make an SQL; 30 quiet days later cooling takes 5 points: back to MQL.
    assert ana.stages() == ["visitor", "sql", "mql"] and ana.entered("sql") == [t0]
    assert ana.notified("sales") == [t0] and ana.sent("order_details") == [t0]
    assert [e.event for e in ana.events_of("purchase", before=t0)] == ["purchase"]
    assert ben.sent("coupon") == [t0 + 30 * DAY]
    assert ben.as_of == t0 + DAY + 31 * DAY  # a timedelta counts from the log's last event
    assert run(SHOP, log)["ben"].sent("coupon") == []  # by default, as-of is the last event


def test_load_reports_errors_as_diagnostics():
    with pytest.raises(LeadflowError, match="unknown event `purchse`"):
        load("event purchase\nrule big: on purchse add 1\n")


def test_strategies_draw_in_a_composite_test():
    """The strategies compose with others (here st.data) like any Hypothesis strategy."""
    @settings(max_examples=5, deadline=None, database=None)
    @given(event_logs(SHOP, leads=["x", "y"]), st.data())
    def inner(log, data):
        lead = data.draw(st.sampled_from(["x", "y"]))
        assert set(log.leads) <= {"x", "y"} and lead in ("x", "y")

    inner()
