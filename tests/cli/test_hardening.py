"""Issue 10: hostile and careless use of `run` and its inputs gives a clear error, never a
traceback, and never loses a row. One test per item of the issue, named after it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from shop_log import leadflow, read_csv, write_events, write_ruleset


def run(tmp_path: Path, *inputs: str, out: str | None = None, rules: str | None = None,
        **options: str):
    ruleset = rules or write_ruleset(tmp_path)
    args = ["run", ruleset, *inputs, "--out", str(tmp_path / "out") if out is None else out]
    for name, value in options.items():  # a value of None: a flag
        args += [f"--{name.replace('_', '-')}"] + ([value] if value is not None else [])
    return leadflow(*args)


def one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# ----------------------------------------------------------------- item 2: --out


def test_item02_out_with_a_directory_where_an_output_file_goes(tmp_path):
    (tmp_path / "out" / "actions.csv").mkdir(parents=True)
    line = one_line_error(run(tmp_path, write_events(tmp_path, "csv")))
    assert "actions.csv is a directory" in line


def test_item02_out_a_dangling_symlink(tmp_path):
    os.symlink(tmp_path / "nowhere", tmp_path / "link")
    line = one_line_error(run(tmp_path, write_events(tmp_path, "csv"), out=str(tmp_path / "link")))
    assert "does not exist" in line


def test_item02_out_empty(tmp_path):
    line = one_line_error(run(tmp_path, write_events(tmp_path, "csv"), out=""))
    assert "empty" in line


def test_item02_out_below_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    line = one_line_error(run(tmp_path, write_events(tmp_path, "csv"),
                              out=str(tmp_path / "file" / "sub")))
    assert "is a file" in line


# ----------------------------------------------------------------- item 5: --top


def test_item05_huge_top_fails_before_any_work(tmp_path):
    result = run(tmp_path, write_events(tmp_path, "csv"), top="99999999999999999999")
    assert result.exit_code == 2
    assert "--top" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # refused before anything was written


# ----------------------------------------- item 14: leads seen only in ignored rows


def test_item14_lead_seen_only_in_ignored_rows_gets_a_row(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("lead_id,event,ts\n"
                      "ana,email_open,2024-01-02 09:00\n"
                      "zoe,newsletter_signup,2024-01-01 09:00\n"  # a type the ruleset ignores
                      "max,email_open,2024-03-01 09:00\n"  # after --as-of
                      "bad,email_open,yesterday\n")  # rejected: not seen
    result = run(tmp_path, str(events), as_of="2024-02-01")
    assert result.exit_code == 0, result.stderr
    leads = {r["lead_id"]: r for r in read_csv(tmp_path / "out" / "leads.csv")}
    assert sorted(leads) == ["ana", "max", "zoe"]
    assert leads["zoe"]["engagement"] == "0" and leads["zoe"]["stage"] == "visitor"
    assert leads["max"]["engagement"] == "0"


# ---------------------------------------------- item 8: a path that exists is literal


@pytest.mark.parametrize("name, neighbour", [("a*.csv", "ab.csv"), ("x[1].csv", "x1.csv")],
                         ids=["star", "brackets"])
def test_item08_a_file_named_like_a_glob_is_read_literally(tmp_path, name, neighbour):
    (tmp_path / name).write_text("lead_id,event,ts\nana,email_open,2024-01-02 09:00\n")
    (tmp_path / neighbour).write_text("lead_id,event,ts\nbob,email_open,2024-01-02 09:00\n"
                                      "bob,email_open,2024-01-03 09:00\n")
    result = run(tmp_path, str(tmp_path / name))
    assert result.exit_code == 0, result.stderr
    assert "1 event file, 1 rows read" in result.stderr
    assert [r["lead_id"] for r in read_csv(tmp_path / "out" / "leads.csv")] == ["ana"]


def test_item08_a_glob_that_names_no_file_still_expands(tmp_path):
    for name in ("x1.csv", "x2.csv"):
        (tmp_path / name).write_text("lead_id,event,ts\nana,email_open,2024-01-02 09:00\n")
    result = run(tmp_path, str(tmp_path / "x[12].csv"))
    assert result.exit_code == 0, result.stderr
    assert "2 event files, 2 rows read" in result.stderr


# ------------------------------------------ item 7 and CSV rough edges: every line


def summary_numbers(stderr: str) -> tuple[int, int, int, int]:
    import re

    match = re.search(r"([\d,]+) rows read = ([\d,]+) applied \+ ([\d,]+) rejected "
                      r"\+ ([\d,]+) ignored", stderr)
    assert match, stderr
    return tuple(int(g.replace(",", "")) for g in match.groups())


def test_item07_unterminated_quote_counts_every_line(tmp_path):
    lines = ["lead_id,event,ts"] + [f"l{i},email_open,2024-01-02 09:00" for i in range(1, 50_001)]
    lines[40_001] = 'l40001,"email_open,2024-01-02 09:00'  # data row 40,001: never closed
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n")
    line = one_line_error(run(tmp_path, str(tmp_path / "events.csv")))
    assert "line 40,002 opens a quote that is never closed" in line, line
    assert "9,999 line(s)" in line
    assert not (tmp_path / "out").exists()


def test_quoted_values_spanning_lines_are_one_row(tmp_path):
    (tmp_path / "events.csv").write_text(
        'lead_id,event,ts,url\nana,page_view,2024-01-02 09:00,"shop.es/\ncart"\n'
        'bob,email_open,2024-01-02 09:00,\n')
    result = run(tmp_path, str(tmp_path / "events.csv"))
    assert result.exit_code == 0, result.stderr
    assert summary_numbers(result.stderr) == (2, 2, 0, 0)


def test_a_stray_quote_inside_a_value_keeps_the_row(tmp_path):
    (tmp_path / "events.csv").write_text(
        'lead_id,event,ts,url\nana,page_view,2024-01-02 09:00,shop"es\nbob,email_open,2024-01-02 09:00,\n')
    result = run(tmp_path, str(tmp_path / "events.csv"))
    assert result.exit_code == 0, result.stderr
    assert summary_numbers(result.stderr) == (2, 2, 0, 0)


def test_a_duplicated_header_column_is_refused(tmp_path):
    (tmp_path / "events.csv").write_text("lead_id,event,ts,amount,amount\nana,purchase,2024-01-02,1,2\n")
    line = one_line_error(run(tmp_path, str(tmp_path / "events.csv")))
    assert "column 'amount' twice (columns 4 and 5)" in line


def test_bad_utf8_in_a_csv_names_the_line(tmp_path):
    (tmp_path / "events.csv").write_bytes(b"lead_id,event,ts\nana,email_open,2024-01-02\n"
                                          b"b\xff\xfe,email_open,2024-01-02\n")
    line = one_line_error(run(tmp_path, str(tmp_path / "events.csv")))
    assert "line 3: not valid UTF-8" in line


# ------------------------------------------------- item 13: semicolon-separated CSV


def test_item13_semicolon_csv_is_read(tmp_path):
    (tmp_path / "events.csv").write_text(
        "lead_id;event;ts;amount;category\nana;purchase;2024-01-02 09:00;120,5;botas\n"
        "ana;purchase;2024-01-03 09:00;150;botas\n")
    result = run(tmp_path, str(tmp_path / "events.csv"))
    assert result.exit_code == 0, result.stderr
    # Spanish Excel's decimal comma is not a number: rejected, named, never silently 0.
    assert summary_numbers(result.stderr) == (2, 1, 1, 0)
    rejects = read_csv(tmp_path / "out" / "rejects.csv")
    assert rejects[0]["reason"] == "field amount: '120,5' is not a number"


def test_item13_wrong_delimiter_names_the_real_cause(tmp_path):
    (tmp_path / "events.csv").write_text("lead_id;event;ts\nana;email_open;2024-01-02\n")
    line = one_line_error(run(tmp_path, str(tmp_path / "events.csv"), delimiter="|"))
    assert "pass --delimiter ';'" in line


# --------------------------------------------------- item 1: an infinite score


MONEY = """ruleset money
timezone "UTC"
event purchase(amount: number)
score revenue
rule add_it: on purchase add amount to revenue
"""


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_item01_a_score_overflowing_to_infinity_is_an_error_for_that_lead(tmp_path, engine):
    rules = tmp_path / "money.leadflow"
    rules.write_text(MONEY)
    events = tmp_path / "events.csv"
    events.write_text("lead_id,event,ts,amount\na,purchase,2024-01-01,1e308\n"
                      "a,purchase,2024-01-02,1e308\nb,purchase,2024-01-02,5\n")
    line = one_line_error(run(tmp_path, str(events), rules=str(rules), engine=engine), code=1)
    assert "lead 'a': score revenue became inf" in line and "explain" in line
    result = leadflow("explain", rules, events, "--lead", "a", "--engine", engine)
    line = one_line_error(result, code=1)
    assert "at 2024-01-02T00:00:00Z: rule add_it" in line and "after event purchase" in line


# ------------------------------------------- item 11: times and non-finite numbers in args


ARGS = """ruleset offers
timezone "Europe/Madrid"
event purchase(amount: number)
score engagement
rule offer: on purchase send "offer" with due = ts + 2 days, big = amount * amount, n = amount
"""


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_item11_times_in_args_are_iso_and_non_finite_numbers_are_null(tmp_path, engine):
    import json

    rules = tmp_path / "offers.leadflow"
    rules.write_text(ARGS)
    events = tmp_path / "events.csv"
    events.write_text("lead_id,event,ts,amount\na,purchase,2024-01-01 10:00,1e200\n")
    result = run(tmp_path, str(events), rules=str(rules), engine=engine)
    assert result.exit_code == 0, result.stderr
    text = read_csv(tmp_path / "out" / "actions.csv")[0]["args"]
    args = json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token} in {text}"))
    assert args == {"due": "2024-01-03T09:00:00Z", "big": None, "n": 1e200}
    result = leadflow("explain", rules, events, "--lead", "a", "--json", "--engine", engine)
    assert json.loads(result.stdout)["final"]["actions"][0]["args"]["due"] == "2024-01-03T09:00:00Z"


# ------------------------------------ item 12: a field with no column, a run of rejects


def test_item12_a_declared_field_with_no_column_warns_and_strict_fails(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("lead_id,event,ts,importe,category\nana,purchase,2024-01-02 09:00,120,botas\n")
    result = run(tmp_path, str(events))
    assert result.exit_code == 0, result.stderr
    assert ("warning: field amount of purchase: no input has a column or property 'amount' "
            "(columns: lead_id, event, ts, importe, category)") in result.stderr
    assert "field category" not in result.stderr
    quiet = run(tmp_path, str(events), out=str(tmp_path / "q"), quiet=None)
    assert "warning: field amount" in quiet.stderr  # printed even with --quiet
    assert run(tmp_path, str(events), strict=None).exit_code == 1


def test_item12_most_rows_rejected_is_loud_and_max_reject_rate_fails(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("lead_id,event,ts\nana,email_open,2024-01-02 09:00\n"
                      "bob,email_open,ayer\ncarla,email_open,mañana\n")
    result = run(tmp_path, str(events))
    assert result.exit_code == 0 and "warning: 66.7% of the event rows were rejected" in result.stderr
    line = run(tmp_path, str(events), max_reject_rate="50").stderr.strip().splitlines()[-1]
    assert line == "error: 66.7% of the event rows were rejected, more than --max-reject-rate 50%"
    assert run(tmp_path, str(events), max_reject_rate="70").exit_code == 0
    assert run(tmp_path, str(events), max_reject_rate="nan").exit_code == 2


# ------------------------------------------------- item 3: memory and disk run out


def many_leads(tmp_path: Path, count: int = 20_000) -> str:
    path = tmp_path / "many.csv"
    path.write_text("lead_id,event,ts\n" + "".join(
        f"L{i:06d},email_open,2024-01-02 09:00\n" for i in range(count)))
    return str(path)


def test_item03_full_disk_while_writing_outputs_is_one_line(tmp_path):
    import resource
    import subprocess
    import sys

    def small_files() -> None:  # as `ulimit -f 100`: no file may grow past 100 KiB
        resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, 100 * 1024))

    done = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", "run", write_ruleset(tmp_path), many_leads(tmp_path),
         "--out", str(tmp_path / "out"), "-q"], capture_output=True, text=True, check=False,
        preexec_fn=small_files, env={**os.environ, "LEADFLOW_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the disk is full"), done.stderr
    assert "choose another --out" in lines[0]


def test_item03_too_small_memory_limit_says_what_to_raise(tmp_path):
    line = one_line_error(run(tmp_path, many_leads(tmp_path), memory_limit="1MB"))
    assert line.startswith("error: out of memory") and "raise it (e.g. --memory-limit 2GB)" in line


def test_item03_a_full_disk_while_spilling_names_tmpdir():
    import tempfile

    from leadflow.runtime.failures import resource_problem

    spill = os.path.join(tempfile.gettempdir(), "leadflow-run-1-x", "spill", "duckdb_temp_block")
    exc = OSError(28, "No space left on device", spill)
    assert "set TMPDIR to a disk with room" in resource_problem(exc, "512MB")


def test_item03_work_directories_are_removed_on_failure_and_after_a_kill(tmp_path, monkeypatch):
    import tempfile

    from leadflow.runtime.staging import WORK_PREFIX

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / f"{WORK_PREFIX}999999999-abc"  # a run killed outright (no such pid)
    (dead / "spill").mkdir(parents=True)
    alive = tmp_path / f"{WORK_PREFIX}{os.getpid()}-abc"  # a run still going
    alive.mkdir()
    assert run(tmp_path, many_leads(tmp_path), memory_limit="1MB").exit_code == 2
    assert not dead.exists() and alive.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(WORK_PREFIX)) == [alive.name]


# ----------------------------------------------------------- JSON Lines rough edges


def test_jsonl_bad_lines_are_rejected_rows_not_a_failed_file(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"lead_id": "ana", "event": "email_open", "ts": "2024-01-02 09:00"}\n'
                     b'{"lead_id": "b\xff\xfe", "event": "email_open", "ts": "2024-01-02"}\n'
                     b'\n'
                     b'{"lead_id": {"id": 1}, "event": "email_open", "ts": "2024-01-02"}\n'
                     b'{"lead_id": "carla", "event": "purchase", "ts": "2024-01-02", '
                     b'"properties": [1, 2]}\n'
                     b'{"lead_id": "dan", "event": "email_open", "ts": "2024-01-02"\n')
    result = run(tmp_path, str(path))
    assert result.exit_code == 0, result.stderr
    assert summary_numbers(result.stderr) == (5, 1, 4, 0)
    rejects = [(r["row"], r["reason"]) for r in read_csv(tmp_path / "out" / "rejects.csv")]
    assert rejects == [("2", "not valid UTF-8 text"),
                       ("4", "lead_id: an object or a list, not a single value"),
                       ("5", "properties: not a JSON object"), ("6", "not a JSON object")]


def test_a_row_in_year_2924_moving_the_default_as_of_is_a_warning(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("lead_id,event,ts\nana,email_open,2024-01-02 09:00\nbob,email_open,2924-01-02 09:00\n")
    result = run(tmp_path, str(events))
    assert result.exit_code == 0, result.stderr
    assert (f"warning: 1 row(s) are stamped in the future, the latest 2924-01-02T08:00:00Z at "
            f"{events} row 2 (a mistyped year?); the default as-of is that time") in result.stderr


# ---------------------------------------------- items 4 and 10: the output set, whole


def test_item04_two_runs_on_one_out_never_interleave(tmp_path):
    from leadflow.runtime.output_set import OutputDir

    holder = OutputDir(str(tmp_path / "out"))
    with holder:  # another run holds --out
        line = one_line_error(run(tmp_path, write_events(tmp_path, "csv")))
    assert "in use by another leadflow run" in line
    assert run(tmp_path, write_events(tmp_path, "csv")).exit_code == 0  # free again


def test_item10_the_output_set_is_replaced_whole(tmp_path):
    assert run(tmp_path, write_events(tmp_path, "csv")).exit_code == 0
    assert run(tmp_path, write_events(tmp_path, "csv"), format="parquet").exit_code == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    # No file of the earlier --format, no `.partial` file, run.json beside the set.
    assert names == ["actions.parquet", "leads.parquet", "pending.parquet", "rejects.parquet", "run.json",
                     "transitions.parquet"]
    strays = [p.name for p in tmp_path.iterdir() if ".leadflow-" in p.name
              and not p.name.endswith("-lock")]
    assert strays == []


def test_item10_a_failed_run_leaves_the_previous_set(tmp_path):
    assert run(tmp_path, write_events(tmp_path, "csv")).exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    broken = tmp_path / "broken.leadflow"
    huge = " * ".join(["1" + "0" * 28] * 12)  # 1e336: past the largest float, a run-time error
    broken.write_text(Path(write_ruleset(tmp_path)).read_text()
                      + f"\nrule boom: on email_open add {huge}\n", encoding="utf-8")
    failed = run(tmp_path, write_events(tmp_path, "csv"), rules=str(broken))
    assert failed.exit_code == 1, failed.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


def test_item10_run_json_names_the_run_and_is_written_last(tmp_path):
    import json

    assert run(tmp_path, write_events(tmp_path, "csv")).exit_code == 0
    files = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    assert files["run.json"] == max(files.values())
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert info["counts"]["rows"] == info["counts"]["applied"] + info["counts"]["rejected"] \
        + info["counts"]["ignored"]
    assert {"run", "as_of", "inputs", "counts", "outputs"} <= info.keys()
