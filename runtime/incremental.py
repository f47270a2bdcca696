"""`run --state FILE`: carry on from the last run, apply only what is new, exactly once.

One run, in order (every step before the commit changes nothing on disk):

1. Lock the state file and --out; open the state (runtime/state_store.py).
2. The same command as the last run (same arguments, input files unchanged) is
   a retry: write the last run's outputs again from the state's outbox, exactly
   as they were, and stop. Otherwise, if the last run's outputs never reached
   its --out (killed after its commit), this run's actions and transitions
   start with them, so nothing is lost.
3. Read the new input, with the rows the state held back from earlier runs
   (stamped after their as-of) read first. A row already in the history is a
   `duplicate` (ignored); any other row at or before the state's as-of is
   rejected as `late` and kept in the history for `--rebuild`.
4. Replay only the leads that have new events, a timer due by the as-of, or
   that are new: each starts from its saved state (runtime/snapshot.py).
5. Commit, in one transaction: the leads' new states, the history, the run's
   record and its outputs (the outbox).
6. Write the output set from the outbox, swap it into --out, run.json last
   (runtime/output_set.py), and mark the run delivered.

Killed anywhere before 5, nothing happened; killed after 5, the same command
run again finishes step 6 with the same files (step 2). `--rebuild` replays the whole
history and the new input under the current rules from scratch; actions and
transitions at or before the previous as-of are not written again.
"""

from __future__ import annotations

import array
import datetime
import gc
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate
from typing import Any

import duckdb
import pyarrow as pa

from leadflow import __version__
from leadflow.runtime.driver import (
    RunOptions,
    RunResult,
    carried_columns,
    given_columns,
    output_tables,
    replay,
    run_file,
    slots_read,
    timed_batches,
)
from leadflow.runtime.engine import Engine
from leadflow.runtime.failures import resource_problem
from leadflow.runtime.output_set import (
    OPTIONAL_OUTPUTS,
    OUTPUT_NAMES,
    OutputDir,
    crash_point,
    read_run_file,
)
from leadflow.runtime.outputs import OutputTables, output_queries, write_files
from leadflow.runtime.progress import progress_bar
from leadflow.runtime.readers import InputError, InputFile, duckdb_message
from leadflow.runtime.rows import ident, literal
from leadflow.runtime.ruleset_facts import facts_of
from leadflow.runtime.snapshot import SnapshotError
from leadflow.runtime.staging import (
    EventCounts,
    FileCounts,
    Staging,
    replayed_rows,
)
from leadflow.runtime.state_store import FORMAT_VERSION, LEADS_COLUMNS, RunRecord, StateFile
from leadflow.runtime.summary import RunSummary
from leadflow.semantics.timemath import format_instant

HELD = "held"  # the work table of the rows read back from the state's history
# Outputs that list what happened: a run writes those in (previous as-of, as-of].
EVENT_OUTPUTS = ("actions", "transitions", "points", "cancelled")


