"""leads.csv for a CRM: first_seen, last_activity, stage_since and the attributes rules set,
after the columns it always had; `--tz`; JSON Lines and Parquet typed."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest
from click.testing import CliRunner

from leadflow.cli import cli

RULES = """timezone "Europe/Madrid"
event signup(plan: text)
event buy(amount: number)
lead(email: text, plan: text, spent: number, bought_at: time, vip: bool, country: text)
score points min 0
stage visitor
stage customer when points >= 10
rule joined: on signup set lead.plan = plan
rule paid: on buy add 10, set lead.spent = amount, set lead.bought_at = ts, tag "buyer"
rule big: on buy where amount > 100 set lead.vip = true, tag "vip"
"""
EVENTS = """lead_id,event,ts,plan,amount
a,signup,2024-06-01T10:00:00,pro,
a,buy,2024-06-03T18:30:00,,150.5
b,signup,2024-06-02T09:00:00,free,
"""
LEADS = """lead_id,email,country
a,ana@example.com,ES
b,bob@example.com,FR
c,carla@example.com,PT
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "rules.leadflow").write_text(RULES, encoding="utf-8")
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    (tmp_path / "leads.csv").write_text(LEADS, encoding="utf-8")
    return tmp_path


def run(files, *args: str):
    return CliRunner().invoke(cli, ["run", str(files / "rules.leadflow"), str(files / "events.csv"),
                                    "--leads", str(files / "leads.csv"), "-q", *args])


def read(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_leads_csv_has_times_and_the_attributes_rules_set(files, engine):
    result = run(files, "--out", str(files / "out"), "--engine", engine)
    assert result.exit_code == 0, result.output
    rows = {r["lead_id"]: r for r in read(files / "out" / "leads.csv")}
    # The declared attributes some rule sets, in declaration order; email and country are
    # only given, never set, so they are not among them.
    # Then every --leads column, in file order.
    assert list(rows["a"]) == ["lead_id", "points", "stage", "tags", "first_seen", "last_activity",
                               "stage_since", "plan", "spent", "bought_at", "vip", "email", "country"]
    assert rows["a"] == {
        "lead_id": "a", "points": "10", "stage": "customer", "tags": "buyer;vip",
        "first_seen": "2024-06-01T08:00:00Z", "last_activity": "2024-06-03T16:30:00Z",
        "stage_since": "2024-06-03T16:30:00Z", "plan": "pro", "spent": "150.5",
        "bought_at": "2024-06-03T16:30:00Z", "vip": "true", "email": "ana@example.com",
        "country": "ES"}
    assert rows["b"]["stage_since"] == rows["b"]["first_seen"] == "2024-06-02T07:00:00Z"
    assert (rows["b"]["plan"], rows["b"]["spent"], rows["b"]["vip"]) == ("free", "", "")
    # c is only in --leads: no events, so no times.
    assert (rows["c"]["first_seen"], rows["c"]["last_activity"], rows["c"]["stage_since"]) == ("", "", "")
    assert rows["c"]["email"] == "carla@example.com"


def test_keep_cols_chooses_the_leads_columns_carried(files):
    assert run(files, "--out", str(files / "out"), "--keep-cols", "country").exit_code == 0
    rows = read(files / "out" / "leads.csv")
    assert list(rows[0])[-2:] == ["vip", "country"] and rows[0]["country"] == "ES"


@pytest.mark.parametrize("args, message", [
    (["--keep-cols", "country,phone"],
     "--keep-cols phone: not a column of {leads} (its columns: email, country)"),
])
def test_keep_cols_names_only_columns_of_leads(files, args, message):
    result = run(files, "--out", str(files / "out"), *args)
    assert result.exit_code == 2
    assert message.format(leads=files / "leads.csv") in result.output


def test_keep_cols_needs_leads_and_a_clashing_column_is_a_usage_error(files):
    alone = CliRunner().invoke(cli, ["run", str(files / "rules.leadflow"), str(files / "events.csv"),
                                     "--keep-cols", "email"])
    assert alone.exit_code == 2 and "give --leads too" in alone.output
    (files / "leads.csv").write_text("lead_id,email,stage\na,x@y.z,hot\n", encoding="utf-8")
    clash = run(files, "--out", str(files / "out"))
    assert clash.exit_code == 2 and "column stage has the name of a leads.csv column" in clash.output
    assert run(files, "--out", str(files / "out"), "--keep-cols", "email").exit_code == 0


def test_with_state_a_lead_keeps_the_columns_an_earlier_run_gave(files):
    state = str(files / "state.duckdb")
    (files / "later.csv").write_text("lead_id,event,ts,plan,amount\nc,signup,2024-06-05T10:00:00,pro,\n",
                                     encoding="utf-8")
    assert run(files, "--out", str(files / "day1"), "--state", state).exit_code == 0
    day2 = CliRunner().invoke(cli, ["run", str(files / "rules.leadflow"), str(files / "later.csv"),
                                    "--out", str(files / "day2"), "--state", state, "-q"])
    assert day2.exit_code == 0, day2.output
    rows = {r["lead_id"]: r for r in read(files / "day2" / "leads.csv")}
    assert (rows["c"]["plan"], rows["c"]["email"], rows["c"]["country"]) == (
        "pro", "carla@example.com", "PT")
    assert rows["a"]["email"] == "ana@example.com"


def test_tz_writes_every_time_with_the_zones_offset(files):
    assert run(files, "--out", str(files / "out"), "--tz", "ruleset").exit_code == 0
    [a] = [r for r in read(files / "out" / "leads.csv") if r["lead_id"] == "a"]
    assert a["first_seen"] == "2024-06-01T10:00:00+02:00"
    assert a["bought_at"] == "2024-06-03T18:30:00+02:00"
    assert run(files, "--out", str(files / "ny"), "--tz", "America/New_York").exit_code == 0
    [t] = read(files / "ny" / "transitions.csv")
    assert t["at"] == "2024-06-03T12:30:00-04:00"


def test_an_unknown_zone_is_a_usage_error(files):
    result = run(files, "--out", str(files / "out"), "--tz", "Europe/Atlantis")
    assert result.exit_code == 2
    assert "--tz Europe/Atlantis: not a time zone" in result.output
    assert not (files / "out").exists()


def test_jsonl_and_parquet_leads_are_typed(files):
    assert run(files, "--out", str(files / "j"), "--format", "jsonl").exit_code == 0
    lines = [json.loads(line) for line in (files / "j" / "leads.jsonl").read_text().splitlines()]
    a = next(line for line in lines if line["lead_id"] == "a")
    assert a["tags"] == ["buyer", "vip"] and a["spent"] == 150.5 and a["vip"] is True
    assert a["first_seen"] == "2024-06-01T08:00:00Z"
    assert run(files, "--out", str(files / "p"), "--format", "parquet").exit_code == 0
    con = duckdb.connect()
    described = con.sql(f"DESCRIBE SELECT * FROM '{files / 'p' / 'leads.parquet'}'").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["tags"] == "VARCHAR[]" and types["spent"] == "DOUBLE" and types["vip"] == "BOOLEAN"
    assert types["first_seen"] == types["bought_at"] == "TIMESTAMP WITH TIME ZONE"
