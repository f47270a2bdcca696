"""Typing input values, inside the DuckDB query: one SQL expression per declared type.

Every value of an event log arrives as text (CSV, JSON Lines) or as whatever type
a Parquet column holds. Typing it row by row in Python would cost more than the
engine itself, so each declared field type becomes a DuckDB expression that the
reader query evaluates for all rows at once (vectorised). For each value we get
three expressions: the typed value (NULL when missing or bad), whether it is bad
(present but not of the type: the row is rejected), and the human reason.

Types (SPEC 3): number → DOUBLE (finite), int → BIGINT (a whole number; "3.5" is
rejected, "3.0" is 3), text → VARCHAR, bool → true/false/yes/no/1/0 in any case,
time → BIGINT microseconds since the epoch, UTC. A missing or empty value is not
an error: the field is simply missing. Times without an offset are read in the
session time zone, which the reader sets to the ruleset's time zone; times with
`Z` or an offset, and Parquet TIMESTAMP WITH TIME ZONE columns, are absolute.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.semantics.timemath import ISO_PATTERN

INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                           "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"})
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL"})
TIME_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ",
                        "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"})

# What a reject reason says a value should have been.
EXPECTED = {"number": "is not a number", "int": "is not a whole number",
            "bool": "is not true or false (true/false, yes/no, 1/0)"}


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_path(key: str) -> str:
    """The SQL literal of the JSON path to an object's member `key`, e.g. '$."amount"'."""
    return literal('$."' + key.replace('"', '\\"') + '"')


def is_numeric(source_type: str) -> bool:
    return source_type in INTEGER_TYPES or source_type in FLOAT_TYPES or source_type.startswith("DECIMAL")


@dataclass(frozen=True)
class TypedValue:
    """SQL for one input value read as one declared type."""

    value: str  # the typed value, NULL when missing or bad
    bad: str  # boolean: present but not of the type
    shown: str  # the raw value as text, for the reject reason (evaluated on bad rows only)
    missing: str = "false"  # boolean: no value (NULL or blank)


def as_varchar(raw: str, source_type: str) -> str:
    """The raw value as text, untouched."""
    return raw if source_type == "VARCHAR" else f"CAST({raw} AS VARCHAR)"


def as_text(raw: str, source_type: str) -> str:
    """The raw value as trimmed text, NULL when missing or empty."""
    return f"NULLIF(trim({as_varchar(raw, source_type)}), '')"


WALL = "epoch_us(CAST(make_timestamptz({x}) AS TIMESTAMP))"  # an instant's local wall clock


def earlier_reading(naive_us: str, reading: str) -> str:
    """SQL: the wall-clock time read with the offset in force a day before DuckDB's reading."""
    day_before = f"({reading} - 86400000000)"
    return f"({naive_us} - ({WALL.format(x=day_before)} - {day_before}))"


def pick_first(naive_us: str, reading: str, earlier: str) -> str:
    """SQL: `earlier` when it is a real, earlier reading of the same wall clock, else `reading`."""
    return (f"CASE WHEN {earlier} < {reading} AND {WALL.format(x=earlier)} = {naive_us} "
            f"THEN {earlier} ELSE {reading} END")


def local_to_utc(naive_us: str, reading: str) -> str:
    """SQL: the instant of a local wall-clock time, the first one when the clock shows it twice.

    `naive_us` is the wall-clock time as microseconds (as if it were UTC) and
    `reading` DuckDB's own instant for it in the session time zone, which is
    the second occurrence in the hour the clocks go back. The first one uses
    the offset in force a day earlier; it is taken when it is earlier and the
    clock really shows that time then (timemath.from_local: fold=0). In a gap
    (clocks going forward) DuckDB and fold=0 agree: the same clock time after.
    """
    return pick_first(naive_us, reading, earlier_reading(naive_us, reading))


# Names of UTC in the time zone database: a wall-clock time there is the instant itself.
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu",
                       "Etc/Zulu", "GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0",
                       "GMT-0", "Etc/GMT-0", "Greenwich", "Etc/Greenwich"})


