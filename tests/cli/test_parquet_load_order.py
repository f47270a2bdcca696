"""A Parquet log is loaded without keeping its rows' order (runtime/staging.py `_create`):
every output is still the one the same rows give as CSV, which is loaded in order."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from leadflow.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OUTPUTS = ("leads.csv", "actions.csv", "transitions.csv", "pending.csv")


def run(*args: object):
    return CliRunner().invoke(cli, ["run", *map(str, args), "-q"], catch_exceptions=False)


def test_a_parquet_log_gives_what_the_same_rows_give_as_csv(tmp_path):
    with open(EXAMPLES / "data" / "zapateria_events.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    # Rows that tie on lead and time, in an order that matters, and rows that are rejected.
    body += [["T1", "page_view", "2024-03-01 10:00:00", f"www.zapateria.com/tacon/{i}"] +
             [""] * (len(header) - 4) for i in range(6)]
    body += [["", "page_view", "2024-03-01 10:00:00"] + [""] * (len(header) - 3),
             ["T2", "purchase", "2024-03-01 10:00:00"] + [""] * 5 + ["lots"] + [""] * 3]
    log_csv = tmp_path / "log.csv"
    with open(log_csv, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *body])
    log_parquet = tmp_path / "log.parquet"
    columns = {name: pa.array([row[j] if row[j] != "" else None for row in body], pa.string())
               for j, name in enumerate(header)}
    pq.write_table(pa.table(columns), log_parquet, row_group_size=200)  # many row groups
    rules = EXAMPLES / "zapateria.leadflow"
    assert run(rules, log_csv, "--out", tmp_path / "from_csv").exit_code == 0
    assert run(rules, log_parquet, "--out", tmp_path / "from_parquet").exit_code == 0
    for name in OUTPUTS:
        assert ((tmp_path / "from_parquet" / name).read_bytes()
                == (tmp_path / "from_csv" / name).read_bytes()), name
    rejects = [(tmp_path / d / "rejects.csv").read_text().splitlines()
               for d in ("from_csv", "from_parquet")]
    assert "missing lead_id" in rejects[0][-2] and "is not a number" in rejects[0][-1]
    assert [line.split(",", 1)[1] for line in rejects[0]] == \
           [line.split(",", 1)[1] for line in rejects[1]]
