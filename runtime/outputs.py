"""The output files of `leadflow run` (SPEC 8 and 9): leads, actions, transitions, rejects.

Results arrive lead by lead while the events stream; they are buffered in Arrow
columns and appended to tables of the run's work database (DuckDB), never held
in Python for the whole run. At the end each table is written with one COPY, in
the order SPEC asks for, as CSV, Parquet or JSON Lines:

- leads:       lead_id, one column per score (declaration order), stage, tags
               (sorted, `;`-joined; a list in JSON Lines and Parquet), first_seen,
               last_activity, stage_since, the attributes rules set; by lead_id.
- actions:     lead_id, at, rule, kind, target, args (JSON); in time order, then
               lead_id, then the order the lead emitted them.
- transitions: lead_id, at, from, to; same order as actions.
- rejects:     file, row, reason; in file and row order.
- pending:     lead_id, due, kind, source, what: each lead's scheduled work after
               the as-of (runtime/pending.py); by lead, then due.
- points:      (with --points) lead_id, at, rule, score, change, value: one row
               per score change; by lead, then time, then the order it happened.
- cancelled:   (with --cancelled) the columns of actions, kind `cancelled`: held
               sends of flow runs stopped before delivery; same order as actions.

Times are ISO-8601 UTC (`2024-01-10T08:30:00Z`, with microseconds only when they
are not zero), or with the offset of the zone `--tz` names, in CSV and JSON
Lines, and TIMESTAMP WITH TIME ZONE in Parquet.
Scores are written as integers when integral (`15`, not `15.0`), otherwise
rounded to 6 decimals without trailing zeros (Parquet: a DOUBLE of that value);
JSON Lines holds them as numbers and `args` as an object.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from leadflow.runtime.engine import LeadResult, OutAction
from leadflow.runtime.rows import ident, json_path, literal
from leadflow.semantics.timemath import format_instant, format_local

if TYPE_CHECKING:
    from leadflow.runtime.action_args import TimeArgs
    from leadflow.runtime.pending import Scheduled

# How a lead attribute of each declared type is held before it is written.
ARROW_TYPES = {"number": pa.float64(), "int": pa.int64(), "text": pa.string(), "bool": pa.bool_(),
               "time": pa.int64()}
# Rows held in Python lists over all buffers before they become Arrow (compact); a
# buffer's Arrow rows go into its table LOAD_ROWS at a time: DuckDB's INSERT costs
# about as much for 50,000 rows as for 250,000 (20 ms; 1.5 s of a shop run of 4M events
# when each 50,000 went in at once).
FLUSH_ROWS = 50_000
LOAD_ROWS = 250_000
ARGS_REMEMBERED = 100_000  # distinct argument sets whose JSON a run keeps at once
_FLAT = frozenset({str, int, float, bool, type(None)})  # argument values that are remembered
COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet",
                "jsonl": "FORMAT json"}


def format_score(value: float) -> str:
    """`15` for 15.0, `2.5` for 2.5, at most 6 decimals; `inf`/`nan` only for explain's trace.

    A run never writes a non-finite score: the driver stops at the lead first.
    """
    value = float(value)
    if value.is_integer() and -1e15 < value < 1e15:  # the common case, tested first
        return str(int(value))
    if -1e9 < value < 1e9:
        # Six decimals of the value itself are those of round(value, 6) written out: below
        # 1e9 a double is finer than 1e-7, so the rounded double prints back the same digits.
        text = f"{value:.6f}".rstrip("0")
        if text[-1] != ".":  # else a whole number after rounding (maybe -0): below
            return text
    if not math.isfinite(value):
        return str(float(value))
    rounded = round(float(value), 6)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    return f"{rounded:.6f}".rstrip("0").rstrip(".")


def plain_json(value: Any) -> Any:
    """Action arguments made JSON-friendly: whole floats as integers, tuples as lists.

    NaN and infinity become null: strict JSON parsers refuse the bare tokens
    `NaN` and `Infinity` that Python would write.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return value
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    return value


