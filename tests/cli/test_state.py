"""`leadflow run --state` and `leadflow state` through the CLI: late, duplicate, held rows,
rule changes and --rebuild, --as-of now, locks, and state files that are not ours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from shop_log import EVENTS, leadflow, read_csv, write_events, write_leads, write_ruleset

from leadflow.runtime.incremental import resolve_as_of
from leadflow.runtime.readers import InputError

EARLY = [e for e in EVENTS if e[2] < "2024-01-10"]
LATER = [e for e in EVENTS if e[2] >= "2024-01-10"]


def run(tmp: Path, events: str, out: str, *more: str, rules: str | None = None):
    if not (tmp / "shop.leadflow").exists():  # written once: a retry needs unchanged files
        write_ruleset(tmp)
        write_leads(tmp)
    return leadflow("run", rules or str(tmp / "shop.leadflow"), events, "--leads",
                    str(tmp / "leads.csv"), "--out", str(tmp / out), "--state",
                    str(tmp / "state.duckdb"), *more)


def full_run(tmp: Path, events: str, *more: str) -> dict[str, list[dict]]:
    result = leadflow("run", write_ruleset(tmp), events, "--leads", write_leads(tmp),
                      "--out", str(tmp / "full"), *more)
    assert result.exit_code == 0, result.stderr
    return outputs(tmp / "full")


def outputs(out: Path) -> dict[str, list[dict]]:
    return {name: read_csv(out / f"{name}.csv") for name in ("leads", "actions", "transitions")}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_rows_after_the_as_of_are_kept_and_applied_by_the_next_run(tmp_path, fmt):
    """Rows past --as-of are held in the state (as raw rows) and re-read by the next run."""
    log = write_events(tmp_path, fmt)
    full = full_run(tmp_path, log)
    first = run(tmp_path, log, "o1", "--as-of", "2024-01-10T00:00:00")
    assert first.exit_code == 0, first.stderr
    assert "after --as-of" in first.stderr
    empty = write_events(tmp_path, "csv", events=[], name="nothing")
    second = run(tmp_path, empty, "o2")
    assert second.exit_code == 0, second.stderr
    got1, got2 = outputs(tmp_path / "o1"), outputs(tmp_path / "o2")
    assert got2["leads"] == full["leads"]
    assert got1["actions"] + got2["actions"] == full["actions"]
    assert got1["transitions"] + got2["transitions"] == full["transitions"]


def test_running_yesterdays_file_again_changes_nothing(tmp_path):
    log = write_events(tmp_path, "csv")
    assert run(tmp_path, log, "o1").exit_code == 0
    again = run(tmp_path, log, "o2")  # another --out: not a retry of the same command
    assert again.exit_code == 0, again.stderr
    assert f"duplicate {len(EVENTS)}" in again.stderr
    assert outputs(tmp_path / "o2")["actions"] == []
    assert outputs(tmp_path / "o2")["leads"] == outputs(tmp_path / "o1")["leads"]


def test_the_same_command_again_repeats_the_last_outputs(tmp_path):
    log = write_events(tmp_path, "csv")
    assert run(tmp_path, log, "o1").exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "o1").iterdir()}
    retry = run(tmp_path, log, "o1")
    assert retry.exit_code == 0, retry.stderr
    assert "written again, unchanged" in retry.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "o1").iterdir()} == before
    runs = json.loads(leadflow("state", tmp_path / "state.duckdb", "--json").stdout)["runs"]
    assert len(runs) == 1


def test_a_late_row_is_rejected_kept_and_applied_by_rebuild(tmp_path):
    late = [e for e in EVENTS if e[0] == "carla" and e[1] == "purchase"]  # on 3 Jan
    on_time = [e for e in EVENTS if e not in late]
    assert run(tmp_path, write_events(tmp_path, "csv", on_time, "a"), "o1").exit_code == 0
    second = run(tmp_path, write_events(tmp_path, "csv", late, "b"), "o2")
    assert second.exit_code == 0, second.stderr
    assert [r["reason"] for r in read_csv(tmp_path / "o2" / "rejects.csv")] == ["late"]
    state = json.loads(leadflow("state", tmp_path / "state.duckdb", "--json").stdout)
    assert state["history"]["late"] == 1
    rebuilt = run(tmp_path, write_events(tmp_path, "csv", [], "none"), "o3", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    # The rebuild applied the late row: the picture a full run of all rows in order gives.
    assert outputs(tmp_path / "o3")["leads"] == full_run(tmp_path, write_events(tmp_path, "csv"),
                                                         "--as-of", "2024-02-10T09:00:00")["leads"]
    assert read_csv(tmp_path / "o3" / "rejects.csv") == []


def test_a_seen_event_id_is_a_duplicate(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("lead_id,event,ts,id\nana,email_open,2024-01-02 09:00,e1\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("lead_id,event,ts,id\nana,email_open,2024-01-03 09:00,e1\n"
                      "ana,email_open,2024-01-04 09:00,e2\nana,email_open,2024-01-04 10:00,e2\n",
                      encoding="utf-8")
    assert run(tmp_path, str(first), "o1", "--event-id-col", "id").exit_code == 0
    result = run(tmp_path, str(second), "o2", "--event-id-col", "id")
    assert result.exit_code == 0, result.stderr
    assert "1 applied" in result.stderr and "duplicate 2" in result.stderr


def test_a_row_seen_under_another_time_zone_is_still_a_duplicate(tmp_path):
    """The history keeps each row's time as first read; after the rules move to a zone 13
    hours away (and --rebuild), the same file again is still all duplicates."""
    log = write_events(tmp_path, "csv")
    assert run(tmp_path, log, "o1").exit_code == 0
    moved = tmp_path / "moved.leadflow"
    moved.write_text(Path(write_ruleset(tmp_path)).read_text(encoding="utf-8").replace(
        'timezone "Europe/Madrid"', 'timezone "Pacific/Kiritimati"'), encoding="utf-8")
    nothing = write_events(tmp_path, "csv", [], "nothing")
    assert run(tmp_path, nothing, "o2", "--rebuild", rules=str(moved)).exit_code == 0
    again = run(tmp_path, log, "o3", rules=str(moved))
    assert again.exit_code == 0, again.stderr
    assert f"duplicate {len(EVENTS)}" in again.stderr
    assert outputs(tmp_path / "o3")["actions"] == []


def test_changed_rules_exit_2_naming_rebuild_and_rebuild_writes_only_what_is_new(tmp_path):
    log_a = write_events(tmp_path, "csv", EARLY, "a")
    log_b = write_events(tmp_path, "csv", LATER, "b")
    assert run(tmp_path, log_a, "o1").exit_code == 0
    changed = tmp_path / "changed.leadflow"
    changed.write_text(Path(write_ruleset(tmp_path)).read_text(encoding="utf-8").replace(
        "rule open: on email_open add 1", "rule open: on email_open add 3"), encoding="utf-8")
    refused = run(tmp_path, log_b, "o2", rules=str(changed))
    assert refused.exit_code == 2
    assert "--rebuild" in refused.stderr and "Traceback" not in refused.stderr
    rebuilt = run(tmp_path, log_b, "o2", "--rebuild", rules=str(changed))
    assert rebuilt.exit_code == 0, rebuilt.stderr
    got = outputs(tmp_path / "o2")
    full = leadflow("run", str(changed), write_events(tmp_path, "csv"), "--leads",
                    write_leads(tmp_path), "--out", str(tmp_path / "full"))
    assert full.exit_code == 0
    expected = outputs(tmp_path / "full")
    assert got["leads"] == expected["leads"]
    first_as_of = json.loads((tmp_path / "o1" / "run.json").read_text())["as_of"]
    assert got["actions"] == [a for a in expected["actions"] if a["at"] > first_as_of]
    # ... and the next run goes on under the new rules without --rebuild.
    assert run(tmp_path, write_events(tmp_path, "csv", [], "none"), "o3",
               rules=str(changed)).exit_code == 0


def test_another_engine_needs_the_same_engine_or_rebuild(tmp_path):
    log = write_events(tmp_path, "csv")
    assert run(tmp_path, log, "o1").exit_code == 0
    other = run(tmp_path, log, "o2", "--engine", "interpreter")
    assert other.exit_code == 2 and "--engine" in other.stderr


def test_as_of_before_the_state_is_refused(tmp_path):
    assert run(tmp_path, write_events(tmp_path, "csv"), "o1").exit_code == 0
    back = run(tmp_path, write_events(tmp_path, "csv", [], "none"), "o2", "--as-of", "2024-01-01")
    assert back.exit_code == 2 and "only moves forward" in back.stderr


def test_as_of_now_and_now_minus_a_duration():
    now = resolve_as_of("now")
    assert now.endswith("Z") and len(now) == 20
    assert resolve_as_of("now-2h") < now
    assert resolve_as_of("2024-01-01") == "2024-01-01"
    with pytest.raises(InputError, match="now-2h"):
        resolve_as_of("now-2 fortnights")


def test_state_prints_what_it_holds(tmp_path):
    assert run(tmp_path, write_events(tmp_path, "csv"), "o1").exit_code == 0
    text = leadflow("state", tmp_path / "state.duckdb")
    assert text.exit_code == 0
    assert "as-of" in text.stdout and "leads" in text.stdout and "#1" in text.stdout
    data = json.loads(leadflow("state", tmp_path / "state.duckdb", "--json").stdout)
    assert data["leads"] == 6 and data["history_rows"] == len(EVENTS)
    assert len(data["fingerprint"]) == 64


@pytest.mark.parametrize("content", [b"", b"lead_id,event\n", b"\x00" * 4096])
def test_a_file_that_is_not_a_state_is_a_usage_error(tmp_path, content):
    path = tmp_path / "state.duckdb"
    path.write_bytes(content)
    shown = leadflow("state", path)
    assert shown.exit_code == 2 and shown.stderr.startswith("error:")
    if content:
        used = run(tmp_path, write_events(tmp_path, "csv"), "o1")
        assert used.exit_code == 2 and used.stderr.startswith("error:")


def test_a_snapshot_is_data_and_a_foreign_one_is_refused(tmp_path):
    """A state file from someone else cannot make leadflow run code: snapshots are JSON
    over a fixed list of classes; anything else is refused with exit 2."""
    assert run(tmp_path, write_events(tmp_path, "csv", EARLY, "a"), "o1").exit_code == 0
    con = duckdb.connect(str(tmp_path / "state.duckdb"))
    con.execute("""UPDATE leads SET snapshot = '{"~o": "Popen", "i": 0, "v": {}}',
                   next_due = 0 WHERE lead_id = 'ana'""")
    con.close()
    result = run(tmp_path, write_events(tmp_path, "csv", LATER, "b"), "o2")
    assert result.exit_code == 2
    assert "lead 'ana'" in result.stderr and "--rebuild" in result.stderr


def test_rebuild_and_event_id_col_need_a_state(tmp_path):
    result = leadflow("run", write_ruleset(tmp_path), write_events(tmp_path, "csv"),
                      "--out", str(tmp_path / "o"), "--rebuild")
    assert result.exit_code == 2 and "--state" in result.stderr


def test_state_of_a_file_a_run_holds_says_so(tmp_path):
    assert run(tmp_path, write_events(tmp_path, "csv"), "o1").exit_code == 0
    holder = duckdb.connect(str(tmp_path / "state.duckdb"))  # as a running run holds it
    try:
        shown = subprocess.run([sys.executable, "-m", "leadflow.cli", "state",
                                str(tmp_path / "state.duckdb")], capture_output=True, text=True,
                               check=False)
    finally:
        holder.close()
    assert shown.returncode == 2 and "in use by a running leadflow run" in shown.stderr


def test_a_state_of_an_older_format_needs_rebuild_which_brings_it_up_to_date(tmp_path):
    """Format 1 kept a PRIMARY KEY on leads; a state of it is refused (exit 2, naming
    --rebuild), and --rebuild replays its history into the current format."""
    assert run(tmp_path, write_events(tmp_path, "csv", EARLY, "a"), "o1").exit_code == 0
    con = duckdb.connect(str(tmp_path / "state.duckdb"))
    con.execute("CREATE OR REPLACE TABLE leads (lead_id VARCHAR PRIMARY KEY, attrs VARCHAR, "
                "snapshot VARCHAR, next_due BIGINT)")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
    con.close()
    later = write_events(tmp_path, "csv", LATER, "b")
    refused = run(tmp_path, later, "o2")
    assert refused.exit_code == 2
    assert "state format 1" in refused.stderr and "--rebuild" in refused.stderr
    rebuilt = run(tmp_path, later, "o3", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    state = json.loads(leadflow("state", tmp_path / "state.duckdb", "--json").stdout)
    assert state["format"] == "3" and state["leads"] == 6
    con = duckdb.connect(str(tmp_path / "state.duckdb"), read_only=True)
    keys = con.sql("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'leads' "
                   "AND constraint_type = 'PRIMARY KEY'").fetchall()[0][0]
    con.close()
    assert keys == 0
    assert outputs(tmp_path / "o3")["leads"] == full_run(tmp_path, write_events(tmp_path, "csv"))["leads"]
