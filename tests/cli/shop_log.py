"""A small ruleset and event log, written as CSV, JSON Lines or Parquet, for the CLI tests.

The same events in every format: CSV holds times as ISO text with assorted
offsets (and none, meaning Europe/Madrid), JSON Lines carries the fields in a
`properties` object, and the typed Parquet holds real TIMESTAMP WITH TIME ZONE,
DOUBLE, BIGINT and BOOLEAN columns. All must give identical output files.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner, Result

from leadflow.cli import cli

RULESET = '''\
ruleset shop
timezone "Europe/Madrid"

event email_open
event page_view(url: text)
event purchase(amount: number, category: text)
event visit(pages: int, vip: bool)

lead(country: text)

score engagement min 0
score fit
stage visitor
stage mql when engagement >= 10
stage sql when engagement >= 30

rule open: on email_open add 1
rule busy: on visit where pages >= 3 and vip add 4
rule big: on purchase where amount > 100 add 10
rule offer: on purchase count == 2 within 30 days send "offer" with category = category, amount = amount
rule spain: while lead.country == "ES" add 5 to fit
rule cooling: every 7 days without activity subtract 2.5
rule handoff: on enter sql notify "sales"

flow cart
  start on page_view where url matches "*/cart*"
  stop on purchase
  send "cart_items"
  wait 1 day
  send "reminder"
end
'''

FIELDS = ["url", "amount", "category", "pages", "vip"]
# (lead_id, event, time as written in the CSV, fields). Times without an offset are Madrid time.
EVENTS = [
    ("ana", "email_open", "2024-01-02 09:00", {}),
    ("ana", "page_view", "2024-01-02T09:05:00+01:00", {"url": "shop.es/cart"}),
    ("ana", "purchase", "2024-01-02T08:30:00Z", {"amount": 120.5, "category": "botas"}),
    ("ana", "purchase", "2024-01-20 18:00", {"amount": 350, "category": "boda"}),
    ("ana", "visit", "2024-01-21 10:00", {"pages": 4, "vip": True}),
    ("bob", "page_view", "2024-01-05 12:00", {"url": "shop.es/cart?x=1"}),
    ("bob", "email_open", "2024-01-05 12:00", {}),
    ("bob", "visit", "2024-01-06 10:00", {"pages": 2, "vip": True}),
    ("carla", "purchase", "2024-01-03T10:00:00-05:00", {"amount": 99.99, "category": "casual"}),
    ("carla", "email_open", "2024-02-10 09:00", {}),
    ("007", "email_open", "2024-01-10 09:00", {}),
    ("007", "email_open", "2024-01-10 09:00", {}),
    ("dan", "visit", "2024-02-01 08:00", {"pages": 9, "vip": False}),
]
LEADS = [("ana", "ES"), ("bob", "FR"), ("eve", "ES"), ("007", "PT")]  # eve has no events


def instant(text: str) -> datetime:
    """The absolute time a CSV time string means (no offset: Madrid, +01:00 in winter)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = datetime.fromisoformat(text + "+01:00")
    return moment.astimezone(UTC)


def write_ruleset(directory: Path) -> str:
    path = directory / "shop.leadflow"
    path.write_text(RULESET, encoding="utf-8")
    return str(path)


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, restval="", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("true" if v is True else "false" if v is False else v)
                             for k, v in row.items()})
    return str(path)


def event_rows(events=EVENTS) -> list[dict]:
    return [{"lead_id": lead, "event": event, "ts": ts, **fields} for lead, event, ts, fields in events]


def write_events(directory: Path, fmt: str, events=EVENTS, name: str = "events") -> str:
    """The log in one format: "csv", "jsonl" (fields in properties) or "parquet" (typed columns)."""
    if fmt == "csv":
        return write_csv(directory / f"{name}.csv", event_rows(events),
                         ["lead_id", "event", "ts", *FIELDS])
    if fmt == "jsonl":
        path = directory / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for lead, event, ts, fields in events:
                line = {"lead_id": lead, "event": event, "ts": ts}
                if fields:
                    line["properties"] = fields
                handle.write(json.dumps(line) + "\n")
        return str(path)
    table = pa.table({
        "lead_id": [e[0] for e in events],
        "event": [e[1] for e in events],
        "ts": pa.array([instant(e[2]) for e in events], type=pa.timestamp("us", tz="UTC")),
        "url": [e[3].get("url") for e in events],
        "amount": pa.array([e[3].get("amount") for e in events], type=pa.float64()),
        "category": [e[3].get("category") for e in events],
        "pages": pa.array([e[3].get("pages") for e in events], type=pa.int64()),
        "vip": pa.array([e[3].get("vip") for e in events], type=pa.bool_()),
    })
    path = directory / f"{name}.parquet"
    pq.write_table(table, path)
    return str(path)


def write_leads(directory: Path, leads=LEADS) -> str:
    return write_csv(directory / "leads.csv", [{"lead_id": lead, "country": country, "name": "x"}
                                               for lead, country in leads],
                     ["lead_id", "name", "country"])


def leadflow(*args: str) -> Result:
    """Run the CLI in-process; stdout and stderr apart."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def read_csv(path: str | Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