# One encoder for every action: json.dumps with a non-default option builds a new one per call.
# allow_nan=False: plain_json has turned every non-finite number into null already.
_ARGS_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_AS_IS = frozenset({str, int, bool, type(None)})  # values plain_json keeps as they are


def action_args(action: OutAction, times: TimeArgs, tz: str | None = None) -> dict[str, Any]:
    """The action's arguments, with the ones the ruleset types as `time` as ISO-8601 (UTC, or
    with `tz`'s offset)."""
    if not times or not action.args:
        return action.args
    show = format_instant if tz is None else partial(format_local, tz=tz)
    return {name: show(value) if isinstance(value, int) and not isinstance(value, bool)
            and (action.rule, action.target, name) in times else value
            for name, value in action.args.items()}


def args_json(args: dict[str, Any]) -> str:
    if not args:
        return "{}"  # most actions carry no arguments
    if all(type(value) in _AS_IS or (type(value) in (list, tuple)
                                     and all(type(item) in _AS_IS for item in value))
           for value in args.values()):
        return _ARGS_ENCODER.encode(args)  # no float: plain_json would change nothing
    return _ARGS_ENCODER.encode(plain_json(args))


# ------------------------------------------------------------- SQL formatting


def iso_sql(column: str, tz: str | None = None) -> str:
    """SQL: the instant `column` (µs) as ISO-8601 text, UTC (`Z`) or with `tz`'s offset."""
    if tz is None:
        stamp = f"make_timestamp({column})"
        return (f"CASE WHEN {column} % 1000000 = 0 THEN strftime({stamp}, '%Y-%m-%dT%H:%M:%SZ') "
                f"ELSE strftime({stamp}, '%Y-%m-%dT%H:%M:%S.%fZ') END")
    local = f"timezone({literal(tz)}, make_timestamptz({column}))"  # the wall clock there
    offset = f"((epoch_us({local}) - {column}) // 60000000)"  # minutes east of UTC
    return (f"strftime({local}, '%Y-%m-%dT%H:%M:%S') || CASE WHEN {column} % 1000000 = 0 "
            f"THEN '' ELSE strftime({local}, '.%f') END || CASE WHEN {offset} < 0 THEN '-' "
            f"ELSE '+' END || lpad(CAST(abs({offset}) // 60 AS VARCHAR), 2, '0') || ':' || "
            f"lpad(CAST(abs({offset}) % 60 AS VARCHAR), 2, '0')")


def time_sql(column: str, fmt: str, tz: str | None = None) -> str:
    """An instant as written: TIMESTAMP WITH TIME ZONE in Parquet, ISO-8601 text otherwise."""
    return f"make_timestamptz({column})" if fmt == "parquet" else iso_sql(column, tz)


def attribute_sql(column: str, kind: str, fmt: str, tz: str | None) -> str:
    """A lead attribute of type `kind` as written: typed in Parquet and JSON, text in CSV."""
    if kind == "time":
        return time_sql(column, fmt, tz)
    if kind == "number" and fmt == "csv":  # 15, not 15.0, as scores
        return (f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
                f"THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) ELSE CAST({column} AS VARCHAR) END")
    return column


def score_sql(index: int, fmt: str) -> str:
    """Score i as written: Python formatted it once (`format_score`), so every output agrees."""
    if fmt == "parquet":
        return f"CAST(t{index} AS DOUBLE)"
    return f"CAST(t{index} AS JSON)" if fmt == "jsonl" else f"t{index}"


