"""`leadflow run` end to end through the CLI, with the reference interpreter."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC
from pathlib import Path

import duckdb
import pytest
from shop_log import (
    EVENTS,
    LEADS,
    leadflow,
    read_csv,
    write_csv,
    write_events,
    write_leads,
    write_ruleset,
)

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ("leads", "actions", "transitions", "rejects")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")


def run(tmp_path: Path, *inputs: str, out: str = "out", **options: str):
    args = ["run", write_ruleset(tmp_path), *inputs, "--out", str(tmp_path / out)]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", value]
    return leadflow(*args)


def summary_numbers(stderr: str) -> dict[str, int]:
    """The accounting line: rows read = applied + rejected + ignored."""
    match = re.search(r"([\d,]+) rows read = ([\d,]+) applied \+ ([\d,]+) rejected "
                      r"\+ ([\d,]+) ignored", stderr)
    assert match, stderr
    read, applied, rejected, ignored = (int(g.replace(",", "")) for g in match.groups())
    return {"read": read, "applied": applied, "rejected": rejected, "ignored": ignored}


# -------------------------------------------------------- one log, three formats


@pytest.mark.parametrize("leads", [False, True], ids=["events-only", "with-leads"])
def test_csv_jsonl_and_parquet_logs_give_identical_outputs(tmp_path, leads):
    extra = ["--leads", write_leads(tmp_path)] if leads else []
    contents = {}
    for fmt in ("csv", "jsonl", "parquet"):
        result = run(tmp_path, write_events(tmp_path, fmt), *extra, out=f"out_{fmt}")
        assert result.exit_code == 0, result.stderr
        contents[fmt] = {name: (tmp_path / f"out_{fmt}" / f"{name}.csv").read_text()
                         for name in ("leads", "actions", "transitions")}
    assert contents["csv"] == contents["jsonl"] == contents["parquet"]
    leads_rows = read_csv(tmp_path / "out_csv" / "leads.csv")
    expected_ids = {e[0] for e in EVENTS} | ({lead for lead, _ in LEADS} if leads else set())
    assert [r["lead_id"] for r in leads_rows] == sorted(expected_ids)


def test_outputs_have_the_columns_and_values_spec_asks_for(tmp_path):
    result = run(tmp_path, write_events(tmp_path, "csv"), leads=write_leads(tmp_path))
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "out"
    leads = {r["lead_id"]: r for r in read_csv(out / "leads.csv")}
    # Then the --leads columns, carried through as given (shop_log.write_leads: name, country).
    assert list(next(iter(leads.values()))) == ["lead_id", "engagement", "fit", "stage", "tags",
                                                "first_seen", "last_activity", "stage_since",
                                                "name", "country"]
    # ana: 1 (open) + 10 + 10 (big) + 4 (busy visit) - 4 x 2.5 (cooling) = 15: mql; Spanish: fit 5.
    assert leads["ana"]["fit"] == "5" and leads["ana"]["stage"] == "mql"
    # eve has attributes and no events: she still gets her `while` points.
    assert leads["eve"] == {"lead_id": "eve", "engagement": "0", "fit": "5", "stage": "visitor",
                            "tags": "", "first_seen": "", "last_activity": "", "stage_since": "",
                            "name": "x", "country": "ES"}
    assert (leads["carla"]["name"], leads["carla"]["country"]) == ("", "")  # not in --leads
    # dan's visit is not vip; 7 days without activity only pass after as-of (2024-02-10).
    assert leads["dan"]["engagement"] == "0"
    # carla: 1 on Feb 10; her cooling timer fired on Jan 10 (from 0): a fraction never shows.
    assert all(re.fullmatch(r"-?\d+(\.\d{1,6})?", r["engagement"]) for r in leads.values())

    actions = read_csv(out / "actions.csv")
    assert list(actions[0]) == ["lead_id", "at", "rule", "kind", "target", "args"]
    assert all(ISO_UTC.match(a["at"]) for a in actions)
    assert [a["at"] for a in actions] == sorted(a["at"] for a in actions)
    offer = next(a for a in actions if a["target"] == "offer")
    assert (offer["lead_id"], offer["kind"], offer["rule"]) == ("ana", "send", "offer")
    assert json.loads(offer["args"]) == {"category": "boda", "amount": 350}
    # ana's purchase stopped her cart flow: the cart email went out, the reminder never did.
    assert [a["target"] for a in actions if a["lead_id"] == "ana" and a["rule"] == "cart"] == [
        "cart_items"]
    assert ("bob", "2024-01-05T11:00:00Z", "cart_items") in [
        (a["lead_id"], a["at"], a["target"]) for a in actions]

    transitions = read_csv(out / "transitions.csv")
    assert list(transitions[0]) == ["lead_id", "at", "from", "to"]
    assert ("ana", "visitor", "mql") in [(t["lead_id"], t["from"], t["to"]) for t in transitions]
    # ana: first seen at her 09:00 Madrid email open, last active at her visit; an MQL since
    # her last transition. bob never changed stage: a visitor since he was first seen.
    assert (leads["ana"]["first_seen"], leads["ana"]["last_activity"]) == (
        "2024-01-02T08:00:00Z", "2024-01-21T09:00:00Z")
    assert leads["ana"]["stage_since"] == [t["at"] for t in transitions if t["lead_id"] == "ana"][-1]
    assert leads["bob"]["stage"] == "visitor" and leads["bob"]["stage_since"] == "2024-01-05T11:00:00Z"
    assert read_csv(out / "rejects.csv") == []
    assert (out / "rejects.csv").read_text() == "file,row,reason\n"


# ------------------------------------------------------------ messy logs


MESSY = [
    ("ana", "email_open", "2024-01-02 09:00", {}),                        # applied
    ("", "email_open", "2024-01-02 09:00", {}),                           # rejected: lead id
    ("ana", "email_open", "yesterday", {}),                               # rejected: time
    ("ana", "email_open", "", {}),                                        # rejected: no time
    ("ana", "purchase", "2024-01-03 10:00", {"amount": "12,50"}),         # rejected: number
    ("bob", "visit", "2024-01-03 10:00", {"pages": "3.5", "vip": "si"}),  # rejected: two fields
    ("bob", "newsletter_signup", "2024-01-03 10:00", {}),                 # ignored: type
    ("bob", "newsletter_signup", "garbage", {}),                          # ignored: type
    ("bob", "coupon_used", "2024-01-03 10:00", {}),                       # ignored: type
    ("bob", "visit", "2024-01-04 10:00", {"pages": "3", "vip": "YES"}),   # applied
    ("carla", "purchase", "2024-01-05 10:00", {"amount": "1e2"}),         # applied
    ("carla", "email_open", "2024-03-01 10:00", {}),                      # ignored: after as-of
    ("carla", "email_open", "2024-03-02 10:00", {}),                      # ignored: after as-of
]


def test_messy_log_every_row_is_accounted_for_and_the_numbers_add_up(tmp_path):
    path = write_events(tmp_path, "csv", MESSY)
    result = run(tmp_path, path, as_of="2024-01-06")
    assert result.exit_code == 0, result.stderr
    numbers = summary_numbers(result.stderr)
    assert numbers == {"read": 13, "applied": 3, "rejected": 5, "ignored": 5}
    assert numbers["read"] == numbers["applied"] + numbers["rejected"] + numbers["ignored"]
    assert numbers["read"] == len(read_csv(path))
    assert re.search(r"ignored\s+5\s+\(newsletter_signup 2, coupon_used 1, after --as-of 2\)",
                     result.stderr)
    rejects = read_csv(tmp_path / "out" / "rejects.csv")
    assert len(rejects) == numbers["rejected"]
    assert [(r["file"], r["row"], r["reason"]) for r in rejects] == [
        (path, "2", "missing lead_id"),
        (path, "3", "cannot read time 'yesterday'"),
        (path, "4", "missing ts"),
        (path, "5", "field amount: '12,50' is not a number"),
        (path, "6", ("field pages: '3.5' is not a whole number; "
                     "field vip: 'si' is not true or false (true/false, yes/no, 1/0)")),
    ]
    leads = {r["lead_id"]: r for r in read_csv(tmp_path / "out" / "leads.csv")}
    assert sorted(leads) == ["ana", "bob", "carla"]
    assert leads["bob"]["engagement"] == "4"  # the good visit, not the rejected one
    assert "time" in result.stderr and "read" in result.stderr and "run" in result.stderr


def test_a_lead_whose_every_row_is_after_as_of_gets_its_initial_row(tmp_path):
    events = [("ana", "email_open", "2024-01-02 09:00", {}),
              ("dave", "email_open", "2024-02-01 09:00", {})]
    result = run(tmp_path, write_events(tmp_path, "csv", events), as_of="2024-01-10")
    assert result.exit_code == 0, result.stderr
    # SPEC 9: dave is seen (his row is ignored, not rejected): his initial state, at as-of.
    rows = read_csv(tmp_path / "out" / "leads.csv")
    assert [(r["lead_id"], r["engagement"]) for r in rows] == [("ana", "0"), ("dave", "0")]


def test_as_of_fires_timers_up_to_it(tmp_path):
    events = [("ana", "email_open", "2024-01-01 10:00", {})]
    path = write_events(tmp_path, "csv", events)
    # Default as-of: the latest event, nothing more happens.
    assert run(tmp_path, path).exit_code == 0
    assert read_csv(tmp_path / "out" / "leads.csv")[0]["engagement"] == "1"
    # A week later the 7-day cooling has fired: 1 - 2.5, clamped at 0 by `min 0`.
    result = run(tmp_path, path, as_of="2024-01-08 10:00", out="later")
    assert result.exit_code == 0, result.stderr
    assert read_csv(tmp_path / "later" / "leads.csv")[0]["engagement"] == "0"
    assert "2024-01-08T09:00:00Z" in result.stderr


def test_default_as_of_is_the_latest_event_in_the_input_ignored_types_included(tmp_path):
    """SPEC 9: the default as-of is the latest event time in the input, so a row of a
    type the ruleset ignores extends it (the export covers that time) and the
    7-day cooling fires; a rejected row's time does not count."""
    events = [("ana", "email_open", "2024-01-01 10:00", {}),
              ("bob", "newsletter_signup", "2024-01-08 10:00", {}),
              ("", "email_open", "2024-03-01 10:00", {})]  # rejected: missing lead_id
    result = run(tmp_path, write_events(tmp_path, "csv", events))
    assert result.exit_code == 0, result.stderr
    assert read_csv(tmp_path / "out" / "leads.csv")[0]["engagement"] == "0"
    assert "2024-01-08T09:00:00Z" in result.stderr and "latest event in the input" in result.stderr


