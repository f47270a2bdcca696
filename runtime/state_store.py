"""The state file of `run --state FILE`: one DuckDB database that lets the next run carry on.

Tables (all in FILE; `leadflow state FILE` prints a summary):

    meta         key → value: format, ruleset fingerprint, engine, as_of, column names
    leads        lead_id, attrs (JSON), snapshot (the engine's state as JSON, see
                 runtime/snapshot.py), next_due (µs; when its next timer fires)
    lead_rows    the lead's row of leads.csv as of the last run (same columns as the
                 run's out_leads table: lead_id, s0, t0, ..., stage, tags)
    history      every input row kept: seq, run_no, lead_id, event, ts_us, raw (the
                 row as a JSON object), row_hash (md5 of raw, to find duplicates
                 without reading every raw), event_id, status (applied, deferred: after the
                 as-of, applied by a later run; ignored: an event type the rules do not
                 use; late: rejected as late; rejected: by the rules of a --rebuild)
    runs         one row per committed run: its number, as-ofs, counts, the command's
                 fingerprint, its run.json, whether its outputs reached --out
    pending_rows each lead's rows of pending.csv as of the last run
    outbox_*     the last run's actions, transitions, rejects, points ledger and cancelled
                 sends, as written to --out

A run changes the file in one transaction together with the outbox of its
outputs; the outputs are then written from the outbox (runtime/incremental.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Self

import duckdb

from leadflow.runtime.output_set import FileLock
from leadflow.runtime.readers import InputError, duckdb_message
from leadflow.runtime.rows import literal

# 2: st.leads without a PRIMARY KEY (keeping its index made each commit of a daily
# run cost more than the replay; a run writes each lead once: runtime/incremental.py).
# 3: a compiled engine's lead snapshot is a JSON array, its scalar slots by position
# (runtime/snapshot.py, SlotCodec), no longer an object of the slots that changed.
FORMAT_VERSION = "3"
LEADS_COLUMNS = "(lead_id VARCHAR, attrs VARCHAR, snapshot VARCHAR, next_due BIGINT)"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS st.meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS st.leads {LEADS_COLUMNS};
CREATE TABLE IF NOT EXISTS st.history (seq BIGINT, run_no INTEGER, lead_id VARCHAR,
    event VARCHAR, ts_us BIGINT, raw VARCHAR, row_hash UHUGEINT, event_id VARCHAR,
    status VARCHAR);
CREATE TABLE IF NOT EXISTS st.runs (run_no INTEGER, prev_as_of BIGINT, as_of BIGINT,
    rebuild BOOLEAN, command VARCHAR, run_info VARCHAR, out_dir VARCHAR, delivered BOOLEAN,
    started_at VARCHAR);
CREATE TABLE IF NOT EXISTS st.outbox_actions (lead_id VARCHAR, at_us BIGINT, rule VARCHAR,
    kind VARCHAR, target VARCHAR, args VARCHAR, seq BIGINT);
CREATE TABLE IF NOT EXISTS st.outbox_transitions (lead_id VARCHAR, at_us BIGINT,
    from_stage VARCHAR, to_stage VARCHAR, seq BIGINT);
CREATE TABLE IF NOT EXISTS st.outbox_points (lead_id VARCHAR, at_us BIGINT, rule VARCHAR,
    score VARCHAR, change VARCHAR, value VARCHAR, seq BIGINT);
CREATE TABLE IF NOT EXISTS st.outbox_cancelled (lead_id VARCHAR, at_us BIGINT, rule VARCHAR,
    kind VARCHAR, target VARCHAR, args VARCHAR, seq BIGINT);
CREATE TABLE IF NOT EXISTS st.pending_rows (lead_id VARCHAR, due_us BIGINT, kind VARCHAR,
    source VARCHAR, what VARCHAR);
CREATE TABLE IF NOT EXISTS st.outbox_rejects (file VARCHAR, "row" BIGINT, reason VARCHAR,
    seq BIGINT);
"""


@dataclass
class RunRecord:
    run_no: int
    prev_as_of: int | None
    as_of: int
    command: str
    run_info: dict[str, Any]
    out_dir: str
    delivered: bool