def ruleset_fingerprint(text: str) -> str:
    """What a state remembers of its rules: any change to the file needs --rebuild."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def engine_format(engine: Engine) -> str:
    """Which engine (and version) wrote the lead snapshots: only it can read them back."""
    module = getattr(engine, "module", None)
    version = getattr(module, "COMPILER_VERSION", None)
    kind = "compiled" if module is not None else "interpreter"
    return f"{kind} {version if version is not None else __version__}"


def run_with_state(engine: Engine, options: RunOptions, label: str | None,
                   cluster: Any = None) -> RunResult:
    """With a `cluster` (runtime/partitioned.py), the replay is split by lead over its workers."""
    store = StateFile(options.state)
    out = OutputDir(options.out_dir)
    with store, out, Staging(engine.timezone, options.memory_limit) as staging:
        try:
            return _Run(engine, options, label or engine.name or "ruleset", store, out,
                        staging, cluster).go()
        except duckdb.Error as exc:  # nothing was committed: the transaction rolled back
            message = resource_problem(exc, options.memory_limit) or duckdb_message(exc)
            raise InputError(f"{message}; nothing was committed to --state {store.shown}"
                             ) from None


class _Run:
    def __init__(self, engine: Engine, options: RunOptions, label: str, store: StateFile,
                 out: OutputDir, staging: Staging, cluster: Any = None):
        self.engine = engine
        self.cluster = cluster
        self.options = options
        self.label = label
        self.store = store
        self.out = out
        self.staging = staging
        self.con = staging.con
        self.seconds: dict[str, float] = {}

    # ------------------------------------------------------------------ steps

    def go(self) -> RunResult:
        start = time.perf_counter()
        store, options = self.store, self.options
        store.attach(self.con)
        store.check_format(options.rebuild)
        meta = store.meta()
        new = "format" not in meta
        if not new:
            self.check_rules(meta)
        prev_as_of = None if new or "as_of" not in meta else int(meta["as_of"])
        last = store.last_run()
        if last is not None and last.command == options.command:
            return self.redeliver(last)  # a retry: the same outputs again, nothing new
        if last is not None and not last.delivered and self.reached_out(last):
            self.commit(lambda: store.mark_delivered(last.run_no))
            last.delivered = True
        carry = last is not None and not last.delivered
        rebuild = options.rebuild and not new

        held = self.held_rows(rebuild)
        self.has_held = held is not None  # file 0 of the work database is then the held rows
        # A first run and a rebuild write every lead's row; later runs only the touched ones.
        self.replaces_rows = rebuild or not _table_exists(self.con, "st", "lead_rows")
        self.staging.load_events(options.events, options.names, dict(self.engine.events),
                                 keep_raw=True, held=held)
        if options.leads is not None:
            self.staging.load_leads(options.leads, options.names, tuple(self.engine.lead_fields),
                                    options.keep_cols)
        # The --leads columns leads.csv carries: this run's file's, else the last run's.
        self.carried = (carried_columns(self.staging, self.engine, options.leads)
                        if self.staging.has_leads else tuple(json.loads(meta.get("carried", "[]"))))
        self.mark_seen_rows(prev_as_of, rebuild)
        as_of, given = self.choose_as_of(prev_as_of)
        counts = self.staging.counts(as_of)
        self.seconds["read"] = time.perf_counter() - start
        crash_point("staged")

        tables = output_tables(self.con.cursor(), self.engine, options)
        if self.cluster is not None:
            from leadflow.runtime.partitioned import replay_state_split
            replay_state_split(self, tables, as_of, rebuild, counts.applied)
        else:
            saved = _SavedLeads(self.engine, options.points)
            self.replay(tables, saved, as_of, prev_as_of, rebuild, counts.applied)
            saved.save_to(self.con)
        previous = None  # the leads rows of earlier runs, whose carried columns a lead keeps
        if _table_exists(self.con, "st", "lead_rows"):
            add_missing_columns(self.con, "st.lead_rows", "out_leads")
            previous = "st.lead_rows"
        tables.carry(self.carried, given_columns(self.carried, self.staging), previous)
        crash_point("replayed")

        write_start = time.perf_counter()
        run_no = (last.run_no + 1) if last is not None else 1
        self.prepare_outbox(rebuild, prev_as_of, carry)
        outputs = self.output_paths(options.format)
        kinds = dict(self.con.sql("SELECT kind, count(*) FROM new_actions GROUP BY kind "
                                  "ORDER BY kind").fetchall())
        transitions = self.con.sql("SELECT count(*) FROM new_transitions").fetchall()[0][0]
        leads = self.con.sql("SELECT count(*) FROM out_leads" if self.replaces_rows
                             else "SELECT count(*) FROM (SELECT lead_id FROM out_leads UNION "
                                  "SELECT lead_id FROM st.lead_rows)").fetchall()[0][0]
        summary = RunSummary(self.label, counts, as_of, given, leads, transitions, kinds,
                             self.seconds, outputs)
        info = run_file(summary, options, run_no, state=store.path,
                        previous_as_of=_iso(prev_as_of), rebuild=rebuild,
                        **({"includes_undelivered_run": last.run_no} if carry else {}),
                        **({"lead_columns": list(self.carried)} if self.carried else {}))
        crash_point("before-commit")
        self.commit(lambda: self.save(run_no, prev_as_of, as_of, rebuild, info, carry))
        crash_point("committed")
        self.deliver(run_no, info)
        top, stage_counts = self.overview(tables)
        self.seconds["write"] = time.perf_counter() - write_start
        return RunResult(summary, top, stage_counts)

    def check_rules(self, meta: dict[str, str]) -> None:
        options = self.options
        if options.rebuild:
            return
        if meta.get("fingerprint") != options.ruleset_fingerprint:
            raise InputError(
                f"--state {self.store.shown}: the rules changed since the state was built (from "
                f"{meta.get('ruleset_file', 'another file')}); run again with --rebuild to replay "
                f"the stored history under the new rules")
        if meta.get("engine") != engine_format(self.engine):
            raise InputError(
                f"--state {self.store.shown}: saved by the {meta.get('engine')} engine, this run "
                f"uses {engine_format(self.engine)}; use the same --engine, or --rebuild")

    def reached_out(self, last: RunRecord) -> bool:
        """Whether the last run's output set is in its --out (killed after the swap)."""
        found = read_run_file(last.out_dir)
        return (found is not None and found.get("run") == last.run_no
                and found.get("state") == self.store.path)

    def redeliver(self, last: RunRecord) -> RunResult:
        """Write the interrupted run's outputs again, from the outbox, exactly as they were."""
        self.write_outputs(last.run_no, last.run_info)
        info = last.run_info
        counts = info["counts"]
        summary_counts = _counts_from_json(counts)
        outputs = self.output_paths(info["format"], info)
        summary = RunSummary(self.label, summary_counts, last.as_of, True, counts["leads"],
                             counts["transitions"], counts["actions"], self.seconds, outputs)
        return RunResult(summary, [], {}, note=f"the same command as run {last.run_no} with "
                         f"unchanged inputs: its outputs are written again, unchanged")

    # ------------------------------------------------------------ the input

    def held_rows(self, rebuild: bool) -> tuple[InputFile, str] | None:
        """The rows the state kept that this run reads again, as a Parquet file in order."""
        where = "true" if rebuild else "status = 'deferred'"
        (count,) = self.con.sql(f"SELECT count(*) FROM st.history WHERE {where}").fetchall()[0]
        if count == 0:
            return None
        self.con.execute(
            f"CREATE TABLE {HELD} AS SELECT row_number() OVER (ORDER BY seq) AS row_no, seq "
            f"FROM st.history WHERE {where}")
        path = os.path.join(self.staging.dir, "held.parquet")
        self.con.execute(
            f"COPY (SELECT lead_id, event, make_timestamptz(ts_us) AS ts, raw AS properties "
            f"FROM st.history WHERE {where} ORDER BY seq) TO {literal(path)} (FORMAT parquet)")
        return InputFile(path, "parquet"), f"{self.store.shown} (rows kept from earlier runs)"

    def output_paths(self, fmt: str, info: dict[str, Any] | None = None) -> dict[str, str]:
        """The files this run writes (`info`: the run.json of the run written again)."""
        names = [name for name in OUTPUT_NAMES if name not in OPTIONAL_OUTPUTS
                 or (f"{name}.{fmt}" in info.get("outputs", ()) if info is not None
                     else getattr(self.options, name))]
        return {name: os.path.join(self.options.out_dir, f"{name}.{fmt}") for name in names}

    def mark_seen_rows(self, prev_as_of: int | None, rebuild: bool) -> None:
        """Duplicates of rows in the history, and late rows; held rows keep their stored raw."""
        con = self.con
        con.execute("ALTER TABLE events ADD COLUMN event_id VARCHAR")
        has_held = self.has_held
        if has_held:  # file 0: its raw and id are the stored ones, not a re-encoding
            con.execute(f"UPDATE events SET raw = h.raw, event_id = h.event_id FROM "
                        f"(SELECT held.row_no, history.raw, history.event_id FROM {HELD} "
                        f"JOIN st.history history USING (seq)) h "
                        f"WHERE events.file_no = 0 AND events.row_no = h.row_no")
        fresh = "file_no <> 0" if has_held else "true"
        id_col = self.options.event_id_col
        if id_col is not None:
            con.execute(f"UPDATE events SET event_id = json_extract_string(raw, "
                        f"{literal(chr(36) + '.' + json.dumps(id_col))}) WHERE {fresh}")
        # A row equal to one in the history is a duplicate, as many times as the
        # history holds it (a log may hold two equal rows; both were applied).
        con.execute(f"CREATE TABLE fresh_rows AS SELECT file_no, row_no, raw, md5_number(raw) "
                    f"AS row_hash, ts_us FROM events WHERE reason IS NULL AND {fresh}")
        con.execute(
            f"UPDATE events SET dup = true FROM (SELECT e.file_no, e.row_no FROM "
            f"(SELECT *, row_number() OVER (PARTITION BY raw ORDER BY file_no, row_no) AS k "
            f"FROM fresh_rows) e JOIN (SELECT raw, count(*) AS n FROM st.history WHERE row_hash "
            f"IN (SELECT row_hash FROM fresh_rows) AND {_near_fresh_times(con)} GROUP BY raw) h "
            f"USING (raw) WHERE e.k <= h.n) d "
            f"WHERE events.file_no = d.file_no AND events.row_no = d.row_no")
        if id_col is not None:
            con.execute(
                f"UPDATE events SET dup = true FROM (SELECT file_no, row_no FROM "
                f"(SELECT file_no, row_no, event_id, row_number() OVER (PARTITION BY event_id "
                f"ORDER BY file_no, row_no) AS k FROM events WHERE reason IS NULL AND NOT dup "
                f"AND event_id IS NOT NULL AND {fresh}) e WHERE e.k > 1 OR e.event_id IN "
                f"(SELECT event_id FROM st.history WHERE event_id IS NOT NULL)) d "
                f"WHERE events.file_no = d.file_no AND events.row_no = d.row_no")
        if prev_as_of is not None and not rebuild:
            con.execute(f"UPDATE events SET reason = 'late' WHERE reason IS NULL AND NOT dup "
                        f"AND ts_us IS NOT NULL AND ts_us <= {prev_as_of} AND {fresh}")

    def choose_as_of(self, prev_as_of: int | None) -> tuple[int | None, bool]:
        given = self.options.as_of
        if given is None:
            latest = self.staging.latest_time()
            candidates = [t for t in (latest, prev_as_of) if t is not None]
            return (max(candidates) if candidates else None), False
        as_of = self.staging.parse_time(given)
        if as_of is None:
            raise InputError(f"--as-of: cannot read time {given!r} "
                             f"(use ISO-8601, e.g. 2024-06-30 or 2024-06-30T18:00:00Z)")
        if prev_as_of is not None and as_of < prev_as_of:
            raise InputError(f"--as-of {given}: before the state's as-of "
                             f"{format_instant(prev_as_of)}; a state only moves forward")
        return as_of, True

    # --------------------------------------------------------------- replay

    def replay(self, tables: OutputTables, saved: _SavedLeads, as_of: int | None,
               prev_as_of: int | None, rebuild: bool, applied: int) -> None:
        con = self.con
        self.find_affected(as_of, rebuild)
        reader = con.cursor().sql(self.stored_leads_sql(rebuild)).to_arrow_reader(16384)
        leads = _merge_by_lead(_rows(reader), self.staging.lead_attrs())

        options = self.options
        bar = progress_bar(applied, options.progress)
        run_start = time.perf_counter()
        try:
            batches = timed_batches(lambda: self.staging.event_reader(
                as_of, read=slots_read(self.engine)), self.seconds)
            with _collector_skips_older_objects():
                replay(self.engine, batches, self.staging.event_names,
                       self.staging.slots.by_event, leads, as_of, tables.add, bar.update,
                       slots=self.staging.slots.slots, begin=saved.begin, keep=saved.keep,
                       pending=True)
        finally:
            bar.close()
        self.seconds["run"] = time.perf_counter() - run_start - self.seconds.get("sort", 0.0)

    def find_affected(self, as_of: int | None, rebuild: bool) -> None:
        """The work table `affected`: the leads this run replays."""
        new_leads = "lead_id IS NOT NULL AND lead_id NOT IN (SELECT lead_id FROM st.leads)"
        parts = [f"SELECT lead_id FROM events WHERE {replayed_rows(as_of)}",
                 # Every lead seen in a row that is not rejected gets a row of leads.csv.
                 f"SELECT lead_id FROM events WHERE reason IS NULL AND NOT dup AND {new_leads}"]
        if as_of is not None:
            parts.append(f"SELECT lead_id FROM st.leads WHERE next_due <= {as_of}")
        if self.staging.has_leads:
            parts.append(f"SELECT lead_id FROM leads WHERE reason IS NULL AND {new_leads}")
        if rebuild:
            parts.append("SELECT lead_id FROM st.leads")
        self.con.execute("CREATE TABLE affected AS SELECT DISTINCT lead_id FROM ("
                         + " UNION ALL ".join(parts) + ")")

    def stored_leads_sql(self, rebuild: bool, where: str = "true") -> str:
        """The affected leads with their stored attributes and state, in lead order."""
        snapshot = "NULL" if rebuild else "s.snapshot"
        return (f"SELECT a.lead_id, s.attrs, {snapshot} AS snapshot FROM affected a LEFT JOIN "
                f"st.leads s USING (lead_id) WHERE {where} ORDER BY a.lead_id")

    # -------------------------------------------------------------- outputs

    def prepare_outbox(self, rebuild: bool, prev_as_of: int | None, carry: bool) -> None:
        """This run's outputs as work tables: new_actions, new_transitions, new_rejects."""
        con = self.con
        since = f"at_us > {prev_as_of}" if rebuild and prev_as_of is not None else "true"
        for name in EVENT_OUTPUTS:
            carried = ""
            if carry:
                carried = f"SELECT * EXCLUDE (seq), seq FROM st.outbox_{name} UNION ALL "
            offset = (f"(SELECT coalesce(max(seq) + 1, 0) FROM st.outbox_{name})"
                      if carry else "0")
            con.execute(f"CREATE TABLE new_{name} AS {carried}SELECT * EXCLUDE (seq), "
                        f"seq + {offset} AS seq FROM out_{name} WHERE {since}")
        # Numbered in the order of the query (a table keeps insertion order in rowid).
        con.execute(f"CREATE TABLE ordered_rejects AS {self.staging.rejects_query()}")
        con.execute('CREATE TABLE new_rejects AS SELECT file, "row", reason, rowid AS seq '
                    'FROM ordered_rejects')

    def save(self, run_no: int, prev_as_of: int | None, as_of: int | None, rebuild: bool,
             info: dict[str, Any], carry: bool) -> None:
        """Everything the run changes in the state file (called inside one transaction)."""
        con, store, options = self.con, self.store, self.options
        if rebuild:  # made anew: empty, and in this format if it was another's
            con.execute(f"CREATE OR REPLACE TABLE st.leads {LEADS_COLUMNS}")
        else:
            con.execute("DELETE FROM st.leads WHERE lead_id IN (SELECT lead_id FROM saved_leads)")
        con.execute("INSERT INTO st.leads SELECT lead_id, attrs, snapshot, next_due "
                    "FROM saved_leads")
        if self.replaces_rows:
            con.execute("CREATE OR REPLACE TABLE st.lead_rows AS SELECT * FROM out_leads")
        else:  # only the leads this run touched changed
            add_missing_columns(con, "st.lead_rows", "out_leads")
            con.execute("DELETE FROM st.lead_rows WHERE lead_id IN (SELECT lead_id FROM out_leads)")
            con.execute("INSERT INTO st.lead_rows BY NAME SELECT * FROM out_leads")
        # pending.csv is a picture of every lead, like leads.csv: the touched leads' rows change.
        con.execute("DELETE FROM st.pending_rows" if self.replaces_rows else
                    "DELETE FROM st.pending_rows WHERE lead_id IN (SELECT lead_id FROM out_leads)")
        # In pending.csv's order: the split run's parts arrive in another order than one
        # process's rows, and the state must hold the same rows in the same order.
        con.execute("INSERT INTO st.pending_rows SELECT * FROM out_pending "
                    "ORDER BY lead_id, due_us, kind, source, what")
        self.save_history(run_no, as_of, rebuild)
        for name in (*EVENT_OUTPUTS, "rejects"):
            con.execute(f"DELETE FROM st.outbox_{name}")
            con.execute(f"INSERT INTO st.outbox_{name} SELECT * FROM new_{name}")
        if carry:
            con.execute("UPDATE st.runs SET delivered = true WHERE NOT delivered")
        started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        con.execute("INSERT INTO st.runs VALUES (?, ?, ?, ?, ?, ?, ?, false, ?)",
                    [run_no, prev_as_of, as_of, rebuild, options.command,
                     json.dumps(info, ensure_ascii=False), self.out.path, started])
        meta = {"format": FORMAT_VERSION, "fingerprint": options.ruleset_fingerprint,
                "engine": engine_format(self.engine), "ruleset": self.label,
                "ruleset_file": options.ruleset_file}
        if as_of is not None:
            meta["as_of"] = str(as_of)
        meta["carried"] = json.dumps(list(self.carried), ensure_ascii=False)
        store.write_meta(meta)

    def save_history(self, run_no: int, as_of: int | None, rebuild: bool) -> None:
        con = self.con
        later = f"ts_us > {as_of}" if as_of is not None else "false"
        status = (f"CASE WHEN reason = 'late' THEN 'late' WHEN reason IS NOT NULL THEN 'rejected' "
                  f"WHEN ev_no IS NULL THEN 'ignored' WHEN {later} THEN 'deferred' "
                  f"ELSE 'applied' END")
        has_held = self.has_held
        if has_held and rebuild:
            con.execute(f"UPDATE st.history SET status = e.status FROM (SELECT h.seq, {status} "
                        f"AS status FROM events JOIN {HELD} h USING (row_no) WHERE file_no = 0) e "
                        f"WHERE history.seq = e.seq")
        elif as_of is not None:
            con.execute(f"UPDATE st.history SET status = 'applied' "
                        f"WHERE status = 'deferred' AND ts_us <= {as_of}")
        fresh = "file_no <> 0" if has_held else "true"
        con.execute(
            f"INSERT INTO st.history SELECT (SELECT coalesce(max(seq), 0) FROM st.history) + "
            f"row_number() OVER (ORDER BY file_no, row_no), {run_no}, lead_id, event_name, ts_us, "
            f"raw, md5_number(raw), event_id, {status} FROM events WHERE {fresh} AND NOT dup "
            f"AND (reason IS NULL OR reason = 'late') AND lead_id IS NOT NULL")

    def commit(self, change: Any) -> None:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            change()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def deliver(self, run_no: int, info: dict[str, Any]) -> None:
        self.write_outputs(run_no, info)
        crash_point("delivered")

    def write_outputs(self, run_no: int, info: dict[str, Any]) -> None:
        """The output set from the state's outbox into --out; then the run is delivered."""
        fmt = info.get("format", self.options.format)
        written = info.get("outputs", ())
        optional = {name: f"st.outbox_{name}" for name in OPTIONAL_OUTPUTS if f"{name}.{fmt}" in written}
        queries = output_queries(self.engine.scores, fmt, leads="st.lead_rows", actions="st.outbox_actions",
                                 transitions="st.outbox_transitions", **optional,
                                 attributes=facts_of(self.engine).set_attributes,
                                 tz=info.get("tz"), carried=info.get("lead_columns", ()),
                                 pending="st.pending_rows")
        queries["rejects"] = 'SELECT file, "row", reason FROM st.outbox_rejects ORDER BY seq'
        staged = self.out.staging_dir()
        write_files(self.con, staged, fmt, queries)
        self.out.publish(staged, info)
        self.commit(lambda: self.store.mark_delivered(run_no))

    def overview(self, tables: OutputTables) -> tuple[list, dict]:
        options = self.options
        n = len(self.engine.scores)
        scores = ", ".join(f"s{i}" for i in range(n))
        top = []
        if options.top > 0 and n:
            rows = self.con.sql(f"SELECT lead_id, {scores}, stage, tags FROM st.lead_rows "
                                f"ORDER BY s0 DESC, lead_id LIMIT {int(options.top)}").fetchall()
            top = [(r[0], list(r[1:1 + n]), r[1 + n], r[2 + n]) for r in rows]
        stage_counts = dict(self.con.sql("SELECT stage, count(*) FROM st.lead_rows "
                                         "GROUP BY stage").fetchall())
        return top, stage_counts


