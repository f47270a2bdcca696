"""The SQL that turns one opened input file into typed rows, each with its verdict.

An event row comes out with: its file number and row number, the lead id, the
event's number in the ruleset (NULL for a type the ruleset does not declare), the
time in microseconds, one typed column per (field, type) slot, and `reason`: why
it is rejected, or NULL. Checks run in this order, the first that fails wins:
unreadable row, missing lead id, missing event type, (undeclared type: ignored,
not rejected), missing time, unreadable time, then every bad field value (all of
them, joined with "; ").

A lead-attribute row comes out with its lead id, one typed column per declared
lead field, and `reason`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from leadflow.runtime.readers import ColumnNames, OpenedInput
from leadflow.runtime.rows import (
    TypedValue,
    as_text,
    as_varchar,
    json_path,
    literal,
    reason_for,
    time_layers,
    typed_value,
)
from leadflow.semantics.slots import FieldSlots

DUCKDB_TYPES = {"number": "DOUBLE", "int": "BIGINT", "text": "VARCHAR", "bool": "BOOLEAN",
                "time": "BIGINT"}


class _Columns:
    """Which source columns a query reads, and the raw SQL and type of each named value."""

    def __init__(self, source: OpenedInput, required: Sequence[str], wanted: Sequence[str],
                 properties: str):
        self.source = source
        self.required = tuple(required)
        self.names: list[str] = list(required)
        for name in wanted:
            if name in source.columns and name not in self.names:
                self.names.append(name)
        self.properties = properties if properties in source.columns else None
        if self.properties and self.properties not in self.names:
            self.names.append(self.properties)
        # Values the properties column may hold, read from it in one JSON parse per row.
        self.from_properties = [n for n in wanted if n not in required] if self.properties else []

    def raw(self, name: str) -> tuple[str, str] | None:
        """(SQL, DuckDB type) for a named value, or None when the file does not have it.

        A value with its own column and a properties entry too (JSON Lines whose
        lines differ) is the column's when present, else the property's.
        """
        column = None
        if name in self.names:
            column = f"c{self.names.index(name)}", self.source.type_of(name)
        if name not in self.from_properties:
            return column
        prop = f"__lf_props[{self.from_properties.index(name) + 1}]"
        if column is None:
            return prop, "VARCHAR"
        return f"COALESCE({as_text(*column)}, {prop})", "VARCHAR"

    def subquery(self) -> str:
        """The source's rows with c0..cn and, when needed, `__lf_props` and `__lf_props_ok`."""
        inner = self.source.select(self.names, self.required)
        if not self.properties:
            return inner
        raw, kind = self.raw(self.properties)
        text = raw if kind == "VARCHAR" else f"CAST(CAST({raw} AS JSON) AS VARCHAR)"
        paths = ", ".join(json_path(n) for n in self.from_properties)
        extract = f"json_extract_string({text}, [{paths}])" if paths else "NULL"
        # An object, or JSON null: a list or a bare number holds no fields by name.
        is_object = f"coalesce(json_type(TRY_CAST({text} AS JSON)) IN ('OBJECT', 'NULL'), false)"
        raw = ""
        if self.source.keep_raw:
            # The row as `run --state` keeps it: the properties' members under the
            # row's own columns, so a replay finds every field where this read found it.
            raw = (f", CASE WHEN coalesce(json_type(TRY_CAST({text} AS JSON)) = 'OBJECT', false) "
                   f"THEN json_merge_patch({text}, __lf_raw) ELSE __lf_raw END AS __lf_raw")
        return (f"SELECT * EXCLUDE (__lf_raw){raw}, " if raw else "SELECT *, ") + (
                f"CASE WHEN {is_object} THEN {extract} END AS __lf_props, "
                f"({text} IS NULL OR {is_object}) AS __lf_props_ok FROM ({inner})")

    def properties_reason(self) -> str | None:
        if not self.properties:
            return None
        return f"WHEN NOT __lf_props_ok THEN {literal(self.properties + ': not a JSON object')}"


# SQL over a row's lead id (VARCHAR, trimmed) → SQL true for the rows to keep.
KeepLead = Callable[[str], str]


def only_leads(rows: str, raw: tuple[str, str], keep: KeepLead | None) -> str:
    """The rows (after their row numbers are taken) whose lead id `keep` accepts.

    `keep` sees the id trimmed but not made NULL when empty: the same partition for
    every row of a lead, and DuckDB spells NULLIF as a CASE that trims twice more
    (0.2 s of every `--workers` worker's 4M-row scan). A row whose id is empty or
    missing goes to one partition, as any row, and is rejected there.
    """
    return rows if keep is None else f"SELECT * FROM ({rows}) WHERE {keep(f'trim({as_varchar(*raw)})')}"


