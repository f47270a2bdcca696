"""Generate the example event log of the online shoe shop (examples/zapateria.leadflow).

    python examples/generate_zapateria_log.py            # writes examples/data/*.csv

Writes examples/data/zapateria_events.csv (a few thousand events of several
hundred leads, January to June 2024) and examples/data/zapateria_leads.csv (their
country and industry, from the "CRM"). The seed is fixed, so the files are the
same on every machine; `make demo` replays them with `leadflow run`.

The leads follow the journeys the seed articles describe: newsletter readers who
open and click, browsers of heels or sport shoes, carts abandoned and recovered,
the customer who buys boots in January, trainers in March and wedding shoes in
May, big-ticket buyers, parcels shipped and delivered, and sales reps sending
cold leads back to marketing. Times are the shop's local time (no offset: the
ruleset's time zone, Europe/Madrid), as a web shop's export usually has them.

Like any real export it is a little messy, on purpose, so the demo shows the
accounting: a few rows without a lead id, with a time nobody can read, with a
Spanish decimal comma in an amount, and an event type the ruleset does not use
(newsletter_signup).
"""

from __future__ import annotations

import csv
import os
import random
from datetime import datetime, timedelta

SEED = 20240101
LEADS = 420
START = datetime(2024, 1, 1, 8, 0)
DAYS = 181  # to the end of June
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
COLUMNS = ["lead_id", "event", "ts", "url", "campaign", "query", "title", "contest",
           "amount", "category", "carrier", "status"]

SHOP = "www.zapateria.com"
CATEGORIES = ["botas", "deporte", "boda", "sandalias", "botines", "tacones", "casual"]
CAMPAIGNS = ["rebajas_enero", "san_valentin", "primavera", "bodas_2024", "verano"]
SEARCHES = ["botas", "zapatillas running", "sandalias", "botines", "tacones", "mocasines",
            "zapatos novia", "chanclas"]
EBOOKS = ["guia_tallas", "cuidado_del_cuero", "tendencias_2024"]
CARRIERS = ["correos", "seur", "mrw"]
COUNTRIES = ["ES"] * 7 + ["PT", "FR", "MX", "AR"]
INDUSTRIES = ["retail", "moda", "hosteleria", "educacion", "salud", "tecnologia", None]
PAGES = {
    "heels": [f"{SHOP}/tacon/{c}" for c in ("rojo", "negro", "nude", "plata")],
    "sport": [f"{SHOP}/deporte", f"{SHOP}/deporte_runner", f"{SHOP}/deporte_trail",
              f"{SHOP}/deporte_padel"],
    "other": [f"{SHOP}/", f"{SHOP}/botas", f"{SHOP}/sandalias", f"{SHOP}/ofertas",
              f"{SHOP}/boda", f"{SHOP}/casual"],
}


class Journey:
    """The events of one lead, appended in time order from a moving clock."""

    def __init__(self, rng: random.Random, lead_id: str):
        self.rng = rng
        self.lead_id = lead_id
        self.now = START + timedelta(days=rng.uniform(0, DAYS * 0.6), hours=rng.uniform(0, 13))
        self.rows: list[dict[str, str]] = []

    def later(self, low_hours: float, high_hours: float) -> None:
        self.now += timedelta(hours=self.rng.uniform(low_hours, high_hours))
        if self.now.hour >= 23:  # people shop by day: go on the next morning
            self.now += timedelta(days=1)
        if self.now.hour < 8 or self.now.hour >= 23:
            self.now = self.now.replace(hour=self.rng.randint(8, 10))

    def add(self, event: str, **fields: object) -> None:
        if self.now >= START + timedelta(days=DAYS):
            return
        row = {"lead_id": self.lead_id, "event": event, "ts": self.now.strftime("%Y-%m-%d %H:%M:%S")}
        row.update({k: str(v) for k, v in fields.items()})
        self.rows.append(row)

    def read_newsletter(self, times: int) -> None:
        for _ in range(times):
            self.later(24, 24 * 9)
            self.add("email_open")
            if self.rng.random() < 0.4:
                self.later(0.01, 0.2)
                self.add("email_click", campaign=self.rng.choice(CAMPAIGNS))

    def browse(self, kind: str, pages: int) -> None:
        for _ in range(pages):
            self.later(0.01, 30)
            self.add("page_view", url=self.rng.choice(PAGES[kind]))

    def cart(self, completes: bool) -> None:
        self.later(0.05, 2)
        self.add("page_view", url=f"{SHOP}/mi_cesta")
        if completes:
            self.later(0.05, 0.5)
            self.buy(self.rng.choice(CATEGORIES), thanks=True)

    def buy(self, category: str, thanks: bool = False, amount: float | None = None) -> None:
        if amount is None:
            amount = round(self.rng.choice([39.9, 49.95, 59, 75, 89.9, 120, 149, 189, 240, 320]), 2)
        self.add("purchase", amount=amount, category=category)
        if thanks:
            self.later(0.001, 0.01)
            self.add("page_view", url=f"{SHOP}/gracias")
        parcel = Journey(self.rng, self.lead_id)
        parcel.now = self.now
        parcel.later(20, 48)
        parcel.add("shipped", carrier=self.rng.choice(CARRIERS))
        if self.rng.random() < 0.9:  # some parcels get lost: customer care hears of it
            parcel.later(24, 24 * 5)
            parcel.add("delivered")
        self.rows.extend(parcel.rows)

    def search(self) -> None:
        self.later(0.1, 48)
        self.add("search", query=self.rng.choice(SEARCHES))


