"""`run --scheduler` and `run --workers 2` write what one process writes, byte for byte.

On the examples with their data (every output format) and on generated rulesets
and logs with rejected rows; errors (a lead that fails, a bad file) come out as
from a single run. The Dask cluster is the directory's 2-worker LocalCluster.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cluster_support import ROOT, output_files
from hypothesis import given, note, settings
from hypothesis import strategies as st
from ruleset_strategies import Row, event_logs, rulesets

from leadflow.cli import cli
from leadflow.runtime import cluster
from leadflow.runtime.partitioned import partition_of, stable_partition
from leadflow.semantics import timemath

EXAMPLES = ROOT / "examples"
EVENTS = str(EXAMPLES / "data" / "zapateria_events.csv")
LEADS = str(EXAMPLES / "data" / "zapateria_leads.csv")
RULESETS = ["zapateria", "zapateria_v2", "b2b_saas", "buggy_scoring"]
LEADFLOW = [os.path.join(os.path.dirname(sys.executable), "leadflow")]
# Each example starts a run on the cluster and one alone: fewer than the profile's.
FEW = settings(max_examples=max(3, settings.default.max_examples // 12))


def leadflow(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def run_both(tmp_path: Path, args: list[str], split: list[str]) -> tuple[object, object]:
    """The same `leadflow run` alone (into tmp/one) and split (into tmp/split)."""
    one = leadflow("run", *args, "--out", tmp_path / "one", "-q")
    split_run = leadflow("run", *args, "--out", tmp_path / "split", "-q", *split)
    return one, split_run


@pytest.mark.parametrize("name", RULESETS)
def test_each_example_on_the_cluster_writes_what_one_process_writes(tmp_path, scheduler, name):
    one, split = run_both(tmp_path, [EXAMPLES / f"{name}.leadflow", EVENTS, "--leads", LEADS],
                          ["--scheduler", scheduler])
    assert one.exit_code == 0, one.stderr
    assert split.exit_code == 0, split.stderr
    assert output_files(tmp_path / "split") == output_files(tmp_path / "one")
    assert split.stdout == one.stdout  # the overview: top leads and stages


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_other_formats_are_identical_too(tmp_path, scheduler, fmt):
    one, split = run_both(tmp_path, [EXAMPLES / "zapateria.leadflow", EVENTS, "--format", fmt,
                                     "--as-of", "2024-05-01"], ["--scheduler", scheduler])
    assert one.exit_code == split.exit_code == 0
    assert output_files(tmp_path / "split") == output_files(tmp_path / "one")


def test_workers_on_this_machine_through_the_command_line(tmp_path):
    """`--workers 2` from a fresh process, as a user runs it; the summary adds up the same."""
    base = [*LEADFLOW, "run", str(EXAMPLES / "zapateria.leadflow"), EVENTS, "--leads", LEADS,
            "--out", "out"]  # the overview names --out: the same in both
    for name in ("one", "split"):
        (tmp_path / name).mkdir()
    one = subprocess.run(base, capture_output=True, text=True, check=True, cwd=tmp_path / "one")
    split = subprocess.run([*base, "--workers", "2"], capture_output=True, text=True, check=True,
                           cwd=tmp_path / "split")
    assert output_files(tmp_path / "split" / "out") == output_files(tmp_path / "one" / "out")
    assert split.stdout == one.stdout
    accounting = [line for line in one.stderr.splitlines() if "rows read" in line]
    assert accounting and accounting[0] in split.stderr


def test_a_failing_lead_is_reported_as_by_one_process(tmp_path, scheduler):
    rules = tmp_path / "overflow.leadflow"
    rules.write_text('ruleset overflow\ntimezone "UTC"\nevent buy(amount: number)\n'
                     'score total\nrule grow: on buy add amount\n', encoding="utf-8")
    log = tmp_path / "log.csv"
    rows = ["lead_id,event,ts,amount"]
    for k in range(40):  # several leads overflow, in both partitions: the first by id is named
        amount = "1e308" if k % 7 == 3 else "1"
        rows += [f"L{k:02d},buy,2024-01-0{1 + j}T00:00:00Z,{amount}" for j in range(2)]
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    one, split = run_both(tmp_path, [rules, log], ["--scheduler", scheduler])
    assert one.exit_code == split.exit_code == 1
    assert split.stderr == one.stderr and "'L03'" in one.stderr


def test_input_errors_exit_2_with_the_same_message(tmp_path, scheduler):
    bad = tmp_path / "bad.csv"
    bad.write_text("who,what\nx,y\n", encoding="utf-8")
    one, split = run_both(tmp_path, [EXAMPLES / "zapateria.leadflow", bad],
                          ["--scheduler", scheduler])
    assert one.exit_code == split.exit_code == 2
    assert split.stderr == one.stderr


def test_usage_errors(tmp_path, scheduler, monkeypatch):
    args = ["run", EXAMPLES / "zapateria.leadflow", EVENTS, "--out", tmp_path / "o"]
    both = leadflow(*args, "--workers", "2", "--scheduler", scheduler)
    assert both.exit_code == 2 and "give one" in both.stderr
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    nowhere = leadflow(*args, "--scheduler", "tcp://127.0.0.1:1")
    assert nowhere.exit_code == 2 and "cannot connect" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr


def test_without_dask_the_scheduler_option_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    done = leadflow("run", EXAMPLES / "zapateria.leadflow", EVENTS, "--out", tmp_path / "o",
                    "--scheduler", "tcp://127.0.0.1:8786")
    assert done.exit_code == 2
    assert "pip install 'leadflow[dask]'" in done.stderr and "Traceback" not in done.stderr


def test_the_partition_hash_is_md5_in_sql_and_in_python():
    import duckdb
    ids = ["L1", "lead-ñ", "x" * 200, "", "Z0253"]
    con = duckdb.connect()
    for parts in (1, 2, 3, 7):
        got = [con.sql(f"SELECT {partition_of('?', parts).replace('?', 'CAST($1 AS VARCHAR)')}",
                       params=[i]).fetchall()[0][0] for i in ids]
        assert got == [stable_partition(i, parts) for i in ids]
    assert con.sql(f"SELECT {partition_of('NULL::VARCHAR', 3)}").fetchall()[0][0] == 0
    assert stable_partition("L1", 2) == int("9ec4c0af", 16) % 2  # md5('L1') = 9ec4c0af...


# ------------------------------------------------------------ generated logs

FIELDS = ("url", "amount", "kind")
BAD_ROWS = [["", "view", "2024-03-29T10:00:00Z", "", "", ""],  # no lead id: rejected once
            ["l1", "buy", "not a time", "", "5", ""],
            ["l2", "buy", "2024-03-29T11:00:00Z", "", "lots", ""],
            ["l0", "signup", "2024-03-29T12:00:00Z", "", "", ""]]  # an undeclared type


def write_log(path: Path, rows: list[Row], bad: list[list[str]]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["lead_id", "event", "ts", *FIELDS])
        for row in rows:
            out.writerow([row.lead_id, row.event, timemath.format_instant(row.ts),
                          *(row.values.get(f, "") for f in FIELDS)])
        out.writerows(bad)
    return str(path)


@FEW
@given(ruleset=rulesets(), rows=event_logs(max_leads=6),
       bad=st.lists(st.sampled_from(BAD_ROWS), max_size=3))
def test_generated_rulesets_and_logs_split_as_one(tmp_path_factory, scheduler, ruleset, rows, bad):
    text = ruleset.source()
    note(text)
    work = tmp_path_factory.mktemp("split")
    rules = work / "gen.leadflow"
    rules.write_text(text, encoding="utf-8")
    log = write_log(work / "log.csv", rows, bad)
    one, split = run_both(work, [rules, log], ["--scheduler", scheduler])
    assert split.exit_code == one.exit_code, split.stderr
    assert split.stderr == one.stderr if one.exit_code else True
    if one.exit_code == 0:
        assert output_files(work / "split") == output_files(work / "one")


def test_inputs_may_be_urls_that_duckdb_opens(tmp_path):
    """An object-store or web URL reaches DuckDB (its httpfs extension); a failure is one line."""
    rules = EXAMPLES / "zapateria.leadflow"
    unreachable = leadflow("run", rules, "http://127.0.0.1:1/events.csv", "--out", tmp_path / "o")
    assert unreachable.exit_code == 2
    assert "error: http://127.0.0.1:1/events.csv: cannot read it" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
    jsonl = leadflow("run", rules, "s3://bucket/events.jsonl", "--out", tmp_path / "o")
    assert jsonl.exit_code == 2 and "local files only" in jsonl.stderr
    unknown = leadflow("run", rules, "s3://bucket/events", "--out", tmp_path / "o")
    assert unknown.exit_code == 2 and "unknown format" in unknown.stderr


def test_a_lead_written_with_spaces_is_one_lead_in_a_split_run(tmp_path):
    """The split reads the lead id trimmed, as the run does: ` L1 ` and `L1` are one lead
    (in one partition), and rows without an id are rejected once."""
    rules = tmp_path / "rules.leadflow"
    rules.write_text('ruleset spaces\ntimezone "UTC"\nevent visit\nscore points\n'
                     'rule visit: on visit add 1\n')
    rows = ["lead_id,event,ts"]
    for i in range(40):
        lead = f"L{i % 7}"
        spelled = [lead, f" {lead}", f"{lead}  ", f"  {lead} "][i % 4]
        rows.append(f'"{spelled}",visit,2024-01-{1 + i % 28:02d}T10:00:00Z')
    rows += ['"",visit,2024-01-02T10:00:00Z', '"  ",visit,2024-01-03T10:00:00Z',
             ",visit,2024-01-04T10:00:00Z"]
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n")
    one, split = run_both(tmp_path, [rules, log], ["--workers", "2"])
    assert one.exit_code == split.exit_code == 0
    assert output_files(tmp_path / "split") == output_files(tmp_path / "one")
    with open(tmp_path / "one" / "leads.csv", newline="") as handle:
        leads = {row["lead_id"]: row["points"] for row in csv.DictReader(handle)}
    assert len(leads) == 7 and sum(int(p) for p in leads.values()) == 40
    assert len((tmp_path / "one" / "rejects.csv").read_text().splitlines()) == 1 + 3