def test_fractional_scores_are_rounded_without_trailing_zeros(tmp_path):
    events = [("ana", "purchase", "2024-01-01 10:00", {"amount": "150", "category": "x"}),
              ("ana", "email_open", "2024-01-09 10:00", {})]
    result = run(tmp_path, write_events(tmp_path, "csv", events))
    assert result.exit_code == 0, result.stderr
    # 10, then 7 days without activity: 7.5, then the open: 8.5.
    assert read_csv(tmp_path / "out" / "leads.csv")[0]["engagement"] == "8.5"


# ------------------------------------------------------------- output formats


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_parquet_and_jsonl_outputs_hold_the_same_data_as_csv(tmp_path, fmt):
    log = write_events(tmp_path, "csv", EVENTS + MESSY[1:3])
    assert run(tmp_path, log, leads=write_leads(tmp_path)).exit_code == 0
    result = run(tmp_path, log, leads=write_leads(tmp_path), out="other", format=fmt)
    assert result.exit_code == 0, result.stderr
    con = duckdb.connect()
    for name in OUTPUTS:
        path = tmp_path / "other" / f"{name}.{fmt}"
        plain = con.sql(f"SELECT * FROM read_csv('{tmp_path / 'out' / f'{name}.csv'}', "
                        f"all_varchar = true)")
        if fmt == "parquet":
            other = con.sql(f"SELECT * FROM read_parquet('{path}')")
            assert other.columns == plain.columns
            # Through Arrow: DuckDB's own Python conversion of time zones needs pytz.
            rows = [list(r.values()) for r in other.to_arrow_table().to_pylist()]
        else:
            lines = [json.loads(line) for line in path.read_text().splitlines()]
            assert all(list(line) == plain.columns for line in lines)
            rows = [list(line.values()) for line in lines]
            assert con.sql(f"SELECT count(*) FROM read_json('{path}')").fetchall()[0][0] == len(rows)
        as_text = [[_text(v) for v in row] for row in rows]
        assert as_text == [[v or "" for v in row] for row in plain.fetchall()], name


