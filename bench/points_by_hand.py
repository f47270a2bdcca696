"""bench/workers_points.leadflow's scores without leadflow: a DuckDB + Python loop, and SQL.

    python bench/points_by_hand.py loop LOG OUT.csv   # DuckDB sorts, a Python loop scores
    python bench/points_by_hand.py sql LOG OUT.csv    # one DuckDB query scores

The two yardsticks of bench/single_core_bench.py, each what a careful engineer
would write by hand for exactly these rules on the shop's Parquet log
(bench/gen_events.py: lead_id, event, ts as a naive UTC timestamp, amount):

    score points min 0
    rule open:     on email_open add 1
    rule click:    on email_click add 3
    rule big:      on purchase where amount > 100 add 10
    rule frequent: on purchase count >= 3 within 6 months add 20 once per 6 months
    rule decay:    every 30 days without activity subtract 10%

Both follow docs/semantics.md: the as-of is the latest event time in the log
(any event type); at each event the decay due at or before it fires first
(`score − score × 10 / 100`, every 30 days after the lead's last event); the
three-purchase window is `(t − 6 months, t]` in calendar months (UTC), the
current purchase counted; `once per 6 months` fires only when the rule has not
fired in `(t − 6 months, t]`. Every score is non-negative here, so `min 0`
never binds. Each writes OUT.csv: lead_id, points (formatted like leads.csv), for every lead
with an event, as leads.csv lists them (a lead whose events the rules all ignore
has 0 points).

`loop`: DuckDB reads the log and sorts the applied events by lead and time;
Python walks the Arrow batches (each column converted to a list once per
batch) with the lead's state in locals; the calendar arithmetic runs only
when its answer is not clear from the distance alone. It prints the seconds
spent in the Python loop itself to stderr (the rest of its time is DuckDB's
scan and sort, start-up and writing OUT.csv).

`sql`: one query. The decay is what makes scoring sequential, but with no
bound reached it is linear: an event's points are multiplied by 0.9 once per
decay that fires after it, so a lead's score is Σ points × 0.9^(decays after
the event), the decays between two events being ⌊gap / 30 days⌋ (the clock
restarts at each event). `once per 6 months` needs the previous firing, so
the firings are found by a recursive CTE that follows, from each firing, the
next qualifying purchase at least 6 months later. Its scores agree with the
loop's to floating-point rounding (powers instead of repeated products).
"""

from __future__ import annotations

import sys
import time
from collections import deque

import duckdb
from handwritten_loop import DAY, LONGEST, SHORTEST, six_months_before

PERIOD = 30 * DAY
OPEN, CLICK, PURCHASE = 0, 1, 2
APPLIED = "event IN ('email_open', 'email_click', 'purchase')"
VALID = "lead_id IS NOT NULL AND event IS NOT NULL AND ts IS NOT NULL"


def format_score(value: float) -> str:
    """As leads.csv writes a score: `15`, `2.5`, at most 6 decimals."""
    rounded = round(value, 6)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.6f}".rstrip("0").rstrip(".")


def source(log: str) -> str:
    return "read_parquet('" + log.replace("'", "''") + "')"


def decayed(score: float, due: int, as_of: int) -> float:
    """The score after the decays due up to the as-of (the lead's last event set `due`)."""
    while due <= as_of:
        score += -score * 10 / 100
        due += PERIOD
    return score


def loop_scores(con: duckdb.DuckDBPyConnection, log: str) -> tuple[list[str], list[float]]:
    """Each lead's score, by a Python loop over DuckDB's sorted Arrow batches."""
    as_of = con.sql(f"SELECT epoch_us(max(ts)) FROM {source(log)} WHERE {VALID}").fetchall()[0][0]
    reader = con.sql(
        f"SELECT lead_id, epoch_us(ts), CASE event WHEN 'email_open' THEN {OPEN} "
        f"WHEN 'email_click' THEN {CLICK} ELSE {PURCHASE} END, amount FROM {source(log)} "
        f"WHERE {VALID} AND {APPLIED} ORDER BY lead_id, ts").to_arrow_reader(100_000)
    leads: list[str] = []
    scores: list[float] = []
    lead = None
    score, due, fired, purchases = 0.0, 0, None, deque(maxlen=3)
    python = 0.0  # seconds in the loop itself, not waiting for DuckDB's next batch
    for batch in reader:
        started = time.perf_counter()
        ids, times, codes, amounts = (column.to_pylist() for column in batch.columns)
        for i in range(len(ids)):
            t = times[i]
            if ids[i] != lead:
                if lead is not None:
                    leads.append(lead)
                    scores.append(decayed(score, due, as_of))
                lead, score, fired, purchases = ids[i], 0.0, None, deque(maxlen=3)
            else:
                while due <= t:  # 30 days without activity: the decay, again every 30 days
                    score += -score * 10 / 100
                    due += PERIOD
            due = t + PERIOD
            code = codes[i]
            if code == OPEN:
                score += 1
            elif code == CLICK:
                score += 3
            else:
                amount = amounts[i]
                if amount is not None and amount > 100:
                    score += 10
                purchases.append(t)
                if len(purchases) == 3:
                    first = purchases[0]
                    age = t - first
                    if age < SHORTEST or (age < LONGEST and first > six_months_before(t)):
                        since = t - fired if fired is not None else None
                        if since is None or since >= LONGEST or (
                                since >= SHORTEST and fired <= six_months_before(t)):
                            fired = t
                            score += 20
        python += time.perf_counter() - started
    # For bench/single_core_bench.py: how the loop's time splits between DuckDB and Python.
    print(f"python loop {python:.3f} s", file=sys.stderr)
    if lead is not None:
        leads.append(lead)
        scores.append(decayed(score, due, as_of))
    # Leads whose every event is of a type the rules ignore: listed, with no points.
    for (silent,) in con.sql(f"SELECT lead_id FROM {source(log)} WHERE {VALID} GROUP BY lead_id "
                             f"HAVING NOT bool_or({APPLIED})").fetchall():
        leads.append(silent)
        scores.append(0.0)
    return leads, scores