class _Buffer:
    """Rows bound for one work table: Python lists until `park` makes them Arrow, Arrow
    until LOAD_ROWS of them go into the table at once (or `flush` loads them all).

    With `numbered`, each row gets a `seq` column when parked: its position in
    the order rows were added, so rows that tie on time and lead keep the order
    the lead emitted them in.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema,
                 numbered: bool = False):
        self.con = con
        self.table = table
        self.schema = schema.append(pa.field("seq", pa.int64())) if numbered else schema
        self.numbered = numbered
        # Columns, not row tuples: a long-lived tuple per row would cost the garbage collector.
        self.columns: list[list] = [[] for _ in schema]
        self.flushed = 0  # rows already in the table or parked
        self.parked: list[pa.Table] = []  # rows out of the lists, not yet in the table
        self.parked_rows = 0
        self._load(f"CREATE TABLE {table} AS", self._batch())

    @property
    def pending(self) -> int:
        return len(self.columns[0])

    @property
    def count(self) -> int:
        return self.flushed + self.pending

    def extend(self, rows: list[tuple]) -> None:
        if rows:
            for column, values in zip(self.columns, zip(*rows)):
                column.extend(values)

    def park(self) -> None:
        """The listed rows as Arrow; into the table once LOAD_ROWS rows are parked."""
        if self.pending:
            self.parked.append(self._batch())
            self.parked_rows += self.pending
            self.flushed = self.count
            for column in self.columns:
                column.clear()
        if self.parked_rows >= LOAD_ROWS:
            self._load_parked()

    def flush(self) -> None:
        """Every row into the table."""
        self.park()
        self._load_parked()

    def _load_parked(self) -> None:
        if self.parked:
            data = pa.concat_tables(self.parked)
            self.parked, self.parked_rows = [], 0
            self._load(f"INSERT INTO {self.table}", data)

    def _batch(self) -> pa.Table:
        """The buffered rows as an Arrow table, numbered when asked."""
        columns: list[Any] = list(self.columns)
        if self.numbered:
            columns.append(range(self.flushed, self.count))
        return pa.table(columns, schema=self.schema)

    def _load(self, statement: str, data: pa.Table) -> None:
        self.con.register("lf_batch", data)
        self.con.execute(f"{statement} SELECT * FROM lf_batch")
        self.con.unregister("lf_batch")


def output_queries(score_names: Sequence[str], fmt: str, leads: str = "out_leads",
                   actions: str = "out_actions",
                   transitions: str = "out_transitions",
                   points: str | None = None, cancelled: str | None = None,
                   attributes: Sequence[tuple[str, str]] = (),
                   tz: str | None = None, carried: Sequence[str] = (),
                   pending: str = "out_pending") -> dict[str, str]:
    """The SELECT that produces each output file, in its final column names and order.

    The table names default to a run's buffers (OutputTables); `run --state`
    writes the same files from its state file's tables. `points` and
    `cancelled` name the tables of those outputs when the run writes them;
    `attributes` are the (name, type) of the lead attributes rules set, `tz`
    the time zone times are written in (None: UTC), `carried` the --leads
    columns carried through (from the JSON object in `carried`).
    """
    scores = "".join(f", {score_sql(i, fmt)} AS {ident(name)}"
                     for i, name in enumerate(score_names))
    # CSV: sorted and `;`-joined; JSON Lines and Parquet: a list.
    tags = "NULLIF(tags, '') AS tags" if fmt == "csv" else "tag_list AS tags"
    args = "CAST(args AS JSON) AS args" if fmt == "jsonl" else "args"
    at = time_sql("at_us", fmt, tz)
    times = "".join(f", {time_sql(column + '_us', fmt, tz)} AS {column}"
                    for column in ("first_seen", "last_activity", "stage_since"))
    attrs = "".join(f", {attribute_sql(f'x{j}', kind, fmt, tz)} AS {ident(name)}"
                    for j, (name, kind) in enumerate(attributes))
    attrs += "".join(f", json_extract_string(carried, {json_path(name)}) AS {ident(name)}"
                     for name in carried)
    optional = {}
    if cancelled is not None:
        optional["cancelled"] = (f"SELECT lead_id, {at} AS \"at\", rule, kind, target, {args} "
                                 f"FROM {cancelled} ORDER BY at_us, lead_id, seq")
    if points is not None:
        change, value = (("CAST(change AS DOUBLE)", "CAST(value AS DOUBLE)") if fmt == "parquet" else
                         ("CAST(change AS JSON)", "CAST(value AS JSON)") if fmt == "jsonl" else
                         ("change", "value"))
        optional["points"] = (f"SELECT lead_id, {at} AS \"at\", rule, score, {change} AS change, "
                              f"{value} AS \"value\" FROM {points} ORDER BY lead_id, at_us, seq")
    return {
        "leads": f"SELECT lead_id{scores}, stage, {tags}{times}{attrs} FROM {leads} ORDER BY lead_id",
        "actions": (f"SELECT lead_id, {at} AS \"at\", rule, kind, target, {args} "
                    f"FROM {actions} ORDER BY at_us, lead_id, seq"),
        "transitions": (f"SELECT lead_id, {at} AS \"at\", from_stage AS \"from\", "
                        f"to_stage AS \"to\" FROM {transitions} ORDER BY at_us, lead_id, seq"),
        "pending": (f"SELECT lead_id, {time_sql('due_us', fmt, tz)} AS due, kind, source, what "
                    f"FROM {pending} ORDER BY lead_id, due_us, kind, source, what"),
        **optional,
    }


def write_files(con: duckdb.DuckDBPyConnection, out_dir: str, fmt: str,
                queries: dict[str, str]) -> dict[str, str]:
    """COPY each query to out_dir/NAME.FMT (the format names the extension); name → path.

    Two at a time, each on a cursor of its own with the connection's time zone (the
    one session setting an output reads): writing one file keeps about one core
    busy, and a daily `run --state` writes five, the largest two of every lead.
    """
    os.makedirs(out_dir, exist_ok=True)
    written = {name: os.path.join(out_dir, f"{name}.{fmt}") for name in queries}
    (zone,) = con.execute("SELECT current_setting('TimeZone')").fetchall()[0]

    def copy(name: str) -> None:
        cursor = con.cursor()
        try:
            cursor.execute(f"SET TimeZone = {literal(zone)}")
            cursor.execute(f"COPY ({queries[name]}) TO {literal(written[name])} "
                           f"({COPY_OPTIONS[fmt]})")
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="leadflow-write") as pool:
        for done in [pool.submit(copy, name) for name in queries]:
            done.result()
    return written


class OutputTables:
    """Collects results in the work database and writes the output files."""

    def __init__(self, con: duckdb.DuckDBPyConnection, scores: Sequence[str],
                 times: TimeArgs = frozenset(), points: bool = False, cancelled: bool = False,
                 attributes: Sequence[tuple[str, str]] = (), tz: str | None = None,
                 describe: Callable[[Any], str] | None = None):
        self.con = con
        self.attributes = tuple(attributes)  # (name, type) of the attributes rules set
        self.tz = tz  # times written with this zone's offset (None: UTC)
        self.describe = describe  # a scheduled item's `what` (runtime/pending.py)
        self.points = points  # whether the points ledger is written
        self.cancelled = cancelled  # whether cancelled held sends are written
        self.scores = tuple(scores)
        self.times = times  # `with` arguments that hold times (runtime/action_args.py)
        # s{i}: the score, for sorting the overview; t{i}: the score as written.
        score_fields = [(f"{kind}{i}", pa.float64() if kind == "s" else pa.string())
                        for i in range(len(self.scores)) for kind in "st"]
        self._leads = _Buffer(con, "out_leads", pa.schema(
            [("lead_id", pa.string()), *score_fields, ("stage", pa.string()), ("tags", pa.string()),
             ("tag_list", pa.list_(pa.string())), ("first_seen_us", pa.int64()),
             ("last_activity_us", pa.int64()), ("stage_since_us", pa.int64()),
             *((f"x{j}", ARROW_TYPES[kind]) for j, (_, kind) in enumerate(self.attributes)),
             ("carried", pa.string())]))
        self.carried: tuple[str, ...] = ()  # --leads columns carried through (see carry)
        action_schema = pa.schema(
            [("lead_id", pa.string()), ("at_us", pa.int64()), ("rule", pa.string()),
             ("kind", pa.string()), ("target", pa.string()), ("args", pa.string())])
        self._actions = _Buffer(con, "out_actions", action_schema, numbered=True)
        self._cancelled = _Buffer(con, "out_cancelled", action_schema, numbered=True)
        self._transitions = _Buffer(con, "out_transitions", pa.schema(
            [("lead_id", pa.string()), ("at_us", pa.int64()), ("from_stage", pa.string()),
             ("to_stage", pa.string())]), numbered=True)
        # The ledger; scores as written (format_score), like leads.
        self._points = _Buffer(con, "out_points", pa.schema(
            [("lead_id", pa.string()), ("at_us", pa.int64()), ("rule", pa.string()),
             ("score", pa.string()), ("change", pa.string()), ("value", pa.string())]),
            numbered=True)
        self._pending = _Buffer(con, "out_pending", pa.schema(
            [("lead_id", pa.string()), ("due_us", pa.int64()), ("kind", pa.string()),
             ("source", pa.string()), ("what", pa.string())]))
        self.buffers = (self._leads, self._actions, self._transitions, self._points,
                        self._cancelled, self._pending)
        self._unflushed = 0  # rows added to the lists since they were last parked
        self._args_seen: dict[tuple, str] = {}  # (name, value) pairs → their args JSON

    # ------------------------------------------------------------ buffering

    @property
    def names(self) -> tuple[str, ...]:
        """The work tables, one per output a run writes from its leads."""
        return tuple(buffer.table for buffer in self.buffers)

    def add(self, result: LeadResult) -> None:
        """One lead's final state and everything it emitted."""
        scores = result.scores
        self.add_lead(result.lead_id, [scores[name] for name in self.scores], result.stage,
                      result.tags, result.attrs, result.actions, result.transitions,
                      result.cancelled, result.first_seen, result.last_activity,
                      result.stage_since, getattr(result, "pending", None), result.points)

    def add_lead(self, lead_id: str, scores: Sequence[float], stage: str | None,
                 tags: Collection[str], attrs: dict[str, Any], actions: Sequence[OutAction],
                 transitions: Sequence[Any], cancelled: Sequence[OutAction],
                 first_seen: int | None, last_activity: int | None, stage_since: int | None,
                 pending: Sequence[Scheduled] | None = None,
                 points: Sequence[Any] | None = None) -> None:
        """`add` with the result's fields as arguments, `scores` in this run's score order
        (a compiled module's `run_leads` calls it for each lead, through runtime/driver.py).

        Called once per lead of a run, so it appends straight to the buffers' column
        lists: no row tuples, and the flush check is one counter.
        """
        columns = self._leads.columns
        columns[0].append(lead_id)
        k = 1
        for value in scores:
            value = float(value)
            columns[k].append(value)
            columns[k + 1].append(format_score(value))
            k += 2
        # Never changed stage: in its first stage since it was first seen.
        since = first_seen if stage_since is None and stage is not None else stage_since
        columns[k].append(stage)
        if tags:
            tags = sorted(tags)
            columns[k + 1].append(";".join(tags))
            columns[k + 2].append(tags)
        else:
            columns[k + 1].append("")
            columns[k + 2].append([])
        columns[k + 3].append(first_seen)
        columns[k + 4].append(last_activity)
        columns[k + 5].append(since)
        if self.attributes:
            for j, (name, _) in enumerate(self.attributes, k + 6):
                columns[j].append(attrs.get(name))
        columns[-1].append(None)  # carried: filled in by carry()
        added = 1
        if actions:
            added += self._add_actions(self._actions, lead_id, actions)
        if cancelled:
            added += self._add_actions(self._cancelled, lead_id, cancelled)
        if transitions:
            self._transitions.extend([(lead_id, t.at, t.from_stage, t.to_stage)
                                      for t in transitions])
            added += len(transitions)
        if pending and self.describe is not None:
            describe = self.describe
            lead_ids, dues, kinds, sources, whats = self._pending.columns
            for s in pending:
                lead_ids.append(lead_id)
                dues.append(s.due)
                kinds.append(s.kind)
                sources.append(s.source)
                whats.append(describe(s))
            added += len(pending)
        if points:
            self._points.extend([(lead_id, p.at, p.rule, p.score, format_score(p.change),
                                  format_score(p.value)) for p in points])
            added += len(points)
        self._unflushed += added
        if self._unflushed >= FLUSH_ROWS:
            for buffer in self.buffers:
                buffer.park()
            self._unflushed = 0

    def _add_actions(self, buffer: _Buffer, lead_id: str, actions: list[OutAction]) -> int:
        """actions.csv's rows (and cancelled.csv's) of one lead; how many."""
        times, tz, encode = self.times, self.tz, self._args_text
        lead_ids, ats, rules, kinds, targets, args = buffer.columns
        for a in actions:
            lead_ids.append(lead_id)
            ats.append(a.at)
            rules.append(a.rule)
            kinds.append(a.kind)
            targets.append(a.target)
            args.append(encode(action_args(a, times, tz)) if a.args else "{}")
        return len(actions)

    def _args_text(self, args: dict[str, Any]) -> str:
        """args_json, remembered: most actions of a run repeat a few argument sets.

        Keyed by the names, the values and their types (1, 1.0 and True are equal
        keys but write differently); only flat arguments are remembered.
        """
        values = tuple(args.values())
        kinds = tuple(map(type, values))
        if not _FLAT.issuperset(kinds):
            return args_json(args)
        key = (tuple(args), values, kinds)
        text = self._args_seen.get(key)
        if text is None:
            if len(self._args_seen) >= ARGS_REMEMBERED:
                self._args_seen.clear()
            text = self._args_seen[key] = args_json(args)
        return text

    def flush(self) -> None:
        for buffer in self.buffers:
            buffer.flush()
        self._unflushed = 0

    @property
    def leads(self) -> int:
        return self._leads.count

    @property
    def transitions(self) -> int:
        return self._transitions.count

    @property
    def kinds(self) -> dict[str, int]:
        """Action kind → how many actions of that kind."""
        self.flush()
        return dict(self.con.sql("SELECT kind, count(*) FROM out_actions GROUP BY kind").fetchall())

    # -------------------------------------------------------------- writing

    def queries(self, fmt: str) -> dict[str, str]:
        """The SELECT that produces each output file from this run's buffers."""
        return output_queries(self.scores, fmt, points="out_points" if self.points else None,
                              cancelled="out_cancelled" if self.cancelled else None,
                              attributes=self.attributes, tz=self.tz, carried=self.carried)

    def carry(self, columns: Sequence[str], given: str | None, previous: str | None = None) -> None:
        """Carry --leads columns through to leads.csv, as one JSON object per lead.

        `given` is a SELECT of lead_id, k0.. (this run's --leads rows, the
        columns in `columns` order); `previous` a table of earlier rows whose
        `carried` a lead keeps when this run gives it none (`run --state`).
        """
        self.flush()
        self.carried = tuple(columns)
        if given is not None and columns:
            pairs = ", ".join(f"{literal(name)}, k{j}" for j, name in enumerate(columns))
            self.con.execute(f"UPDATE out_leads SET carried = c.obj FROM (SELECT lead_id, "
                             f"CAST(json_object({pairs}) AS VARCHAR) AS obj FROM ({given})) c "
                             f"WHERE out_leads.lead_id = c.lead_id")
        if previous is not None:
            self.con.execute(f"UPDATE out_leads SET carried = p.carried FROM {previous} p "
                             f"WHERE out_leads.lead_id = p.lead_id AND out_leads.carried IS NULL")

    def write(self, out_dir: str, fmt: str, rejects_sql: str,
              queries: dict[str, str] | None = None) -> dict[str, str]:
        """Write every output file into out_dir; returns name → path."""
        self.flush()
        return write_files(self.con, out_dir, fmt, {**(queries or self.queries(fmt)),
                                                    "rejects": rejects_sql})

    # -------------------------------------------------------------- reports

    def top_leads(self, count: int) -> list[tuple[str, list[float], str | None, str]]:
        """The leads with the highest first score: (lead_id, scores, stage, tags)."""
        self.flush()
        scores = ", ".join(f"s{i}" for i in range(len(self.scores)))
        rows = self.con.sql(f"SELECT lead_id, {scores}, stage, tags FROM out_leads "
                            f"ORDER BY s0 DESC, lead_id LIMIT {int(count)}").fetchall()
        n = len(self.scores)
        return [(row[0], list(row[1:1 + n]), row[1 + n], row[2 + n]) for row in rows]

    def stage_counts(self) -> dict[str | None, int]:
        self.flush()
        return dict(self.con.sql("SELECT stage, count(*) FROM out_leads GROUP BY stage").fetchall())
