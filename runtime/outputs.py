"""The output files of `leadflow run` (SPEC 8 and 9): leads, actions, transitions, rejects.

Results arrive lead by lead while the events stream; they are buffered in Arrow
columns and appended to tables of the run's work database (DuckDB), never held
in Python for the whole run. At the end each table is written with one COPY, in
the order SPEC asks for, as CSV, Parquet or JSON Lines:

- leads:       lead_id, one column per score (declaration order), stage, tags
               (sorted, `;`-joined); sorted by lead_id.
- actions:     lead_id, at, rule, kind, target, args (JSON); in time order, then
               lead_id, then the order the lead emitted them.
- transitions: lead_id, at, from, to; same order as actions.
- rejects:     file, row, reason; in file and row order.

Times are ISO-8601 UTC (`2024-01-10T08:30:00Z`, with microseconds only when they
are not zero) in CSV and JSON Lines, and TIMESTAMP WITH TIME ZONE in Parquet.
Scores are written as integers when integral (`15`, not `15.0`), otherwise
rounded to 6 decimals without trailing zeros (Parquet: a DOUBLE of that value);
JSON Lines holds them as numbers and `args` as an object.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from leadflow.runtime.engine import LeadResult
from leadflow.runtime.rows import ident, literal

OUTPUT_FORMATS = ("csv", "parquet", "jsonl")
FLUSH_ROWS = 50_000
COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet",
                "jsonl": "FORMAT json"}


def format_score(value: float) -> str:
    """`15` for 15.0, `2.5` for 2.5, at most 6 decimals."""
    rounded = round(float(value), 6)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    return f"{rounded:.6f}".rstrip("0").rstrip(".")


def iso_utc(micros: int) -> str:
    """Microseconds since the epoch as ISO-8601 UTC, e.g. `2024-01-10T08:30:00Z`."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def plain_json(value: Any) -> Any:
    """Action arguments made JSON-friendly: whole floats as integers, tuples as lists."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    return value


# One encoder for every action: json.dumps with a non-default option builds a new one per call.
_ARGS_ENCODER = json.JSONEncoder(ensure_ascii=False)


def args_json(args: dict[str, Any]) -> str:
    if not args:
        return "{}"  # most actions carry no arguments
    return _ARGS_ENCODER.encode(plain_json(args))


# ------------------------------------------------------------- SQL formatting


def iso_sql(column: str) -> str:
    stamp = f"make_timestamp({column})"
    return (f"CASE WHEN {column} % 1000000 = 0 THEN strftime({stamp}, '%Y-%m-%dT%H:%M:%SZ') "
            f"ELSE strftime({stamp}, '%Y-%m-%dT%H:%M:%S.%fZ') END")


def time_sql(column: str, fmt: str) -> str:
    return f"make_timestamptz({column})" if fmt == "parquet" else iso_sql(column)


def score_sql(index: int, fmt: str) -> str:
    """Score i as written: Python formatted it once (`format_score`), so every output agrees."""
    if fmt == "parquet":
        return f"CAST(t{index} AS DOUBLE)"
    return f"CAST(t{index} AS JSON)" if fmt == "jsonl" else f"t{index}"


class OutputTables:
    """Collects results in the work database and writes the output files."""

    def __init__(self, con: duckdb.DuckDBPyConnection, scores: Sequence[str]):
        self.con = con
        self.scores = tuple(scores)
        self.seq = 0  # emission order over the whole run
        self.kinds: dict[str, int] = {}  # action kind → count
        self.leads = 0
        self.transitions = 0
        # s{i}: the score, for sorting the overview; t{i}: the score as written.
        score_cols = "".join(f", s{i} DOUBLE, t{i} VARCHAR" for i in range(len(self.scores)))
        con.execute(f"CREATE TABLE out_leads (lead_id VARCHAR{score_cols}, stage VARCHAR, tags VARCHAR)")
        con.execute("CREATE TABLE out_actions (lead_id VARCHAR, at_us BIGINT, rule VARCHAR, "
                    "kind VARCHAR, target VARCHAR, args VARCHAR, seq BIGINT)")
        con.execute("CREATE TABLE out_transitions (lead_id VARCHAR, at_us BIGINT, "
                    "from_stage VARCHAR, to_stage VARCHAR, seq BIGINT)")
        self._leads = self._empty(self._lead_schema())
        self._actions = self._empty(self._action_schema())
        self._transitions = self._empty(self._transition_schema())
        self._pending = 0

    # ------------------------------------------------------------ buffering

    def _lead_schema(self) -> pa.Schema:
        return pa.schema([("lead_id", pa.string())]
                         + [(f"{kind}{i}", pa.float64() if kind == "s" else pa.string())
                            for i in range(len(self.scores)) for kind in "st"]
                         + [("stage", pa.string()), ("tags", pa.string())])

    @staticmethod
    def _action_schema() -> pa.Schema:
        return pa.schema([("lead_id", pa.string()), ("at_us", pa.int64()), ("rule", pa.string()),
                          ("kind", pa.string()), ("target", pa.string()), ("args", pa.string()),
                          ("seq", pa.int64())])

    @staticmethod
    def _transition_schema() -> pa.Schema:
        return pa.schema([("lead_id", pa.string()), ("at_us", pa.int64()),
                          ("from_stage", pa.string()), ("to_stage", pa.string()),
                          ("seq", pa.int64())])

    @staticmethod
    def _empty(schema: pa.Schema) -> dict[str, list]:
        return {name: [] for name in schema.names}

    def add(self, result: LeadResult) -> None:
        """One lead's final state and everything it emitted."""
        lead_id = result.lead_id
        leads = self._leads
        leads["lead_id"].append(lead_id)
        for i, name in enumerate(self.scores):
            value = float(result.scores[name])
            leads[f"s{i}"].append(value)
            leads[f"t{i}"].append(format_score(value))
        leads["stage"].append(result.stage)
        leads["tags"].append(";".join(sorted(result.tags)))
        self.leads += 1
        actions = self._actions
        for action in result.actions:
            self.seq += 1
            actions["lead_id"].append(lead_id)
            actions["at_us"].append(action.at)
            actions["rule"].append(action.rule)
            actions["kind"].append(action.kind)
            actions["target"].append(action.target)
            actions["args"].append(args_json(action.args))
            actions["seq"].append(self.seq)
            self.kinds[action.kind] = self.kinds.get(action.kind, 0) + 1
        moves = self._transitions
        for move in result.transitions:
            self.seq += 1
            moves["lead_id"].append(lead_id)
            moves["at_us"].append(move.at)
            moves["from_stage"].append(move.from_stage)
            moves["to_stage"].append(move.to_stage)
            moves["seq"].append(self.seq)
        self.transitions += len(result.transitions)
        self._pending += 1 + len(result.actions) + len(result.transitions)
        if self._pending >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table, columns, schema in (("out_leads", self._leads, self._lead_schema()),
                                       ("out_actions", self._actions, self._action_schema()),
                                       ("out_transitions", self._transitions,
                                        self._transition_schema())):
            if columns[schema.names[0]]:
                self.con.register("lf_batch", pa.table(columns, schema=schema))
                self.con.execute(f"INSERT INTO {table} SELECT * FROM lf_batch")
                self.con.unregister("lf_batch")
                for values in columns.values():
                    values.clear()
        self._pending = 0

    # -------------------------------------------------------------- writing

    def queries(self, fmt: str) -> dict[str, str]:
        """The SELECT that produces each output file, in its final column names and order."""
        scores = "".join(f", {score_sql(i, fmt)} AS {ident(name)}"
                         for i, name in enumerate(self.scores))
        tags = "tags" if fmt != "csv" else "NULLIF(tags, '') AS tags"
        args = "CAST(args AS JSON) AS args" if fmt == "jsonl" else "args"
        at = time_sql("at_us", fmt)
        return {
            "leads": f"SELECT lead_id{scores}, stage, {tags} FROM out_leads ORDER BY lead_id",
            "actions": (f"SELECT lead_id, {at} AS \"at\", rule, kind, target, {args} "
                        f"FROM out_actions ORDER BY at_us, lead_id, seq"),
            "transitions": (f"SELECT lead_id, {at} AS \"at\", from_stage AS \"from\", "
                            f"to_stage AS \"to\" FROM out_transitions ORDER BY at_us, lead_id, seq"),
        }

    def write(self, out_dir: str, fmt: str, rejects_sql: str) -> dict[str, str]:
        """Write every output file into out_dir; returns name → path."""
        self.flush()
        os.makedirs(out_dir, exist_ok=True)
        ext = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}[fmt]
        written = {}
        for name, sql in [*self.queries(fmt).items(), ("rejects", rejects_sql)]:
            path = os.path.join(out_dir, f"{name}.{ext}")
            partial = path + ".partial"
            # Written aside, then moved: a failed run never leaves half a file.
            self.con.execute(f"COPY ({sql}) TO {literal(partial)} ({COPY_OPTIONS[fmt]})")
            os.replace(partial, path)
            written[name] = path
        return written

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