# ------------------------------------------------------------------ helpers


def add_missing_columns(con: Any, table: str, like: str) -> None:
    """Give `table` the columns of `like` it lacks (empty for its rows): a state written
    before leads.csv had a column still takes this run's rows."""
    have = {row[0] for row in con.sql(f"DESCRIBE {table}").fetchall()}
    for name, kind, *_ in con.sql(f"DESCRIBE {like}").fetchall():
        if name not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {ident(name)} {kind}")


class _SavedLeads:
    """Starts each lead from its saved state and collects the states to save."""

    def __init__(self, engine: Engine, points: bool = False):
        self.engine = engine
        self.ledger = {"points": True} if points else {}  # each lead records the points ledger
        self.rows: dict[str, list] = {"lead_id": [], "attrs": [], "snapshot": [], "next_due": []}
        self.attrs: str | None = None
        self.lead: str | None = None
        self.tables: list[pa.Table] = []

    def begin(self, lead_id: str, info: Any) -> Any:
        stored_attrs, snapshot, given = info if info is not None else (None, None, None)
        self.lead = lead_id
        if snapshot is not None:
            self.attrs = stored_attrs
            try:
                return self.engine.load_state(snapshot, **self.ledger)
            except SnapshotError as exc:
                raise InputError(f"--state: lead {lead_id!r}: {exc}; run with --rebuild") from None
        attrs = given if given is not None else (json.loads(stored_attrs) if stored_attrs else {})
        self.attrs = json.dumps(attrs, ensure_ascii=False, sort_keys=True)
        return self.engine.new_lead(lead_id, attrs, **self.ledger)

    def keep(self, state: Any, result: Any = None) -> None:
        """Collect a finished lead's state; `result` is what the run wrote of it (its
        `pending`, when listed, are the live timers whose first is the lead's next_due)."""
        rows = self.rows
        rows["lead_id"].append(self.lead)
        rows["attrs"].append(self.attrs)
        rows["snapshot"].append(self.engine.save_state(state))
        pending = getattr(result, "pending", None)
        rows["next_due"].append(self.engine.next_due(state) if pending is None
                                else min((s.due for s in pending), default=None))
        if len(rows["lead_id"]) >= 20_000:
            self._flush()

    def _flush(self) -> None:
        self.tables.append(pa.table(
            {k: pa.array(v, type=pa.int64()) if k == "next_due" else _string_array(v)
             for k, v in self.rows.items()}))
        for values in self.rows.values():
            values.clear()

    def save_to(self, con: Any) -> None:
        """The collected states as the work table `saved_leads`."""
        self._flush()
        con.register("lf_saved", pa.concat_tables(self.tables))
        con.execute("CREATE TABLE saved_leads AS SELECT * FROM lf_saved")
        con.unregister("lf_saved")
        self.tables = []