def is_utc(zone: str) -> bool:
    """Whether the time zone `zone` is UTC under another name (its clock never changes)."""
    return zone in UTC_ZONES


def time_value(raw: str, source_type: str, utc: bool = False) -> TypedValue:
    """Microseconds since the epoch (UTC), from a timestamp column or an ISO-8601 string.

    Text is read with timemath's own grammar (ISO_PATTERN), so a log, --as-of
    and test blocks accept the same times and read them the same way. With
    `utc` (the session's time zone is UTC) a time without an offset is read as
    the instant its digits spell: no zone conversion, which is a third of the
    cost of reading a Parquet log.
    """
    if source_type in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        value = f"epoch_us({raw})"
        return TypedValue(value, "false", as_text(raw, source_type), f"({raw} IS NULL)")
    if source_type in TIME_TYPES:  # a wall-clock time in the ruleset's time zone
        naive = f"epoch_us(CAST({raw} AS TIMESTAMP))"
        value = naive if utc else local_to_utc(naive, f"epoch_us(CAST({raw} AS TIMESTAMPTZ))")
        return TypedValue(value, "false", as_text(raw, source_type), f"({raw} IS NULL)")
    text = as_text(raw, source_type)
    parts = f"regexp_extract({text}, {literal('^' + ISO_PATTERN + '$')}, ['d', 'h', 'mi', 's', 'f', 'o'])"
    return TypedValue(f"lf_time({parts})", f"({text} IS NOT NULL AND lf_time({parts}) IS NULL)",
                      text, f"({text} IS NULL)")


def _clock(parts: str) -> str:
    """SQL: the wall-clock text `YYYY-MM-DD hh:mm:ss[.f]` of the pieces of an ISO_PATTERN match."""
    return (f"{parts}.d || ' ' || coalesce(nullif({parts}.h, ''), '00') || ':' || "
            f"coalesce(nullif({parts}.mi, ''), '00') || ':' || coalesce(nullif({parts}.s, ''), '00') || "
            f"CASE WHEN {parts}.f <> '' THEN '.' || {parts}.f ELSE '' END")


def _offset(parts: str) -> str:
    return f"CASE WHEN upper({parts}.o) = 'Z' THEN '+00:00' ELSE {parts}.o END"


def time_macro(utc: bool = False) -> str:
    """SQL creating `lf_time(parts)`: the instant of the pieces of an ISO_PATTERN match, or NULL.

    For values of `time` fields; the event time itself is read in layers
    (time_layers), each piece computed once per row. Year 0 is refused as
    Python refuses it. `utc`: the session's time zone is UTC (see time_value).
    """
    p = "parts"
    naive = f"epoch_us(TRY_CAST({_clock(p)} AS TIMESTAMP))"
    local = naive if utc else local_to_utc(naive, f"epoch_us(TRY_CAST({_clock(p)} AS TIMESTAMPTZ))")
    return (f"CREATE OR REPLACE TEMP MACRO lf_time(parts) AS CASE "
            f"WHEN {p}.d = '' OR {p}.d < '0001' THEN NULL "
            f"WHEN {p}.o <> '' THEN epoch_us(TRY_CAST({_clock(p)} || {_offset(p)} AS TIMESTAMPTZ)) "
            f"ELSE {local} END")


@dataclass(frozen=True)
class TimeLayers:
    """The event time read in steps, each a list of `expr AS name` added to the row in turn.

    A macro repeats its argument wherever it is used, so reading the time in
    one expression matched the text and converted it about a dozen times per
    row; these layers do each once (three times faster on a CSV log).
    """

    layers: tuple[tuple[str, ...], ...]
    value: TypedValue


