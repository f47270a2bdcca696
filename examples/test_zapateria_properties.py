"""Property tests of the shoe shop's rules (docs/testing.md walks through each one).

    .venv/bin/pytest examples/

Hypothesis generates event logs for the ruleset's own events (leadflow.testing)
and the checks in shop_properties.py say what must hold for every one of them.
The example counts are kept small so the whole folder runs in seconds; raise
them (or set HYPOTHESIS_PROFILE in your own conftest) for a deeper search.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from shop_properties import (
    check_an_abandoned_cart_gets_the_coupon,
    check_an_open_never_lowers_a_score,
    check_every_mql_got_the_buying_guide,
    check_no_sql_without_a_purchase,
    check_scores_within_bounds,
)

from leadflow.testing import DAY, LogEvent, event_logs, events, load

SHOP = load(Path(__file__).with_name("zapateria.leadflow"))

# Few examples, no deadline: quick and steady on a busy machine. (No "explain" phase:
# a failure shows the shrunk event log and the assertion, nothing else.)
quick = settings(max_examples=40, deadline=None, phases=set(Phase) - {Phase.explain})


@quick
@given(event_logs(SHOP))
def test_scores_stay_within_bounds(log):
    check_scores_within_bounds(SHOP, log)


@quick
@given(event_logs(SHOP))
def test_no_lead_reaches_sql_without_a_purchase(log):
    check_no_sql_without_a_purchase(SHOP, log)


@quick
@given(events(SHOP, min_size=1), st.data())
def test_an_email_open_never_lowers_a_score(log, data):
    # Anywhere from the lead's first event to a month after its last.
    at = data.draw(st.integers(log.start, log.end + 30 * DAY), label="open at")
    check_an_open_never_lowers_a_score(SHOP, log, "lead1", at)


NEVER_BUYS = [name for name in SHOP.events if name != "purchase"]
CART = (("url", "www.zapateria.com/mi_cesta"),)


@quick
@given(events(SHOP, names=NEVER_BUYS, min_size=1), st.data())
def test_an_abandoned_cart_gets_the_coupon_within_31_days(history, data):
    # A lead who never buys, with a visit to the cart somewhere in its history.
    at = data.draw(st.integers(history.start, history.end), label="cart visit at")
    log = history.with_event(LogEvent("lead1", at, "page_view", CART))
    check_an_abandoned_cart_gets_the_coupon(SHOP, log)


# A property the team believed, and Hypothesis disproved: a lead can go from
# visitor straight to sql (one purchase over 300 € is worth 60 points), and
# `rule warm_up: on enter mql` never fires for it. Remove the xfail mark to see
# the shrunk counterexample, printed as a test block (docs/testing.md).
@pytest.mark.xfail(raises=AssertionError, strict=True,
                   reason="visitor → sql skips mql: no buying guide (a real finding)")
@settings(quick, max_examples=200, derandomize=True, database=None)  # the same examples every run
@given(event_logs(SHOP))
def test_every_qualified_lead_got_the_buying_guide(log):
    check_every_mql_got_the_buying_guide(SHOP, log)