def _string_array(values: list[str | None]) -> pa.Array:
    """pa.array(values, pa.string()), five times faster for ASCII text (a snapshot as
    json writes it): one buffer of all the text and one of offsets, not one item at a time."""
    text = "".join(values) if None not in values else None
    if text is None or not text.isascii() or len(text) >= 2**31:
        return pa.array(values, type=pa.string())
    offsets = array.array("i", accumulate(map(len, values), initial=0))
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(offsets),
                                       pa.py_buffer(text.encode("ascii")))


def _rows(reader: pa.RecordBatchReader) -> Iterator[tuple[str, str | None, str | None]]:
    for batch in reader:
        ids, attrs, snaps = (batch.column(i).to_pylist() for i in range(3))
        yield from zip(ids, attrs, snaps)


def _merge_by_lead(stored: Iterator[tuple[str, str | None, str | None]],
                   given: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, Any]]:
    """(lead_id, (stored attrs, snapshot, --leads attrs)) for every affected lead, in order.

    --leads attributes are used for leads the state does not know yet (and for all
    leads on --rebuild); a known lead keeps the attributes it was first seen with.
    """
    pending = next(given, None)
    for lead_id, attrs, snapshot in stored:
        while pending is not None and pending[0] < lead_id:
            pending = next(given, None)
        mine = None
        if pending is not None and pending[0] == lead_id:
            mine = pending[1]
        yield lead_id, (attrs, snapshot, mine if snapshot is None else None)