class StateFile:
    """The state file attached to a run's work database as `st`, under an exclusive lock."""

    def __init__(self, path: str):
        if not path or not path.strip():
            raise InputError("--state: give a file name (it was empty)")
        self.path = os.path.abspath(path)
        self.shown = path
        if os.path.isdir(self.path):
            raise InputError(f"--state {path}: is a directory; name a file")
        parent = os.path.dirname(self.path)
        if not os.path.isdir(parent):
            raise InputError(f"--state {path}: the directory {parent} does not exist")
        self.lock = FileLock(self.path + ".lock", f"--state {path}")
        self.con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> Self:
        self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Attach FILE to the work database as `st` and make sure its tables exist."""
        self.con = con
        try:
            con.execute(f"ATTACH {literal(self.path)} AS st")
            con.execute("SET checkpoint_threshold = '1MB'")
            con.execute("BEGIN")
            con.execute(SCHEMA)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            raise InputError(f"--state {self.shown}: cannot open it as a leadflow state file: "
                             f"{duckdb_message(exc)}") from None

    # ------------------------------------------------------------------ meta

    def meta(self) -> dict[str, str]:
        return dict(self.con.sql("SELECT key, value FROM st.meta").fetchall())

    def check_format(self, rebuild: bool = False) -> None:
        """InputError for a state of another format, unless this run rebuilds it (then
        its leads table is made anew in the run's commit: runtime/incremental.py)."""
        found = self.meta().get("format")
        if found is not None and found != FORMAT_VERSION and not rebuild:
            raise InputError(f"--state {self.shown}: written by another version of leadflow "
                             f"(state format {found}, this leadflow reads {FORMAT_VERSION}); "
                             f"run with --rebuild to replay its history into this format")

    def write_meta(self, values: dict[str, str]) -> None:
        """One statement for all the keys (each statement costs ~2.5 ms of DuckDB's planning)."""
        if values:
            rows = ", ".join(["(?, ?)"] * len(values))
            self.con.execute(f"INSERT OR REPLACE INTO st.meta VALUES {rows}",
                             [item for pair in values.items() for item in pair])

    # ------------------------------------------------------------------ runs

    def last_run(self) -> RunRecord | None:
        row = self.con.sql("SELECT run_no, prev_as_of, as_of, command, run_info, out_dir, "
                           "delivered FROM st.runs ORDER BY run_no DESC LIMIT 1").fetchall()
        if not row:
            return None
        run_no, prev, as_of, command, info, out_dir, delivered = row[0]
        return RunRecord(run_no, prev, as_of, command, json.loads(info), out_dir, delivered)

    def mark_delivered(self, run_no: int) -> None:
        self.con.execute(f"UPDATE st.runs SET delivered = true WHERE run_no = {int(run_no)}")

    def summary(self) -> dict[str, Any]:
        """What the state holds, for `leadflow state`."""
        meta = self.meta()
        con = self.con
        history = dict(con.sql("SELECT status, count(*) FROM st.history GROUP BY status "
                               "ORDER BY status").fetchall())
        runs = [
            {"run": n, "as_of": a, "rebuild": r, "delivered": d, "started_at": s,
             "counts": json.loads(info).get("counts", {})}
            for n, a, r, d, s, info in con.sql(
                "SELECT run_no, as_of, rebuild, delivered, started_at, run_info FROM st.runs "
                "ORDER BY run_no").fetchall()]
        due = con.sql("SELECT min(next_due) FROM st.leads").fetchall()[0][0]
        return {
            "file": self.shown,
            "format": meta.get("format"),
            "ruleset": meta.get("ruleset"),
            "ruleset_file": meta.get("ruleset_file"),
            "fingerprint": meta.get("fingerprint"),
            "engine": meta.get("engine"),
            "as_of": int(meta["as_of"]) if "as_of" in meta else None,
            "leads": con.sql("SELECT count(*) FROM st.leads").fetchall()[0][0],
            "history_rows": sum(history.values()),
            "history": history,
            "next_due": due,
            "runs": runs,
        }


def open_for_reading(path: str) -> tuple[duckdb.DuckDBPyConnection, StateFile]:
    """A state file opened read-only (for `leadflow state`); InputError if it is not one."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such state file")
    state = StateFile(path)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {literal(state.path)} AS st (READ_ONLY)")
        state.con = con
        if "format" not in state.meta():
            raise InputError(f"{path}: not a leadflow state file (no completed run in it)")
    except duckdb.Error as exc:
        con.close()
        message = duckdb_message(exc)
        if "lock" in message.lower() or "already attached" in message:  # a run has it open
            raise InputError(f"{path}: in use by a running leadflow run; try again when it "
                             f"ends") from None
        raise InputError(f"{path}: not a leadflow state file: {message}") from None
    return con, state
