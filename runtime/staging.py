"""The DuckDB work database of one run: typed input rows in, sorted Arrow batches out.

All input files are read once into the table `events` (and `leads` for --leads),
each row typed and given its verdict (see reader_sql). Counting, the default
as-of, the rejects file and the sorted stream the driver consumes are then plain
queries over these tables. The database lives in a temporary directory with a
memory limit, so DuckDB sorts and stores out of core: a log larger than memory is
fine, and Python never holds more than one Arrow batch of rows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import duckdb
import pyarrow as pa

from leadflow.runtime.failures import ResourceError, resource_problem
from leadflow.runtime.jsonl_scan import utf8_copy
from leadflow.runtime.reader_sql import DUCKDB_TYPES, event_rows_sql, lead_key, lead_rows_sql
from leadflow.runtime.readers import (
    ColumnNames,
    InputError,
    InputFile,
    OpenedInput,
    duckdb_message,
    is_url,
    needs_plain_name,
    plain_suffix,
)
from leadflow.runtime.rows import is_utc, literal, time_macro
from leadflow.runtime.run_settings import DEFAULT_MEMORY_LIMIT
from leadflow.semantics.slots import FieldSlots
from leadflow.semantics.timemath import parse_instant

BATCH_ROWS = 16384  # small enough for a lively progress bar, large enough to be cheap
# `dup`: a row `run --state` has seen before (runtime/incremental.py); false otherwise.
APPLICABLE = "reason IS NULL AND ev_no IS NOT NULL AND NOT dup"


# The order the replay reads rows in: by lead, then time; equal times keep input order.
REPLAY_ORDER = "lead_id, ts_us, file_no, row_no"


def replayed_rows(as_of: int | None) -> str:
    """SQL: the row is one the replay applies, applicable and not after as-of (the rows
    event_reader sorts; whatever else reads "the replayed rows" must say the same)."""
    return APPLICABLE if as_of is None else f"{APPLICABLE} AND ts_us <= {as_of}"


def after_as_of(as_of: int | None) -> str:
    """SQL: the row's time is after as-of (never, without an as-of)."""
    return f"ts_us > {as_of}" if as_of is not None else "false"


@dataclass
class FileCounts:
    path: str
    rows: int = 0
    rejected: int = 0


@dataclass
class EventCounts:
    """How the input rows split; applied + rejected + ignored == rows."""

    files: list[FileCounts]
    rejected: int
    ignored_types: dict[str, int]  # undeclared event type → rows, most frequent first
    after_as_of: int
    applied: int
    duplicates: int = 0  # rows `run --state` had seen before
    lead_rows: int = 0  # rows of the --leads file
    lead_rejected: int = 0
    lead_files: list[str] = field(default_factory=list)
    # "event purchase declares field amount, but ..." for each declared field no input has.
    missing_fields: list[str] = field(default_factory=list)
    # Rows stamped after the moment of the run: (how many, file and row of the latest).
    future: tuple[int, str, int] | None = None

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def ignored(self) -> int:
        return sum(self.ignored_types.values()) + self.after_as_of + self.duplicates


WORK_PREFIX = "leadflow-run-"


def remove_stale_work_dirs() -> None:
    """Remove the work directories (spill files) of runs that were killed (SIGKILL, power).

    Staging.close removes its own directory on any exit Python sees (errors,
    Ctrl-C, SIGTERM: see leadflow/cli.py); a killed process cannot, so the
    next run clears what such a process left, when that process is gone.
    """
    base = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(base) if n.startswith(WORK_PREFIX)]
    except OSError:
        return
    for name in names:
        pid = name[len(WORK_PREFIX):].split("-", 1)[0]
        path = os.path.join(base, name)
        try:
            if not pid.isdigit() or os.stat(path).st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)  # raises when no such process exists
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue  # alive but not ours to signal, or gone already


def rejects_sql(rows: str, files: str) -> str:
    """The rejects file from `rows` (file_no, row_no, reason) and `files` (file_no, path)."""
    return (f"SELECT f.path AS file, r.row_no AS \"row\", r.reason FROM ({rows}) r "
            f"JOIN {files} f USING (file_no) ORDER BY r.file_no, r.row_no")