def _text(value) -> str:
    """A Parquet/JSON value written the way the CSV output writes it."""
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):  # tags: a list, where CSV joins them with `;`
        return ";".join(value)
    return str(value)


def test_every_output_file_reloads_with_duckdb_and_the_csv_module(tmp_path):
    log = write_events(tmp_path, "csv", EVENTS + [("x,\"y\"", "page_view", "2024-01-03 10:00",
                                                   {"url": "a,b\"c/cart"})] + MESSY[1:5])
    result = run(tmp_path, log, leads=write_leads(tmp_path))
    assert result.exit_code == 0, result.stderr
    con = duckdb.connect()
    for name in OUTPUTS:
        path = tmp_path / "out" / f"{name}.csv"
        rows = read_csv(path)
        loaded = con.sql(f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)")
        assert len(loaded.fetchall()) == len(rows) and len(rows) > 0, name
        for row in rows:
            if "at" in row:
                assert ISO_UTC.match(row["at"]), row
    odd = [r for r in read_csv(tmp_path / "out" / "actions.csv") if r["lead_id"] == 'x,"y"']
    assert odd and json.loads(odd[0]["args"]) == {}


# ------------------------------------------------------------ inputs


def test_several_files_a_directory_and_a_glob(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_events(logs, "csv", EVENTS[:5], name="a")
    write_events(logs, "jsonl", EVENTS[5:9], name="b")
    write_events(logs, "parquet", EVENTS[9:], name="c")
    whole = run(tmp_path, write_events(tmp_path, "csv"), out="whole")
    by_dir = run(tmp_path, str(logs), out="by_dir")
    by_glob = run(tmp_path, str(logs / "a.*"), str(logs / "[bc].*"), out="by_glob")
    for result in (whole, by_dir, by_glob):
        assert result.exit_code == 0, result.stderr
    for name in ("leads", "actions", "transitions"):
        expected = (tmp_path / "whole" / f"{name}.csv").read_text()
        assert (tmp_path / "by_dir" / f"{name}.csv").read_text() == expected
        assert (tmp_path / "by_glob" / f"{name}.csv").read_text() == expected


def test_column_names_can_be_mapped(tmp_path):
    rows = [{"contact_id": lead, "type": event, "occurred_at": ts, **fields}
            for lead, event, ts, fields in EVENTS]
    path = write_csv(tmp_path / "crm.csv", rows, ["contact_id", "type", "occurred_at", "url",
                                                  "amount", "category", "pages", "vip"])
    mapped = run(tmp_path, path, out="mapped", lead_col="contact_id", event_col="type",
                 time_col="occurred_at")
    plain = run(tmp_path, write_events(tmp_path, "csv"), out="plain")
    assert mapped.exit_code == 0 and plain.exit_code == 0, mapped.stderr
    assert (tmp_path / "mapped" / "leads.csv").read_text() == (tmp_path / "plain" / "leads.csv").read_text()


def _file(name: str, content: str):
    def make(directory: Path) -> str:
        (directory / name).write_text(content)
        return str(directory / name)
    return make


@pytest.mark.parametrize("make, message", [
    (lambda d: str(d / "nope.csv"), "error: .*nope.csv: no such file"),
    (_file("log.xlsx", "x"), "unknown format .xlsx"),
    (_file("log.parquet", "x" * 20), "cannot read it as Parquet"),
    (_file("log.csv", "lead_id,kind,ts\na,b,c\n"), "no event type column 'event' .*--event-col"),
], ids=["missing", "unknown-format", "not-parquet", "missing-column"])
def test_bad_inputs_are_one_line_and_exit_2(tmp_path, make, message):
    result = run(tmp_path, make(tmp_path))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert re.search(message, result.stderr)


def test_out_must_be_a_directory_and_memory_limit_a_size(tmp_path):
    (tmp_path / "taken").write_text("x")
    result = run(tmp_path, write_events(tmp_path, "csv"), out="taken")
    assert result.exit_code == 2 and result.stderr.strip().endswith("taken: is a file, not a directory")
    result = run(tmp_path, write_events(tmp_path, "csv"), memory_limit="lots")
    assert result.exit_code == 2 and "--memory-limit: cannot read 'lots'" in result.stderr


def test_bad_as_of_is_a_usage_error(tmp_path):
    result = run(tmp_path, write_events(tmp_path, "csv"), as_of="soon")
    assert result.exit_code == 2 and "--as-of: cannot read time 'soon'" in result.stderr


def test_a_ruleset_with_errors_exits_1_with_its_diagnostics(tmp_path):
    bad = tmp_path / "bad.leadflow"
    bad.write_text("event purchase\nrule r: on purchse add 1\n")
    result = leadflow("run", bad, write_events(tmp_path, "csv"), "--out", tmp_path / "out")
    assert result.exit_code == 1 and "bad.leadflow:2:" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_ruleset_that_fails_at_run_time_names_the_lead_and_rules(tmp_path):
    rules = tmp_path / "loop.leadflow"
    rules.write_text('event ping\nstage a\nstage b when tagged "x"\nrule go: on ping tag "x"\n'
                     'rule down: on enter b untag "x"\nrule back: on exit b tag "x"\n')
    log = tmp_path / "loop.csv"
    log.write_text("lead_id,event,ts\nq,ping,2024-01-01\n")
    result = leadflow("run", rules, log, "--out", tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert re.match(rf"{re.escape(str(rules))}:\d+: error: lead 'q': .*settle.*\(rules: .*\)$", line)
    assert not (tmp_path / "out").exists()


def test_strict_exits_1_when_rows_are_rejected(tmp_path):
    path = write_events(tmp_path, "csv", MESSY)
    assert run(tmp_path, path).exit_code == 0
    result = leadflow("run", write_ruleset(tmp_path), path, "--out", tmp_path / "o", "--strict")
    assert result.exit_code == 1 and (tmp_path / "o" / "rejects.csv").exists()


def test_quiet_prints_nothing(tmp_path):
    result = leadflow("run", write_ruleset(tmp_path), write_events(tmp_path, "csv"), "--out",
                      tmp_path / "out", "--quiet")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def test_the_overview_lists_top_leads_stages_and_outputs(tmp_path):
    result = run(tmp_path, write_events(tmp_path, "csv"), top="2")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Top 2 leads by engagement:" and lines[2].split()[0] == "ana"
    assert "Leads per stage:" in lines and any(line.split()[:1] == ["visitor"] for line in lines)
    assert str(tmp_path / "out" / "leads.csv") in result.stdout


# ------------------------------------------------------------ the shipped demo


def test_the_shipped_example_log_runs_and_adds_up(tmp_path):
    data = ROOT / "examples" / "data"
    shutil.copy(ROOT / "examples" / "zapateria.leadflow", tmp_path / "zapateria.leadflow")
    result = leadflow("run", tmp_path / "zapateria.leadflow", data / "zapateria_events.csv",
                      "--leads", data / "zapateria_leads.csv", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    numbers = summary_numbers(result.stderr)
    assert numbers["read"] == len(read_csv(data / "zapateria_events.csv")) > 2000
    assert numbers["read"] == numbers["applied"] + numbers["rejected"] + numbers["ignored"]
    assert numbers["rejected"] == len(read_csv(tmp_path / "out" / "rejects.csv")) > 0
    assert len(read_csv(tmp_path / "out" / "leads.csv")) == len(read_csv(data / "zapateria_leads.csv"))
    assert os.path.getsize(tmp_path / "out" / "actions.csv") > 1000