def event_rows_sql(source: OpenedInput, file_no: int, names: ColumnNames,
                   events: Mapping[str, Sequence[tuple[str, str]]], slots: FieldSlots,
                   keep: KeepLead | None = None, utc: bool = False) -> str:
    """SELECT file_no, row_no, lead_id, ev_no, other_event, ts_us, v0.., reason for one file.

    With `keep`, only the rows whose lead id it accepts, chosen before any value is typed;
    `utc`: the session's time zone is UTC (rows.time_value).
    """
    source.require(names.lead, "--lead-col", "lead id")
    source.require(names.event, "--event-col", "event type")
    source.require(names.time, "--time-col", "time")
    fields = list(dict.fromkeys(f for f, _ in slots.slots))
    columns = _Columns(source, (names.lead, names.event, names.time), fields, names.properties)

    lead = as_text(*columns.raw(names.lead))
    event = as_text(*columns.raw(names.event))
    numbering = " ".join(f"WHEN {literal(e)} THEN {i}" for i, e in enumerate(events))
    ev_no = f"CASE {event} {numbering} END" if events else "NULL::INTEGER"
    read_time = time_layers(*columns.raw(names.time), utc)
    ts = read_time.value

    inner = [f"{lead} AS __lead", f"{event} AS __event", f"{ev_no} AS __ev_no",
             f"{ts.missing} AS __ts_missing", f"{ts.value} AS __ts"]
    outer = []
    field_reasons = []
    for j, (field, kind) in enumerate(slots.slots):
        raw = columns.raw(field)
        if raw is None:
            outer.append(f"NULL::{DUCKDB_TYPES[kind]} AS v{j}")
            continue
        value: TypedValue = typed_value(*raw, kind, utc)
        inner += [f"{value.value} AS __v{j}", f"{value.bad} AS __b{j}"]
        users = ", ".join(str(u) for u in slots.users[j])
        outer.append(f"CASE WHEN __ev_no IN ({users}) THEN __v{j} END AS v{j}")
        if value.bad != "false":
            field_reasons.append(f"CASE WHEN __ev_no IN ({users}) AND __b{j} THEN "
                                 f"{reason_for('field ' + field, kind, value.shown)} END")

    checks = ["WHEN __lf_problem IS NOT NULL THEN __lf_problem",
              f"WHEN __lead IS NULL THEN {literal('missing ' + names.lead)}",
              f"WHEN __event IS NULL THEN {literal('missing ' + names.event)}",
              "WHEN __ev_no IS NULL THEN NULL",
              f"WHEN __ts_missing THEN {literal('missing ' + names.time)}",
              f"WHEN __ts IS NULL THEN {literal('cannot read time ')} || '''' || {ts.shown} || ''''"]
    if columns.properties_reason():
        checks.append(columns.properties_reason())
    if field_reasons:
        checks.append(f"ELSE NULLIF(concat_ws('; ', {', '.join(field_reasons)}), '')")
    reason = "CASE " + " ".join(checks) + " END"
    values = "".join(f", {o}" for o in outer)
    if source.keep_raw:
        values += ", __event AS event_name, CAST(__lf_raw AS VARCHAR) AS raw"
    rows = only_leads(columns.subquery(), columns.raw(names.lead), keep)
    for layer in read_time.layers:
        rows = f"SELECT *, {', '.join(layer)} FROM ({rows})"
    return (f"SELECT {file_no}::INTEGER AS file_no, __lf_row::BIGINT AS row_no, __lead AS lead_id, "
            f"__ev_no::INTEGER AS ev_no, CASE WHEN __ev_no IS NULL THEN __event END AS other_event, "
            f"__ts AS ts_us{values}, {reason} AS reason "
            f"FROM (SELECT *, {', '.join(inner)} FROM ({rows}))")


def lead_key(source: OpenedInput, names: ColumnNames) -> str:
    """The column of a lead-attribute file that holds the lead id."""
    return names.lead if names.lead in source.columns else "lead_id"


def lead_rows_sql(source: OpenedInput, file_no: int, names: ColumnNames,
                  lead_fields: Sequence[tuple[str, str]], carried: Sequence[str] = (),
                  keep: KeepLead | None = None, utc: bool = False) -> str:
    """SELECT file_no, row_no, lead_id, a0.., k0.., reason for a lead-attribute file.

    The key is the --lead-col column when the file has it, else `lead_id`;
    k0.. are the `carried` columns as text (for leads.csv), NULL when empty.
    With `keep`, only the rows whose lead id it accepts.
    """
    key = lead_key(source, names)
    source.require(key, "--lead-col", "lead id")
    wanted = [f for f, _ in lead_fields] + [c for c in carried if c not in dict(lead_fields)]
    columns = _Columns(source, (key,), wanted, names.properties)
    lead = as_text(*columns.raw(key))
    inner = [f"{lead} AS __lead"]
    outer, reasons = [], []
    for j, name in enumerate(carried):
        inner.append(f"{as_text(*columns.raw(name))} AS k{j}")
        outer.append(f"k{j}")
    for j, (field, kind) in enumerate(lead_fields):
        raw = columns.raw(field)
        if raw is None:
            outer.append(f"NULL::{DUCKDB_TYPES[kind]} AS a{j}")
            continue
        value = typed_value(*raw, kind, utc)
        inner += [f"{value.value} AS a{j}", f"{value.bad} AS __b{j}"]
        outer.append(f"a{j}")
        if value.bad != "false":
            reasons.append(f"CASE WHEN __b{j} THEN {reason_for('field ' + field, kind, value.shown)} END")
    checks = ["WHEN __lf_problem IS NOT NULL THEN __lf_problem",
              f"WHEN __lead IS NULL THEN {literal('missing ' + key)}"]
    if columns.properties_reason():
        checks.append(columns.properties_reason())
    if reasons:
        checks.append(f"ELSE NULLIF(concat_ws('; ', {', '.join(reasons)}), '')")
    values = "".join(f", {o}" for o in outer)
    return (f"SELECT {file_no}::INTEGER AS file_no, __lf_row::BIGINT AS row_no, __lead AS lead_id"
            f"{values}, CASE {' '.join(checks)} END AS reason "
            f"FROM (SELECT *, {', '.join(inner)} FROM ({only_leads(columns.subquery(), columns.raw(key), keep)}))")