class Staging:
    """A temporary DuckDB database holding the typed rows of one run."""

    def __init__(self, timezone: str, memory_limit: str = DEFAULT_MEMORY_LIMIT):
        remove_stale_work_dirs()
        # The pid in the name lets a later run remove it if this process is killed outright.
        self.dir = tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-")
        self.memory_limit = memory_limit
        # In memory, but DuckDB moves blocks to temp_directory past memory_limit.
        self.con = duckdb.connect()
        try:
            self.con.execute(f"SET memory_limit = {literal(memory_limit)}")
        except duckdb.Error:
            self.close()
            raise InputError(f"--memory-limit: cannot read {memory_limit!r} "
                             f"(use a size such as 512MB or 2GB)") from None
        self.con.execute(f"SET temp_directory = {literal(os.path.join(self.dir, 'spill'))}")
        self.con.execute("SET preserve_insertion_order = true")
        try:
            # Times without an offset are read in the ruleset's time zone.
            self.con.execute(f"SET TimeZone = {literal(timezone)}")
        except duckdb.Error as exc:
            self.close()
            raise InputError(f"time zone {timezone!r}: {duckdb_message(exc)}") from None
        self.utc = is_utc(timezone)  # times without an offset read as they are (rows.time_value)
        self.con.execute(time_macro(self.utc))
        self.timezone = timezone
        self.files: list[str] = []
        self.slots: FieldSlots | None = None
        self.event_names: tuple[str, ...] = ()
        self.lead_fields: tuple[tuple[str, str], ...] = ()
        self.has_leads = False
        self.carried: tuple[str, ...] = ()  # --leads columns carried to leads.csv
        self.columns_seen: list[str] = []  # the event files' columns, in order of appearance
        # Which rows this database keeps, as SQL over the row's lead id (one partition of
        # a `run --workers` run, runtime/partitioned.py); None keeps them all.
        self.keep_lead: Callable[[str], str] | None = None
        self.con.execute("CREATE TABLE files (file_no INTEGER, path VARCHAR)")

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- loading

    def _source(self, file: InputFile, names: ColumnNames, keep_raw: bool = False) -> OpenedInput:
        """The file opened in DuckDB, always by its literal name.

        DuckDB expands `*`, `?` and `[...]` in any path it opens, so `a*.csv`
        would also read `ab.csv`; such a file is opened through a symbolic link
        with a plain name in the work directory (globs were expanded already).
        """
        read_path = None
        if file.format == "jsonl":
            checked = utf8_copy(file.path, os.path.join(self.dir, "inputs"), len(self.files))
            read_path = checked if checked != file.path else None
        if read_path is None and needs_plain_name(file.path) and not is_url(file.path):
            links = os.path.join(self.dir, "inputs")
            os.makedirs(links, exist_ok=True)
            read_path = os.path.join(links, f"input{len(self.files)}{plain_suffix(file.path)}")
            os.symlink(os.path.abspath(file.path), read_path)
        return OpenedInput(self.con, file, read_path, names.delimiter, keep_raw)

    def _add_file(self, path: str) -> int:
        self.files.append(path)
        number = len(self.files) - 1
        self.con.execute(f"INSERT INTO files VALUES ({number}, {literal(path)})")
        return number

    def _create(self, table: str, parts: Sequence[tuple[str, str]], ordered: bool = True) -> None:
        """CREATE TABLE from the union of per-file queries; a DuckDB failure names the file.

        Without `ordered` DuckDB may store the rows in any order (every query over the
        table says its order, and the row numbers are read from the files): a third
        less time for a Parquet log. A CSV or JSON Lines file numbers its rows as it
        scans them (`row_number() OVER ()`), which needs the scan in order.
        """
        try:
            if not ordered:
                self.con.execute("SET preserve_insertion_order = false")
            self.con.execute(f"CREATE TABLE {table} AS " + " UNION ALL ".join(
                f"({sql})" for _, sql in parts))
        except duckdb.Error as exc:
            problem = resource_problem(exc, self.memory_limit)
            if problem is not None:
                raise ResourceError(problem) from None
            # Find which file fails, to name it in the one-line message.
            for path, sql in parts:
                try:
                    self.con.execute(f"SELECT count(*) FROM ({sql})").fetchall()
                except duckdb.Error as inner:
                    raise InputError(f"{path}: cannot read it: {duckdb_message(inner)}") from None
            raise InputError(f"cannot read the inputs: {duckdb_message(exc)}") from None
        finally:
            if not ordered:
                self.con.execute("SET preserve_insertion_order = true")

    def load_events(self, files: Sequence[InputFile], names: ColumnNames,
                    events: Mapping[str, Sequence[tuple[str, str]]], keep_raw: bool = False,
                    held: tuple[InputFile, str] | None = None) -> None:
        """Read, type and check every row of the event files into the table `events`.

        With keep_raw each row also keeps its event name and the whole row as JSON
        (`run --state` stores them). `held` is (file, label): rows a state kept from
        earlier runs, read first, with the standard column names.
        """
        self.event_names = tuple(events)
        self.slots = FieldSlots.of(events)
        parts = []
        inputs = [(file, names, file.path) for file in files]
        if held is not None:
            inputs.insert(0, (held[0], ColumnNames(), held[1]))
        ordered = any(file.format != "parquet" for file, _, _ in inputs)
        for file, file_names, label in inputs:
            source = self._source(file, file_names, keep_raw)
            sql = event_rows_sql(source, len(self.files), file_names, events, self.slots,
                                 self.keep_lead, self.utc)
            self.columns_seen += [c for c in source.columns if c not in self.columns_seen]
            self._add_file(label)
            parts.append((label, sql))
        self._create("events", parts, ordered)
        self.con.execute("ALTER TABLE events ADD COLUMN dup BOOLEAN DEFAULT false")

    def load_leads(self, file: InputFile, names: ColumnNames,
                   lead_fields: Sequence[tuple[str, str]],
                   keep_cols: Sequence[str] | None = None) -> None:
        """Read the lead attributes; a second row for the same lead is rejected.

        The file's other columns (all, or `keep_cols`) are kept as text for
        leads.csv: `self.carried` names them, the table `leads` holds k0...
        """
        self.lead_fields = tuple(lead_fields)
        source = self._source(file, names)
        key = lead_key(source, names)
        known = [c for c in source.columns if c not in (key, names.properties)]
        if keep_cols is None:
            self.carried = tuple(known)
        else:
            unknown = [c for c in keep_cols if c not in known]
            if unknown:
                raise InputError(f"--keep-cols {','.join(unknown)}: not a column of {file.path} "
                                 f"(its columns: {', '.join(known) or 'none but the lead id'})")
            self.carried = tuple(dict.fromkeys(keep_cols))
        sql = lead_rows_sql(source, len(self.files), names, lead_fields, self.carried,
                            self.keep_lead, self.utc)
        self._add_file(file.path)
        self._create("lead_rows", [(file.path, sql)])
        self.con.execute(
            "CREATE TABLE leads AS SELECT * EXCLUDE (reason, first_row), CASE "
            "WHEN reason IS NULL AND first_row < row_no THEN 'lead ' || '''' || lead_id || '''' "
            "|| ' already given on row ' || first_row ELSE reason END AS reason FROM "
            "(SELECT *, min(row_no) OVER (PARTITION BY lead_id, reason IS NULL) AS first_row "
            "FROM lead_rows)")
        self.con.execute("DROP TABLE lead_rows")
        self.has_leads = True

    # -------------------------------------------------------------- queries

    def parse_time(self, text: str) -> int | None:
        """An ISO-8601 time as microseconds (no offset: the ruleset's time zone), or None.

        timemath's parser, the one test blocks use; the log's SQL follows its grammar.
        """
        try:
            return parse_instant(text, self.timezone)
        except ValueError:
            return None

    def latest_time(self) -> int | None:
        """The default as-of: the latest event time in the input (SPEC 9).

        Rows of event types the ruleset ignores count (the export covers the
        time up to its last row); rejected rows do not, their time may be junk.
        """
        return self.con.sql("SELECT max(ts_us) FROM events WHERE reason IS NULL AND NOT dup"
                            ).fetchall()[0][0]

    def counts(self, as_of: int | None) -> EventCounts:
        files = [FileCounts(path) for path in self.event_files()]
        for number, rows, rejected in self.con.sql(
                "SELECT file_no, count(*), count(reason) FROM events GROUP BY file_no").fetchall():
            files[number].rows, files[number].rejected = rows, rejected
        ignored = dict(self.con.sql(
            "SELECT other_event, count(*) AS n FROM events WHERE reason IS NULL AND ev_no IS NULL "
            "AND NOT dup GROUP BY other_event ORDER BY n DESC, other_event").fetchall())
        later = after_as_of(as_of)
        applied, after = self.con.sql(
            f"SELECT count(*) FILTER (WHERE NOT ({later})), count(*) FILTER (WHERE {later}) "
            f"FROM events WHERE {APPLICABLE}").fetchall()[0]
        duplicates = self.con.sql("SELECT count(*) FROM events WHERE dup").fetchall()[0][0]
        counts = EventCounts(files, sum(f.rejected for f in files), ignored, after, applied,
                             duplicates)
        counts.missing_fields = self.missing_fields()
        counts.future = self.future_rows()
        if self.has_leads:
            counts.lead_rows, counts.lead_rejected = self.con.sql(
                "SELECT count(*), count(reason) FROM leads").fetchall()[0]
            counts.lead_files = [self.files[-1]]
        return counts

    def future_rows(self) -> tuple[int, str, int] | None:
        """Rows stamped after now (a day's grace for clocks): how many, and where the latest is.

        Without --as-of the latest time becomes the as-of, so one row typed with
        year 2924 would fire every timer up to then: the summary must say so.
        """
        found = self.future_latest()
        return found[:3] if found else None

    def future_latest(self) -> tuple[int, str, int, int, int] | None:
        """future_rows, with the latest row's time and file number (to merge partitions)."""
        now = int(time.time() + 86_400) * 1_000_000
        found = self.con.sql(
            f"SELECT count(*) OVER (), f.path, e.row_no, e.ts_us, e.file_no FROM events e "
            f"JOIN files f USING (file_no) WHERE e.reason IS NULL AND e.ts_us > {now} "
            f"ORDER BY e.ts_us DESC, e.file_no, e.row_no LIMIT 1").fetchall()
        return found[0] if found else None

    def missing_fields(self, usage: Sequence[tuple[int, int]] | None = None) -> list[str]:
        """Declared fields that no input has, though rows of their events were read.

        A misnamed column (`importe` for `amount`) would otherwise make every
        rule that reads the field quietly see it missing: a run that scores 0.
        `usage` is field_usage() (summed over the partitions of a split run).
        """
        if self.slots is None or not self.slots.slots:
            return []
        found = []
        have = ", ".join(self.columns_seen[:12]) + (", ..." if len(self.columns_seen) > 12 else "")
        usage = self.field_usage() if usage is None else usage
        for j, (name, _) in enumerate(self.slots.slots):
            rows, values = usage[j]
            if rows and not values and name not in self.columns_seen:
                events = ", ".join(self.event_names[u] for u in self.slots.users[j])
                found.append(f"field {name} of {events}: no input has a column or property "
                             f"{name!r} (columns: {have}); rules reading it see it missing")
        return found

    def field_usage(self) -> list[tuple[int, int]]:
        """For each field slot: (accepted rows of the events declaring it, rows with a value)."""
        if self.slots is None or not self.slots.slots:
            return []
        checks = ", ".join(
            f"count(*) FILTER (WHERE reason IS NULL AND ev_no IN ({', '.join(map(str, users))})), "
            f"count(v{j})" for j, users in enumerate(self.slots.users))
        numbers = self.con.sql(f"SELECT {checks} FROM events").fetchall()[0]
        return [(numbers[2 * j], numbers[2 * j + 1]) for j in range(len(self.slots.slots))]

    def event_files(self) -> list[str]:
        return self.files[:-1] if self.has_leads else list(self.files)

    def event_reader(self, as_of: int | None, lead: str | None = None,
                     batch_rows: int = BATCH_ROWS,
                     read: Collection[int] | None = None) -> pa.RecordBatchReader:
        """The applicable events up to as-of: lead_id, ts_us, ev_no, v0.. sorted by lead and time.

        Equal times keep input order (file order, then row order). With `read` (the
        field slots the engine reads: a compiled module's SLOTS_READ), every other
        column is NULL, so the sort carries only what the rules use.
        """
        where = replayed_rows(as_of)
        if lead is not None:
            where += f" AND lead_id = {literal(lead)}"
        values = "".join(f", v{j}" if read is None or j in read
                         else f", NULL::{DUCKDB_TYPES[kind]} AS v{j}"
                         for j, (_, kind) in enumerate(self.slots.slots))
        return self.con.cursor().sql(
            f"SELECT lead_id, ts_us, ev_no{values} FROM events WHERE {where} "
            f"ORDER BY {REPLAY_ORDER}").to_arrow_reader(batch_rows)

    def lead_attrs(self, lead: str | None = None, replayed: bool = False,
                   as_of: int | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(lead_id, attributes) of every lead seen, and of --leads.

        Sorted by lead_id; missing values left out. A lead is seen when any row
        that is not rejected names it (SPEC 9): a lead whose rows are all of
        ignored event types or after as-of still gets its row, in its initial
        state advanced to as-of. The replay matches them up with the leads of
        the events by id. With `replayed`, a lead with events the replay reads
        (event_reader up to `as_of`) comes here only when --leads gives it
        attributes: the replay makes the others from their events (a run of
        200,000 leads spared making 200,000 empty dictionaries).
        """
        names = [f for f, _ in self.lead_fields]
        only = f" AND lead_id = {literal(lead)}" if lead is not None else ""
        seen = f"SELECT DISTINCT lead_id FROM events WHERE reason IS NULL{only}"
        if replayed:
            seen = (f"SELECT lead_id FROM events WHERE reason IS NULL{only} GROUP BY lead_id "
                    f"HAVING NOT bool_or({replayed_rows(as_of)})")
        if self.has_leads:
            cols = "".join(f", l.a{j}" for j in range(len(names)))
            sql = (f"SELECT coalesce(l.lead_id, s.lead_id) AS lead_id{cols} FROM "
                   f"(SELECT * FROM leads WHERE reason IS NULL{only}) l FULL OUTER JOIN ({seen}) s "
                   f"USING (lead_id) ORDER BY 1")
        else:
            sql = f"{seen} ORDER BY lead_id"
        for batch in self.con.cursor().sql(sql).to_arrow_reader(BATCH_ROWS):
            ids = batch.column(0).to_pylist()
            columns = [batch.column(j + 1).to_pylist() for j in range(batch.num_columns - 1)]
            for i, lead_id in enumerate(ids):
                yield lead_id, {n: c[i] for n, c in zip(names, columns) if c[i] is not None}

    def rejects_query(self) -> str:
        """SQL for rejects: file, row, reason in file and row order."""
        return rejects_sql(self.reject_rows_query(), "files")

    def reject_rows_query(self) -> str:
        """SQL for the rejected rows by number: file_no, row_no, reason."""
        parts = ["SELECT file_no, row_no, reason FROM events WHERE reason IS NOT NULL"]
        if self.has_leads:
            parts.append("SELECT file_no, row_no, reason FROM leads WHERE reason IS NOT NULL")
        return " UNION ALL ".join(parts)

    def not_applied(self, lead: str, as_of: int | None) -> list[tuple[str, int, str]]:
        """(file, row, why) of the rows of one lead that were rejected or ignored."""
        return self.con.sql(
            f"SELECT f.path, e.row_no, CASE WHEN e.reason IS NOT NULL THEN 'rejected: ' || e.reason "
            f"WHEN e.ev_no IS NULL THEN 'ignored: event type ' || '''' || e.other_event || '''' "
            f"|| ' is not in the ruleset' ELSE 'ignored: after --as-of' END FROM events e "
            f"JOIN files f USING (file_no) WHERE e.lead_id = {literal(lead)} AND "
            f"(e.reason IS NOT NULL OR e.ev_no IS NULL OR {after_as_of(as_of)}) ORDER BY e.file_no, e.row_no"
        ).fetchall()

    def knows_lead(self, lead: str) -> bool:
        """Whether the lead has any row at all (events of any verdict, or attributes)."""
        found = self.con.sql(f"SELECT 1 FROM events WHERE lead_id = {literal(lead)} LIMIT 1").fetchall()
        if not found and self.has_leads:
            found = self.con.sql(f"SELECT 1 FROM leads WHERE lead_id = {literal(lead)} LIMIT 1").fetchall()
        return bool(found)