@contextmanager
def _collector_skips_older_objects() -> Iterator[None]:
    """Keep the objects alive before the replay (modules, the compiled ruleset, DuckDB's
    and Arrow's) out of the garbage collector's passes while it runs, then hand them back.

    Loading a saved lead makes many small containers, so the collector runs often, and
    each full pass walked every one of those objects too: 2-6% of a daily run's CPU.
    A program that froze objects itself (gc.freeze before forking) keeps its own way.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# Two days, in µs: more than a local time moves between any two time zones (UTC-12 to +14).
_ZONE_MARGIN_US = 2 * 86_400_000_000


def _near_fresh_times(con: Any) -> str:
    """A condition on st.history: the row's time is near one of fresh_rows' times.

    An equal row has an equal time, give or take the ruleset's time zone (a rebuild
    after the zone changed keeps the history's times as first read); saying so with
    constants lets DuckDB skip the parts of a long history written at other times
    instead of reading every row's hash (0.1 s of CPU for a million rows, cold).
    """
    low, high = con.sql("SELECT min(ts_us), max(ts_us) FROM fresh_rows").fetchall()[0]
    if low is None:
        return "true"
    return (f"(ts_us IS NULL OR ts_us BETWEEN {int(low) - _ZONE_MARGIN_US} "
            f"AND {int(high) + _ZONE_MARGIN_US})")


def _table_exists(con: Any, database: str, name: str) -> bool:
    return bool(con.sql(f"SELECT 1 FROM duckdb_tables() WHERE database_name = {literal(database)} "
                        f"AND table_name = {literal(name)}").fetchall())


def _iso(us: int | None) -> str | None:
    return format_instant(us) if us is not None else None


def _counts_from_json(counts: dict[str, Any]) -> EventCounts:
    files = [FileCounts(f["path"], f["rows"], f["rejected"]) for f in counts["files"]]
    by_reason = counts.get("ignored_by_reason", {})
    types = {k.removeprefix("event type "): n for k, n in by_reason.items()
             if k.startswith("event type ")}
    return EventCounts(files, counts["rejected"], types, by_reason.get("after as-of", 0),
                       counts["applied"], by_reason.get("duplicate", 0), counts["lead_rows"],
                       counts["lead_rows_rejected"])


# ------------------------------------------------------------ the command line


def state_fields(rules_path: str, inputs: list[str], state: str, rebuild: bool,
                 event_id_col: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """The RunOptions fields of `--state`: the rules' fingerprint and what names this command.

    Two invocations are "the same command" (so running it again repeats the last
    run's outputs instead of starting a new run) when the rule file, the
    arguments and the input files are unchanged; `--as-of now` counts as
    written, not as the time it stands for.
    """
    try:
        with open(rules_path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeError) as exc:
        raise InputError(f"{rules_path}: cannot read it: {exc}") from None
    stamps = []
    for path in inputs:
        try:
            info = os.stat(path)
            stamps.append([path, info.st_size, info.st_mtime_ns])
        except OSError:
            stamps.append([path, None, None])
    command = json.dumps([os.path.abspath(rules_path), ruleset_fingerprint(text), stamps,
                          os.path.abspath(state), rebuild, event_id_col,
                          sorted((k, str(v)) for k, v in options.items())])
    return {"state": state, "rebuild": rebuild, "event_id_col": event_id_col, "command": command,
            "ruleset_fingerprint": ruleset_fingerprint(text), "ruleset_file": rules_path}


_AGO = re.compile(r"-(\d+)(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)")
_AGO_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def resolve_as_of(text: str | None) -> str | None:
    """`now` and `now-DURATION` (`now-2h`, `now-30m`, `now-1d`) as an ISO-8601 UTC time."""
    if text is None or not text.strip().lower().startswith("now"):
        return text
    rest = text.strip().lower()[3:].replace(" ", "")
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    if rest:
        match = _AGO.fullmatch(rest)
        if match is None:
            raise InputError(f"--as-of {text}: use now or now-DURATION, e.g. now-2h, now-30m, "
                             f"now-1d (s, m, h, d, w)")
        now -= datetime.timedelta(**{_AGO_UNITS[match.group(2)[0]]: int(match.group(1))})
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")
