"""The outcomes file of `backtest` and `fit`: which leads converted, when, and for how much.

Columns: `lead_id` (or the --lead-col name), `converted_at` (ISO-8601; no
offset means the ruleset's time zone) and an optional `value`. CSV, JSON Lines
or Parquet, read with the same DuckDB readers as the event logs. A lead may
have several rows (repeat purchases); a row without a lead id or with an
unreadable time or value is rejected with its row number, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import duckdb

from leadflow.runtime.readers import InputError, InputFile, OpenedInput, duckdb_message
from leadflow.runtime.rows import as_text, time_value, typed_value

TIME_COLUMN = "converted_at"
VALUE_COLUMN = "value"


@dataclass
class Outcomes:
    path: str
    rows: int = 0
    conversions: dict[str, list[tuple[int, float | None]]] = field(default_factory=dict)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)

    def first(self, lead_id: str) -> int | None:
        """The lead's first conversion time, or None if it never converted."""
        found = self.conversions.get(lead_id)
        return found[0][0] if found else None

    def within(self, lead_id: str, start: int, end: int) -> list[tuple[int, float | None]]:
        """The lead's conversions in [start, end)."""
        return [c for c in self.conversions.get(lead_id, ()) if start <= c[0] < end]

    @property
    def has_values(self) -> bool:
        return any(v is not None for found in self.conversions.values() for _, v in found)

    @property
    def latest(self) -> int | None:
        times = [c[-1][0] for c in self.conversions.values() if c]
        return max(times) if times else None


def read_outcomes(con: duckdb.DuckDBPyConnection, file: InputFile, lead_col: str) -> Outcomes:
    """Read and check every row; InputError (a usage error) when a needed column is missing."""
    source = OpenedInput(con, file)
    source.require(lead_col, "--lead-col", "lead id")
    source.require(TIME_COLUMN, "the column name converted_at", "conversion time")
    names = [lead_col, TIME_COLUMN] + ([VALUE_COLUMN] if VALUE_COLUMN in source.columns else [])
    raw = source.select(names)
    types = {name: ("VARCHAR" if file.format == "jsonl" else source.type_of(name)) for name in names}
    lead = as_text("c0", types[lead_col])
    when = time_value("c1", types[TIME_COLUMN])
    value = typed_value("c2", types[VALUE_COLUMN], "number") if len(names) == 3 else None
    value_sql = value.value if value else "NULL"
    bad_value = value.bad if value else "false"
    reason = (f"CASE WHEN __lf_problem IS NOT NULL THEN __lf_problem "
              f"WHEN {lead} IS NULL THEN 'missing lead id' "
              f"WHEN {when.missing} THEN 'missing converted_at' "
              f"WHEN {when.bad} THEN 'cannot read converted_at ''' || {when.shown} || '''' "
              f"WHEN {bad_value} THEN 'cannot read value' END")
    try:
        rows = con.sql(f"SELECT __lf_row, {lead}, {when.value}, {value_sql}, {reason} "
                       f"FROM ({raw}) ORDER BY __lf_row").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{file.path}: cannot read it: {duckdb_message(exc)}") from None
    outcomes = Outcomes(file.path, len(rows))
    found: dict[str, list[tuple[int, float | None]]] = defaultdict(list)
    for row, lead_id, at, amount, why in rows:
        if why is not None:
            outcomes.rejected.append((row, why))
        else:
            found[lead_id].append((at, amount))
    outcomes.conversions = {k: sorted(v, key=lambda c: c[0]) for k, v in found.items()}
    return outcomes