def journey(rng: random.Random, lead_id: str) -> list[dict[str, str]]:
    j = Journey(rng, lead_id)
    kind = rng.choices(["reader", "heels", "sport", "cart", "loyal", "big_ticket", "one_off",
                        "registrant", "cold"], weights=[22, 10, 12, 14, 8, 3, 15, 10, 6])[0]
    if rng.random() < 0.35:  # captured by a form, an ebook or a sweepstake
        j.later(0, 24)
        capture = rng.choice([("registration", {}), ("ebook_download", {"title": rng.choice(EBOOKS)}),
                              ("sweepstakes_entry", {"contest": "sorteo_primavera"})])
        j.add(capture[0], **capture[1])
    if kind == "reader":
        j.read_newsletter(rng.randint(3, 14))
    elif kind == "heels":
        j.browse("heels", rng.randint(2, 8))
        j.read_newsletter(rng.randint(0, 4))
        if rng.random() < 0.4:
            j.cart(completes=rng.random() < 0.5)
    elif kind == "sport":
        j.browse("sport", rng.randint(2, 9))
        if rng.random() < 0.5:
            j.search()
        if rng.random() < 0.5:
            j.cart(completes=rng.random() < 0.6)
    elif kind == "cart":
        j.browse("other", rng.randint(1, 4))
        j.cart(completes=False)
        j.read_newsletter(rng.randint(0, 3))
        if rng.random() < 0.3:
            j.later(24, 24 * 6)
            j.cart(completes=True)
    elif kind == "loyal":  # boots in January, trainers in March, wedding shoes in May
        for category in ("botas", "deporte", "boda", "sandalias")[: rng.randint(3, 4)]:
            j.read_newsletter(rng.randint(1, 3))
            j.later(24 * 20, 24 * 45)
            j.buy(category, amount=rng.choice([45, 60, 80, 110, 135]))
    elif kind == "big_ticket":
        j.browse("other", rng.randint(2, 5))
        for _ in range(rng.choice([2, 5])):
            j.later(0.05, 0.5)
            j.buy(rng.choice(CATEGORIES), amount=rng.choice([110, 160, 320, 350]))
    elif kind == "one_off":
        j.browse("other", rng.randint(1, 3))
        j.search()
        j.later(0.1, 3)
        j.buy(rng.choice(CATEGORIES))
    elif kind == "registrant":
        j.add("registration")
        j.read_newsletter(rng.randint(1, 6))
        j.search()
    elif kind == "cold":
        j.read_newsletter(rng.randint(8, 16))
        j.later(0.1, 5)
        j.buy("botas", amount=rng.choice([320, 360]))
        j.later(24 * 2, 24 * 10)
        j.add("sales_feedback", status="cold")
    return j.rows


def messy_rows(rng: random.Random, rows: list[dict[str, str]]) -> None:
    """The small faults of a real export, a known number of each."""
    for index in rng.sample(range(len(rows)), 4):
        rows[index] = {**rows[index], "lead_id": ""}
    for index, word in zip(rng.sample(range(len(rows)), 3), ["ayer", "31/02/2024", "pendiente"]):
        rows[index] = {**rows[index], "ts": word}
    buys = [i for i, r in enumerate(rows) if r["event"] == "purchase"]
    for index in rng.sample(buys, 2):
        rows[index] = {**rows[index], "amount": rows[index]["amount"].replace(".", ",") + ",00"}
    for lead in rng.sample(sorted({r["lead_id"] for r in rows if r["lead_id"]}), 30):
        when = START + timedelta(days=rng.uniform(0, DAYS - 1), hours=rng.uniform(0, 12))
        rows.append({"lead_id": lead, "event": "newsletter_signup",
                     "ts": when.strftime("%Y-%m-%d %H:%M:%S")})


def generate(seed: int = SEED, leads: int = LEADS) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    rng = random.Random(seed)
    events: list[dict[str, str]] = []
    ids = [f"Z{n:04d}" for n in range(1, leads + 1)]
    for lead_id in ids:
        events.extend(journey(rng, lead_id))
    messy_rows(rng, events)
    # An export is in time order, not lead order.
    events.sort(key=lambda r: (r["ts"] if r["ts"][:1].isdigit() else "9", r["lead_id"]))
    crm = [{"lead_id": lead_id, "name": f"Cliente {lead_id[1:]}", "country": rng.choice(COUNTRIES),
            "industry": rng.choice(INDUSTRIES) or ""}
           for lead_id in ids + [f"Z{n:04d}" for n in range(leads + 1, leads + 21)]]
    return events, crm


def write(path: str, columns: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    os.makedirs(DATA, exist_ok=True)
    events, crm = generate()
    write(os.path.join(DATA, "zapateria_events.csv"), COLUMNS, events)
    write(os.path.join(DATA, "zapateria_leads.csv"), ["lead_id", "name", "country", "industry"], crm)
    print(f"wrote {len(events)} events of {len({r['lead_id'] for r in events if r['lead_id']})} leads "
          f"and {len(crm)} lead records to {os.path.relpath(DATA)}/")


if __name__ == "__main__":
    main()
