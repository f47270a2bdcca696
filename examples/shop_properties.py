"""What must hold for any shoe-shop ruleset, whatever the events: written once, checked by
test_zapateria_properties.py (the real rules) and test_buggy_scoring_properties.py (the
seeded bugs). Each check replays a generated log and raises AssertionError naming the
lead, the time (as a test block writes it) and what went wrong.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase

from leadflow.dsl.model import Model
from leadflow.testing import DAY, EventLog, LogEvent, run, time_literal


def check_scores_within_bounds(shop: Model, log: EventLog) -> None:
    """Every score stays within its declared `min` and `max`."""
    bounds = {s.name: (s.min, s.max) for s in shop.scores}
    for lead in run(shop, log).values():
        for name, value in lead.scores.items():
            low, high = bounds[name]
            assert low is None or value >= low, f"{lead.lead_id}: {name} {value} is below {low}"
            assert high is None or value <= high, f"{lead.lead_id}: {name} {value} is above {high}"


def check_no_sql_without_a_purchase(shop: Model, log: EventLog) -> None:
    """Sales only gets leads that have bought something."""
    for lead in run(shop, log).values():
        for at in lead.entered("sql"):
            assert lead.events_of("purchase", before=at), (
                f"{lead.lead_id} reached sql at {time_literal(at, shop.timezone)} "
                f"without a purchase (engagement {lead.scores['engagement']:g} at the end)")


def check_an_open_never_lowers_a_score(shop: Model, log: EventLog, lead_id: str, at: int) -> None:
    """The same log plus one email open, replayed to the same instant: no score is lower."""
    as_of = max(at, log.end if log.end is not None else at)
    with_open = log.with_event(LogEvent(lead_id, at, "email_open"))
    before = run(shop, log, as_of=as_of)
    after = run(shop, with_open, as_of=as_of)[lead_id]
    for name, value in after.scores.items():
        was = before[lead_id].scores[name] if lead_id in before else 0
        assert value >= was, (f"an email open at {time_literal(at, shop.timezone)} lowered "
                              f"{name} from {was:g} to {value:g}")


def check_an_abandoned_cart_gets_the_coupon(shop: Model, log: EventLog) -> None:
    """A lead whose first visit to the cart page (/mi_cesta) is not followed by a purchase
    or the thank-you page (/gracias) is sent the coupon within 31 days. The coupon may be
    held by the quiet hours (it still comes within the 31 days) or suppressed by the daily
    send limit (it is then written as suppressed): both count as the shop sending it."""
    results = run(shop, log, as_of=dt.timedelta(days=31))  # every pending coupon falls due
    for lead in results.values():
        carts = [i for i, e in enumerate(lead.events) if _visit(e, "*/mi_cesta*")]
        if not carts:
            continue
        started = lead.events[carts[0]].ts
        later = lead.events[carts[0] + 1:]
        if any(e.event == "purchase" or _visit(e, "*/gracias*") for e in later):
            continue
        coupons = [t for t in lead.sent("coupon") + lead.suppressed("coupon")
                   if started < t <= started + 31 * DAY]
        assert coupons, (f"{lead.lead_id} left a cart at {time_literal(started, shop.timezone)}, "
                         f"never bought, and got no coupon within 31 days")


def check_every_mql_got_the_buying_guide(shop: Model, log: EventLog) -> None:
    """What the team believed: every lead that became marketing- or sales-qualified has
    been sent the buying guide (`rule warm_up: on enter mql send "buying_guide"`)."""
    for lead in run(shop, log).values():
        qualified = {"mql", "sql"} & set(lead.stages())
        if qualified:
            assert lead.sent("buying_guide"), (
                f"{lead.lead_id} reached {' and '.join(sorted(qualified))} "
                "but was never sent the buying guide")


def _visit(event: LogEvent, glob: str) -> bool:
    return event.event == "page_view" and fnmatchcase(event.get("url", ""), glob)
