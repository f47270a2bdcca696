"""Split runs with every output table, and the commands beside `run` that take --workers.

`run --points --cancelled` hands the ledger and the cancelled sends over from
each partition, with and without --state; `report --scheduler` writes the same
page as one process. The Dask cluster is the directory's 2-worker LocalCluster.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from cluster_support import ROOT, output_files
from test_split_runs import LEADFLOW, leadflow
from test_split_state_runs import cut_log, state_runs_alone_and_with_workers

EXAMPLES = ROOT / "examples"
EVENTS = str(EXAMPLES / "data" / "zapateria_events.csv")
LEADS = str(EXAMPLES / "data" / "zapateria_leads.csv")
EVERY_TABLE = ["--points", "--cancelled"]


def test_points_and_cancelled_sends_split_as_one(tmp_path, scheduler):
    args = [EXAMPLES / "zapateria_v2.leadflow", EVENTS, "--leads", LEADS, *EVERY_TABLE, "-q"]
    for mode, extra in (("one", []), ("split", ["--scheduler", scheduler])):
        done = leadflow("run", *args, "--out", tmp_path / mode, *extra)
        assert done.exit_code == 0, done.stderr
    files = output_files(tmp_path / "one")
    assert {"points.csv", "cancelled.csv"} <= set(files)
    assert files["points.csv"].count(b"\n") > 1  # rows beside the header: the test can fail
    assert output_files(tmp_path / "split") == files


def test_points_and_cancelled_sends_in_state_runs_with_workers(tmp_path):
    parts = cut_log(tmp_path, 2)
    state_runs_alone_and_with_workers(
        tmp_path, parts,
        lambda k, part: ["run", str(EXAMPLES / "zapateria_v2.leadflow"), str(part), "--leads",
                         LEADS, *EVERY_TABLE, "-q"])
    for k in range(len(parts)):
        assert "points.csv" in output_files(tmp_path / f"one{k}")


def test_report_on_the_cluster_is_the_same_page(tmp_path, scheduler):
    args = ["report", EXAMPLES / "zapateria.leadflow", EVENTS, "--leads", LEADS, "-q"]
    one = leadflow(*args, "--out", tmp_path / "one.html")
    split = leadflow(*args, "--out", tmp_path / "split.html", "--scheduler", scheduler)
    assert one.exit_code == 0, one.stderr
    assert split.exit_code == 0, split.stderr
    page = drawn_once(tmp_path / "one.html")
    assert b"rows read" in page
    assert drawn_once(tmp_path / "split.html") == page


def drawn_once(path: Path) -> bytes:
    """The page, its SVG gradients numbered as in a fresh process.

    The charts library numbers gradients on from the last chart it drew in the
    process, and both reports here are made in this one.
    """
    return re.sub(rb"gradient_\d+", b"gradient_0", path.read_bytes())


def test_report_refuses_workers_and_scheduler_together(tmp_path):
    done = leadflow("report", EXAMPLES / "zapateria.leadflow", EVENTS, "--out",
                    tmp_path / "r.html", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert done.exit_code == 2
    assert "give one" in done.stderr
    assert not Path(tmp_path / "r.html").exists()


def test_local_workers_split_by_duckdb_hash_and_reject_each_bad_row_once(tmp_path):
    """`--workers` partitions with DuckDB's hash(); a row without a lead id is still rejected once."""
    log = tmp_path / "events.csv"
    lines = Path(EVENTS).read_text(encoding="utf-8").splitlines(keepends=True)
    width = lines[0].count(",")
    bad = [",page_view,2024-01-03 10:00:00" + "," * (width - 2) + "\n",  # no lead id
           "Z0101,page_view,not a time" + "," * (width - 2) + "\n"]
    log.write_text("".join(lines[:40] + bad + lines[40:]), encoding="utf-8")
    base = [*LEADFLOW, "run", str(EXAMPLES / "zapateria.leadflow"), str(log), "--leads", LEADS,
            "--out", "out", *EVERY_TABLE]
    for name, extra in (("one", []), ("split", ["--workers", "2"])):
        (tmp_path / name).mkdir()
        subprocess.run([*base, *extra], capture_output=True, check=True, cwd=tmp_path / name)
    rejects = (tmp_path / "one" / "out" / "rejects.csv").read_text(encoding="utf-8")
    assert rejects.count(",40,missing lead_id\n") == 1, rejects  # the added rows, once each
    assert rejects.count(",41,cannot read time 'not a time'\n") == 1, rejects
    assert output_files(tmp_path / "split" / "out") == output_files(tmp_path / "one" / "out")


def test_the_same_duckdb_partition_puts_every_row_in_one_partition():
    import duckdb

    from leadflow.runtime.partitioned import partition_of
    con = duckdb.connect()
    rows = con.sql(f"SELECT {partition_of('id', 3, same_duckdb=True)} FROM (VALUES ('L1'), "
                   f"('lead-ñ'), (''), (NULL), (NULL)) AS t(id)").fetchall()
    assert all(p is not None and 0 <= p < 3 for (p,) in rows) and rows[-1] == rows[-2]
    spread = con.sql(f"SELECT count(DISTINCT {partition_of('i::VARCHAR', 3, True)}) "
                     f"FROM range(100) AS t(i)").fetchall()[0][0]
    assert spread == 3


def changed_shop(tmp_path: Path) -> Path:
    """The shop with one rule's points changed: the same events, many leads change."""
    text = (EXAMPLES / "zapateria.leadflow").read_text(encoding="utf-8")
    old = "rule click:    on email_click add 2"
    assert old in text
    path = tmp_path / "changed.leadflow"
    path.write_text(text.replace(old, "rule click:    on email_click add 3.3"), encoding="utf-8")
    return path


def test_diff_on_the_cluster_prints_and_details_what_one_process_does(tmp_path, scheduler):
    args = ["diff", EXAMPLES / "zapateria.leadflow", changed_shop(tmp_path), EVENTS,
            "--leads", LEADS, "--format", "json"]
    one = leadflow(*args, "--detail", tmp_path / "one.csv")
    split = leadflow(*args, "--detail", tmp_path / "split.csv", "--scheduler", scheduler)
    assert one.exit_code == split.exit_code == 0, split.stderr
    assert '"changed": 0' not in one.stdout  # leads change: the test compares something
    assert split.stdout == one.stdout
    detail = (tmp_path / "one.csv").read_bytes()
    assert detail.count(b"\n") > 2
    assert (tmp_path / "split.csv").read_bytes() == detail


def test_diff_with_workers_from_the_command_line(tmp_path):
    base = [*LEADFLOW, "diff", str(EXAMPLES / "zapateria.leadflow"), str(changed_shop(tmp_path)),
            EVENTS, "--leads", LEADS, "--format", "markdown"]
    one = subprocess.run(base, capture_output=True, text=True, check=True)
    split = subprocess.run([*base, "--workers", "2"], capture_output=True, text=True, check=True)
    assert "changed" in one.stdout.lower()
    assert split.stdout == one.stdout