def scores_sql(log: str) -> str:
    """One query: lead_id, points of every lead with an applied event, by lead_id."""
    month6 = "INTERVAL 6 MONTH"
    return f"""
WITH RECURSIVE
as_of AS (SELECT epoch_us(max(ts)) AS as_of_us FROM {source(log)} WHERE {VALID}),
ev AS (SELECT lead_id, ts, epoch_us(ts) AS t, event, amount FROM {source(log)}
       WHERE {VALID} AND {APPLIED}),
purchases AS (SELECT lead_id, ts, t, lag(ts, 2) OVER (PARTITION BY lead_id ORDER BY t) AS third
              FROM ev WHERE event = 'purchase'),
candidates AS (SELECT lead_id, t, epoch_us(ts - {month6}) AS back,
                      row_number() OVER (PARTITION BY lead_id ORDER BY t) AS n
               FROM purchases WHERE third > ts - {month6}),
following AS (SELECT c.lead_id, c.n, min(d.n) AS next_n FROM candidates c
              JOIN candidates d ON d.lead_id = c.lead_id AND d.back >= c.t
              GROUP BY c.lead_id, c.n),
fired(lead_id, n) AS (
    SELECT lead_id, n FROM candidates WHERE n = 1
    UNION ALL
    SELECT f.lead_id, x.next_n FROM fired f JOIN following x ON x.lead_id = f.lead_id AND x.n = f.n),
firings AS (SELECT c.lead_id, c.t FROM fired f JOIN candidates c USING (lead_id, n)),
points AS (
    SELECT ev.lead_id, ev.t,
           CASE ev.event WHEN 'email_open' THEN 1 WHEN 'email_click' THEN 3
                ELSE (CASE WHEN amount > 100 THEN 10 ELSE 0 END) END AS p,
           (t - lag(t, 1, t) OVER (PARTITION BY ev.lead_id ORDER BY t)) // {PERIOD} AS k
    FROM ev
    UNION ALL SELECT lead_id, t, 20, 0 FROM firings),
decays AS (SELECT lead_id, t, p, sum(k) OVER (PARTITION BY lead_id ORDER BY t, k DESC
                                             ROWS UNBOUNDED PRECEDING) AS before FROM points),
totals AS (SELECT lead_id, max(before) + (any_value(as_of_us) - max(t)) // {PERIOD} AS total
           FROM decays CROSS JOIN as_of GROUP BY lead_id),
scored AS (SELECT lead_id, sum(p * pow(0.9, total - before)) AS points
           FROM decays JOIN totals USING (lead_id) GROUP BY lead_id),
leads AS (SELECT DISTINCT lead_id FROM {source(log)} WHERE {VALID})
SELECT lead_id, coalesce(points, 0) FROM leads LEFT JOIN scored USING (lead_id) ORDER BY lead_id"""


def write_scores(con: duckdb.DuckDBPyConnection, path: str, leads: list[str],
                 scores: list[float]) -> None:
    import pyarrow as pa
    table = pa.table({"lead_id": leads, "points": [format_score(s) for s in scores]})
    con.register("lf_scores", table)
    con.execute(f"COPY (SELECT * FROM lf_scores ORDER BY lead_id) TO '{path}' "
                f"(FORMAT csv, HEADER true)")


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] not in ("loop", "sql"):
        sys.exit(__doc__.splitlines()[2])
    how, log, out = sys.argv[1:]
    con = duckdb.connect()
    if how == "loop":
        write_scores(con, out, *loop_scores(con, log))
    else:
        leads, scores = zip(*con.sql(scores_sql(log)).fetchall()) or ((), ())
        write_scores(con, out, list(leads), list(scores))


if __name__ == "__main__":
    main()
