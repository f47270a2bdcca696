"""`run --state` split over workers: the same outputs and the same state as one process.

A log cut into parts, run part after part with one state file, alone and split
(`--scheduler` on the directory's Dask cluster, `--workers 2` from a fresh process):
every run's output files are identical, and so is what the state file holds.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
from cluster_support import ROOT, output_files
from hypothesis import assume, given, note, settings
from ruleset_strategies import rulesets
from test_incremental_properties import split_logs
from test_split_runs import LEADFLOW, leadflow, write_log

from leadflow.semantics import timemath

EXAMPLES = ROOT / "examples"
EVENTS = EXAMPLES / "data" / "zapateria_events.csv"
LEADS = str(EXAMPLES / "data" / "zapateria_leads.csv")
# What differs between two state files by design: when a run started, its --out and command.
PER_RUN = {"started_at", "out_dir", "command", "run_info"}
FEW = settings(max_examples=max(2, settings.default.max_examples // 20))


def state_contents(path: Path) -> dict[str, list[tuple]]:
    """Every table of a state file, rows in stored order, without the per-run columns.

    `meta` is a map (key → value): its rows are compared by key, since the order in
    which a run writes its keys (one process or the split's coordinator) means nothing.
    """
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1"
                                        ).fetchall()]
        contents = {}
        for table in tables:
            columns = [c for (c,) in con.sql(
                f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}' "
                f"ORDER BY column_index").fetchall() if c not in PER_RUN]
            quoted = ", ".join(f'"{c}"' for c in columns)
            order = " ORDER BY key" if table == "meta" else ""
            contents[table] = con.sql(f"SELECT {quoted} FROM {table}{order}").fetchall()
    return contents


def same_outputs(one: Path, split: Path) -> None:
    """Identical files, but for the name of each mode's own state file (one.duckdb, split.duckdb)."""
    a, b = output_files(one), output_files(split)
    assert a == {name: data.replace(b"split.duckdb", b"one.duckdb") for name, data in b.items()}


def cut_log(directory: Path, parts: int) -> list[Path]:
    lines = EVENTS.read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    size = len(rows) // parts + 1
    paths = []
    for k in range(parts):
        path = directory / f"part{k}.csv"
        path.write_text(header + "".join(rows[k * size:(k + 1) * size]), encoding="utf-8")
        paths.append(path)
    return paths


def test_the_example_in_three_state_runs_on_the_cluster(tmp_path, scheduler):
    parts = cut_log(tmp_path, 3)
    for mode, extra in (("one", []), ("split", ["--scheduler", scheduler])):
        for k, part in enumerate(parts):
            done = leadflow("run", EXAMPLES / "zapateria.leadflow", part, "--leads", LEADS,
                            "--state", tmp_path / f"{mode}.duckdb", "--out",
                            tmp_path / f"{mode}{k}", "-q", *extra)
            assert done.exit_code == 0, done.stderr
    for k in range(len(parts)):
        same_outputs(tmp_path / f"one{k}", tmp_path / f"split{k}")
    assert state_contents(tmp_path / "split.duckdb") == state_contents(tmp_path / "one.duckdb")


def state_runs_alone_and_with_workers(tmp_path: Path, parts: list[Path],
                                      args_of: Callable[[int, Path], list[str]]) -> None:
    """Run part k with `args_of(k, part)` and --state, alone and with `--workers 2` (from a
    fresh process): every run's outputs and the final states must be the same."""
    for k, part in enumerate(parts):
        args = args_of(k, part)
        alone = leadflow(*args, "--state", tmp_path / "one.duckdb", "--out", tmp_path / f"one{k}")
        assert alone.exit_code == 0, alone.stderr
        subprocess.run([*LEADFLOW, *args, "--state", str(tmp_path / "split.duckdb"),
                        "--out", str(tmp_path / f"split{k}"), "--workers", "2"],
                       check=True, capture_output=True)
    for k in range(len(parts)):
        same_outputs(tmp_path / f"one{k}", tmp_path / f"split{k}")
    assert state_contents(tmp_path / "split.duckdb") == state_contents(tmp_path / "one.duckdb")


def test_a_rebuild_with_workers_from_the_command_line(tmp_path):
    state_runs_alone_and_with_workers(
        tmp_path, cut_log(tmp_path, 2),
        lambda k, part: ["run", str(EXAMPLES / "zapateria.leadflow"), str(part), "-q",
                         *(["--rebuild"] if k == 1 else [])])


@FEW
@given(ruleset=rulesets(), split=split_logs())
def test_generated_state_runs_split_as_one(tmp_path_factory, scheduler, ruleset, split):
    _, cuts, parts, rebuild_at = split
    text = ruleset.source()
    note(text)
    note(f"cuts {cuts}, part sizes {[len(p) for p in parts]}, rebuild at {rebuild_at}")
    work = tmp_path_factory.mktemp("split-state")
    rules = work / "gen.leadflow"
    rules.write_text(text, encoding="utf-8")
    outcomes: dict[str, list[tuple[int, str]]] = {}
    for mode, extra in (("one", []), ("split", ["--scheduler", scheduler])):
        outcomes[mode] = []
        for k, (part, cut) in enumerate(zip(parts, cuts, strict=True)):
            log = write_log(work / f"part{k}.csv", part, [])
            done = leadflow("run", rules, log, "--state", work / f"{mode}.duckdb",
                            "--as-of", timemath.format_instant(cut), "--out", work / f"{mode}{k}",
                            "-q", *(["--rebuild"] if k == rebuild_at else []), *extra)
            # The work folder's name holds "split" too: take it out before the mode's name.
            shown = done.stderr.replace(str(work), "WORK").replace(mode, "MODE")
            outcomes[mode].append((done.exit_code, shown))
    assert outcomes["split"] == outcomes["one"]
    assume(all(code == 0 for code, _ in outcomes["one"]))
    for k in range(len(parts)):
        same_outputs(work / f"one{k}", work / f"split{k}")
    assert state_contents(work / "split.duckdb") == state_contents(work / "one.duckdb")