def time_layers(raw: str, source_type: str, utc: bool = False) -> TimeLayers:
    """Layers reading the event time column (see time_value for what they compute)."""
    if source_type in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return TimeLayers((), time_value(raw, source_type))
    if source_type in TIME_TYPES and utc:  # the wall clock is the instant: nothing to layer
        return TimeLayers((), time_value(raw, source_type, utc))
    shown = as_text(raw, source_type)
    if source_type in TIME_TYPES:
        layers = ((f"epoch_us(CAST({raw} AS TIMESTAMP)) AS __tn",
                   f"epoch_us(CAST({raw} AS TIMESTAMPTZ)) AS __tr"),
                  (f"{earlier_reading('__tn', '__tr')} AS __te",))
        value = pick_first("__tn", "__tr", "__te")
        return TimeLayers(layers, TypedValue(value, "false", shown, f"({raw} IS NULL)"))
    pattern = literal("^" + ISO_PATTERN + "$")
    layers = (
        (f"{shown} AS __tt",),
        (f"regexp_extract(__tt, {pattern}, ['d', 'h', 'mi', 's', 'f', 'o']) AS __tp",),
        (f"CASE WHEN __tp.d <> '' AND __tp.d >= '0001' THEN {_clock('__tp')} END AS __tc",),
    )
    with_offset = f"epoch_us(TRY_CAST(__tc || {_offset('__tp')} AS TIMESTAMPTZ))"
    if utc:
        layers += (("epoch_us(TRY_CAST(__tc AS TIMESTAMP)) AS __tn",),)
        value = f"CASE WHEN __tp.o <> '' THEN {with_offset} ELSE __tn END"
    else:
        layers += (("epoch_us(TRY_CAST(__tc AS TIMESTAMP)) AS __tn", f"{with_offset} AS __tr"),
                   (f"CASE WHEN __tp.o = '' THEN {earlier_reading('__tn', '__tr')} END AS __te",))
        value = f"CASE WHEN __tp.o <> '' THEN __tr ELSE {pick_first('__tn', '__tr', '__te')} END"
    return TimeLayers(layers, TypedValue(value, "(__tt IS NOT NULL AND __ts IS NULL)", "__tt",
                                         "(__tt IS NULL)"))


def typed_value(raw: str, source_type: str, field_type: str, utc: bool = False) -> TypedValue:
    """SQL reading `raw` (an expression of DuckDB type `source_type`) as `field_type`
    (`utc`: the session's time zone is UTC, see time_value)."""
    text = as_text(raw, source_type)
    if field_type == "time":
        return time_value(raw, source_type, utc)
    if field_type == "text":
        return TypedValue(f"NULLIF({as_varchar(raw, source_type)}, '')", "false", text)
    if field_type == "number":
        if is_numeric(source_type):
            number = f"CAST({raw} AS DOUBLE)"
        else:
            number = f"TRY_CAST({text} AS DOUBLE)"
        value = f"CASE WHEN isfinite({number}) THEN {number} END"
    elif field_type == "int":
        if source_type in INTEGER_TYPES:
            value = f"TRY_CAST({raw} AS BIGINT)"
        else:
            # DuckDB rounds '3.5' to 4 when casting to BIGINT: check it is whole first.
            number = f"TRY_CAST({text} AS DOUBLE)"
            value = (f"CASE WHEN isfinite({number}) AND {number} = trunc({number}) "
                     f"THEN TRY_CAST({text} AS BIGINT) END")
    elif field_type == "bool":
        if source_type == "BOOLEAN":
            return TypedValue(raw, "false", text)
        word = f"lower({text})"
        value = (f"CASE WHEN {word} IN ('true', 'yes', '1') THEN true "
                 f"WHEN {word} IN ('false', 'no', '0') THEN false END")
    else:
        raise ValueError(f"unknown field type {field_type!r}")
    return TypedValue(value, f"({text} IS NOT NULL AND {value} IS NULL)", text)


def reason_for(label: str, field_type: str, shown: str) -> str:
    """SQL string: why a value was rejected, e.g. `field amount: 'abc' is not a number`."""
    quoted = f"'''' || {shown} || ''''"
    if field_type == "time":
        return f"{literal(label + ': cannot read time ')} || {quoted}"
    return f"{literal(label + ': ')} || {quoted} || {literal(' ' + EXPECTED[field_type])}"
