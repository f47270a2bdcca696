"""Generate a large synthetic event log for the online shoe shop, as Parquet.

    python bench/gen_events.py                 # 1,000,000 events → bench/data/events_1000000.parquet
    python bench/gen_events.py -n 200000 -o /tmp/events.parquet

Deterministic (fixed seed): the same file on every machine. Events come in time
order, as a shop's export does, over ~50,000 leads of unequal activity (1% of
the leads make a fifth of the events), with the event types of examples/zapateria.leadflow
and their fields as columns. `ts` is a naive TIMESTAMP column, read in the
ruleset's time zone. Written in row groups, so memory stays small for any size.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq

SEED = 7
HERE = os.path.dirname(os.path.abspath(__file__))
ROW_GROUP = 100_000
START_US = int(datetime(2024, 1, 1).timestamp()) * 1_000_000  # only the spacing matters
SPAN_US = 180 * 86_400 * 1_000_000  # six months

SCHEMA = pa.schema([
    ("lead_id", pa.string()), ("event", pa.string()), ("ts", pa.timestamp("us")),
    ("url", pa.string()), ("campaign", pa.string()), ("query", pa.string()),
    ("title", pa.string()), ("contest", pa.string()), ("amount", pa.float64()),
    ("category", pa.string()), ("carrier", pa.string()), ("status", pa.string()),
])
EVENT_WEIGHTS = [("email_open", 30), ("email_click", 12), ("page_view", 35), ("search", 6),
                 ("registration", 1), ("ebook_download", 1), ("sweepstakes_entry", 1),
                 ("purchase", 5), ("shipped", 4), ("delivered", 4), ("sales_feedback", 1)]
URLS = ["www.zapateria.com/", "www.zapateria.com/botas", "www.zapateria.com/tacon/rojo",
        "www.zapateria.com/tacon/negro", "www.zapateria.com/deporte", "www.zapateria.com/deporte_runner",
        "www.zapateria.com/mi_cesta", "www.zapateria.com/gracias", "www.zapateria.com/ofertas"]
CATEGORIES = ["botas", "deporte", "boda", "sandalias", "botines", "tacones", "casual"]
SEARCHES = ["botas", "zapatillas running", "sandalias", "botines", "tacones", "mocasines"]


def fields_for(rng: random.Random, event: str) -> dict[str, object]:
    if event == "page_view":
        return {"url": rng.choice(URLS)}
    if event == "email_click":
        return {"campaign": rng.choice(["rebajas", "primavera", "bodas", "verano"])}
    if event == "search":
        return {"query": rng.choice(SEARCHES)}
    if event == "ebook_download":
        return {"title": "guia_tallas"}
    if event == "sweepstakes_entry":
        return {"contest": "sorteo_primavera"}
    if event == "purchase":
        return {"amount": rng.choice([39.9, 59.0, 89.9, 120.0, 149.0, 240.0, 320.0]),
                "category": rng.choice(CATEGORIES)}
    if event == "shipped":
        return {"carrier": rng.choice(["correos", "seur", "mrw"])}
    if event == "sales_feedback":
        return {"status": rng.choice(["hot", "cold"])}
    return {}


def generate(path: str, events: int, leads: int, seed: int = SEED) -> None:
    rng = random.Random(seed)
    names = [name for name, _ in EVENT_WEIGHTS]
    weights = [w for _, w in EVENT_WEIGHTS]
    lead_ids = [f"L{n:07d}" for n in range(leads)]
    gap = SPAN_US // max(events, 1)
    now = START_US
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with pq.ParquetWriter(path, SCHEMA) as writer:
        done = 0
        while done < events:
            size = min(ROW_GROUP, events - done)
            columns: dict[str, list] = {name: [] for name in SCHEMA.names}
            kinds = rng.choices(names, weights, k=size)
            for kind in kinds:
                now += rng.randint(0, 2 * gap)
                # A fifth of the events come from 1% of the leads (a few hundred events
                # each); the rest from everyone (a dozen or two each).
                heavy = rng.random() < 0.2
                lead = lead_ids[rng.randrange(max(leads // 100, 1)) if heavy else rng.randrange(leads)]
                values = fields_for(rng, kind)
                columns["lead_id"].append(lead)
                columns["event"].append(kind)
                columns["ts"].append(now)
                for name in SCHEMA.names[3:]:
                    columns[name].append(values.get(name))
            writer.write_table(pa.table(columns, schema=SCHEMA))
            done += size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("-o", "--out", default=None, help="default: bench/data/events_N.parquet")
    args = parser.parse_args()
    path = args.out or os.path.join(HERE, "data", f"events_{args.events}.parquet")
    generate(path, args.events, args.leads)
    print(f"wrote {args.events:,} events of up to {args.leads:,} leads to {path}")


if __name__ == "__main__":
    main()
