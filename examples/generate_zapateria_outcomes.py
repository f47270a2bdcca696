"""Generate synthetic conversions for the shop's example log (examples/data/zapateria_events.csv).

    python examples/generate_zapateria_outcomes.py   # writes examples/data/zapateria_outcomes.csv

The conversion is joining the shop's paid loyalty club ("Club Zapatería", 30 €
a year): a goal the event log does not record, as a CRM export would hold it.
It is made up, on purpose with a known cause, so docs/trust.md can show what
`leadflow backtest` and `leadflow fit` find: each day, a lead joins with a
probability that grows with its clicks and its purchases over 100 € in the
last 30 days, a little with opens, and shrinks after a sales rep calls it cold.
The seed is fixed, so the file is the same on every machine.
"""

from __future__ import annotations

import csv
import math
import os
import random
from collections import defaultdict
from datetime import datetime, timedelta

SEED = 20240613
HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = os.path.join(HERE, "data", "zapateria_events.csv")
OUT = os.path.join(HERE, "data", "zapateria_outcomes.csv")
END = datetime(2024, 7, 1)  # the log covers January to June 2024
WINDOW = timedelta(days=30)
FEE = 30

# The daily log-odds of joining: a base and a weight per kind of recent event.
BASE = -6.0
WEIGHTS = {"email_open": 0.05, "email_click": 0.45, "big_purchase": 1.2, "cold": -1.5}


def kind(row: dict[str, str]) -> str | None:
    """Which weighted kind of event a log row is, if any (bad rows are skipped)."""
    if row["event"] == "purchase":
        try:
            return "big_purchase" if float(row["amount"]) > 100 else None
        except ValueError:
            return None
    if row["event"] == "sales_feedback":
        return "cold" if row["status"] == "cold" else None
    return row["event"] if row["event"] in WEIGHTS else None


def read_events() -> dict[str, list[tuple[datetime, str]]]:
    found: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    with open(EVENTS, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                at = datetime.fromisoformat(row["ts"])
            except ValueError:
                continue
            if row["lead_id"] and kind(row) is not None:
                found[row["lead_id"]].append((at, kind(row)))
    return {lead: sorted(events) for lead, events in found.items()}


def join_time(rng: random.Random, events: list[tuple[datetime, str]]) -> datetime | None:
    """Walk day by day from the lead's first weighted event; the first day it joins, or None."""
    day = events[0][0].replace(hour=0, minute=0, second=0) + timedelta(days=1)
    while day < END:
        recent = [k for at, k in events if day - WINDOW <= at < day]
        odds = BASE + sum(WEIGHTS[k] for k in recent)
        if rng.random() < 1 / (1 + math.exp(-odds)):
            return day + timedelta(hours=rng.randint(9, 21), minutes=rng.randint(0, 59))
        day += timedelta(days=1)
    return None


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    for lead, events in sorted(read_events().items()):
        joined = join_time(rng, events)
        if joined is not None:
            rows.append((lead, joined.isoformat(sep=" "), FEE))
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lead_id", "converted_at", "value"])
        writer.writerows(sorted(rows, key=lambda r: r[1]))
    print(f"{OUT}: {len(rows)} conversions")


if __name__ == "__main__":
    main()
