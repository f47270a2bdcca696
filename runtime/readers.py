"""Finding the input files and opening each one in DuckDB as a table of raw columns.

The format comes from the extension: `.csv` (`.tsv`), `.jsonl` (`.ndjson`) and
`.parquet`, optionally gzip-compressed (`.csv.gz`, `.jsonl.gz`). An argument may
also be a directory (every such file in it) or a glob (`logs/2024-*.parquet`).

Each file becomes an `OpenedInput`: a SQL subquery with one row per data row of the
file, its 1-based row number (`__lf_row`), a problem that makes the whole row
unreadable (`__lf_problem`, e.g. a JSON Lines line that is not an object) and
the columns asked for. CSV is read as text (all_varchar) so that ids such as
"007" keep their zeros and typing is ours, not the sniffer's. JSON Lines are read
as lines of text and parsed by us, so a broken line is a rejected row rather
than an error that stops the run.

Every problem with the inputs themselves (missing file, unknown format, a file
DuckDB cannot read) is an `InputError`: one line for the user, exit code 2.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from leadflow.runtime.csv_scan import (
    DELIMITERS,
    SHOWN,
    CsvError,
    CsvLayout,
    check_quotes_close,
    csv_layout,
)
from leadflow.runtime.jsonl_scan import NOT_UTF8
from leadflow.runtime.rows import ident, json_path, literal

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".parquet": "parquet", ".pq": "parquet"}
COMPRESSED = (".gz", ".zst")
KNOWN = ".csv, .tsv, .jsonl, .ndjson or .parquet"


class InputError(Exception):
    """A problem with an input file or an option: one line for the user, exit code 2."""


@dataclass(frozen=True)
class InputFile:
    path: str
    format: str  # "csv", "tsv", "jsonl" or "parquet"


@dataclass(frozen=True)
class ColumnNames:
    """Which input columns hold the lead id, the event type, the time and the JSON properties."""

    lead: str = "lead_id"
    event: str = "event"
    time: str = "ts"
    properties: str = "properties"
    delimiter: str | None = None  # CSV field separator; None: found in the header line


def format_of(path: str) -> str | None:
    name = path.lower()
    for suffix in COMPRESSED:
        name = name.removesuffix(suffix)
    return FORMATS.get(os.path.splitext(name)[1])


# `s3://bucket/key`, `https://host/path`, ...: an input DuckDB reads itself (its httpfs extension).
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(path: str) -> bool:
    return URL.match(path) is not None


def url_input(url: str) -> InputFile:
    """An object-store or web URL as an input: CSV or Parquet, opened by DuckDB, not checked here."""
    fmt = format_of(url.split("?", 1)[0])
    if fmt is None:
        raise InputError(f"{url}: unknown format; a URL must end in .csv or .parquet")
    if fmt == "jsonl":
        raise InputError(f"{url}: JSON Lines is read from local files only; copy it here, or "
                         f"use CSV or Parquet at the URL")
    return InputFile(url, fmt)


def expand_inputs(specs: Sequence[str]) -> list[InputFile]:
    """The files named by the arguments, in the order given (a directory or glob: sorted by name)."""
    files: list[InputFile] = []
    seen: set[str] = set()
    for spec in specs:
        if is_url(spec):
            if spec not in seen:
                seen.add(spec)
                files.append(url_input(spec))
            continue
        if os.path.isdir(spec):
            names = sorted(n for n in os.listdir(spec) if not n.startswith(".") and format_of(n))
            if not names:
                raise InputError(f"{spec}: no {KNOWN} files in this directory")
            paths = [os.path.join(spec, n) for n in names]
        elif not os.path.exists(spec) and glob.has_magic(spec):
            paths = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
            if not paths:
                raise InputError(f"{spec}: no files match this pattern")
        else:
            paths = [spec]
        for path in paths:
            if not os.path.exists(path):
                raise InputError(f"{path}: no such file")
            if os.path.isdir(path):
                raise InputError(f"{path}: is a directory")
            fmt = format_of(path)
            if fmt is None:
                ext = os.path.splitext(path)[1] or "(none)"
                raise InputError(f"{path}: unknown format {ext}; use {KNOWN}")
            real = os.path.realpath(path)
            if real not in seen:  # the same file twice would count every event twice
                seen.add(real)
                files.append(InputFile(path, fmt))
    return files


# Characters DuckDB reads as a glob in a path it opens; a file whose name has one
# is opened through a link with a plain name, so it is read literally.
DUCKDB_GLOB_CHARS = frozenset("*?[]{}")


def needs_plain_name(path: str) -> bool:
    return any(ch in DUCKDB_GLOB_CHARS for ch in path)


def plain_suffix(path: str) -> str:
    """The extension that names the format, compression included: `.csv`, `.jsonl.gz`."""
    name = os.path.basename(path).lower()
    suffix = ""
    for compressed in COMPRESSED:
        if name.endswith(compressed):
            name, suffix = name.removesuffix(compressed), compressed
    return os.path.splitext(name)[1] + suffix


def duckdb_message(exc: Exception) -> str:
    """The first line of a DuckDB error, without its "Invalid Input Error:" prefix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    head, sep, rest = text.partition(" Error: ")
    return rest if sep and len(head) < 30 else text


class OpenedInput:
    """One input file opened in DuckDB: its columns and types, and a subquery that reads them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, file: InputFile, read_path: str | None = None,
                 delimiter: str | None = None, keep_raw: bool = False):
        self.file = file
        self.con = con
        # What DuckDB opens: the file itself, or a link to it when its name would be a glob.
        self.read_path = read_path or file.path
        self.delimiter = "\t" if file.format == "tsv" and delimiter is None else delimiter
        self.layout: CsvLayout | None = None  # CSV and TSV: the dialect, found by csv_layout
        # With keep_raw, select() adds `__lf_raw`: the whole row as a JSON object (null
        # values left out), which `run --state` keeps so a later run can replay it.
        self.keep_raw = keep_raw
        self.columns = self._inspect()  # column name → DuckDB type, in file order
        self.no_objects = self.file.format == "jsonl" and not self.columns  # no line is an object

    # ------------------------------------------------------------ inspection

    def _scan(self) -> str:
        path = literal(self.read_path)
        if self.file.format in ("csv", "tsv"):
            return self.layout.scan(self.read_path)
        if self.file.format == "jsonl":
            # One text column per line: \x01 never occurs in JSON text, so nothing splits it.
            return (f"read_csv({path}, columns = {{'line': 'VARCHAR'}}, header = false, "
                    f"delim = E'\\x01', quote = '', escape = '', auto_detect = false, "
                    f"strict_mode = false)")
        return f"read_parquet({path}, file_row_number = true)"

    def _json_objects(self) -> str:
        """JSON Lines: every non-blank line with its line number and the object (NULL if not one)."""
        return (f"SELECT __lf_row, line AS __lf_line, CASE WHEN json_valid(line) AND "
                f"json_type(line) = 'OBJECT' THEN line END AS __lf_obj FROM (SELECT line, "
                f"row_number() OVER () AS __lf_row FROM {self._scan()}) "
                f"WHERE trim(coalesce(line, '')) <> ''")

    def _inspect(self) -> dict[str, str]:
        what = {"csv": "CSV", "tsv": "TSV", "jsonl": "JSON Lines", "parquet": "Parquet"}[self.file.format]
        if not is_url(self.file.path) and os.path.getsize(self.file.path) == 0:
            raise InputError(f"{self.file.path}: the file is empty (not even a header row)")
        if self.file.format in ("csv", "tsv"):
            try:
                self.layout = csv_layout(self.con, self.read_path, self.delimiter)
                check_quotes_close(self.con, self.read_path, self.layout)
            except CsvError as exc:
                raise InputError(f"{self.file.path}: cannot read it as {what}: {exc}") from None
            return dict.fromkeys(self.layout.header, "VARCHAR")
        try:
            if self.file.format == "jsonl":
                keys = self.con.sql(
                    f"SELECT k FROM (SELECT unnest(json_keys(__lf_obj)) AS k, __lf_row AS r "
                    f"FROM ({self._json_objects()})) GROUP BY k ORDER BY min(r), k").fetchall()
                return {k: "VARCHAR" for (k,) in keys}
            rows = self.con.sql(f"DESCRIBE SELECT * FROM {self._scan()}").fetchall()
        except duckdb.Error as exc:
            raise InputError(f"{self.file.path}: cannot read it as {what}: {duckdb_message(exc)}") from None
        columns = {name: str(kind) for name, kind, *_ in rows}
        columns.pop("file_row_number", None)
        return columns

    # --------------------------------------------------------------- reading

    def require(self, name: str, option: str, role: str) -> None:
        """A usage error unless the file has column `name` (e.g. the event type)."""
        if name in self.columns:
            return
        if self.file.format == "jsonl" and self.no_objects:
            # No line is an object: every row is rejected as such, which says more
            # than "no column"; any key can be asked of a JSON object, so ask.
            self.columns[name] = "VARCHAR"
            return
        have = ", ".join(list(self.columns)[:12]) or "none"
        if len(self.columns) > 12:
            have += ", ..."
        hint = f"name it with {option}"
        if self.layout is not None and len(self.columns) == 1:
            # One column whose name holds another separator: the delimiter is the real cause.
            other = next((d for d in DELIMITERS if d != self.layout.delimiter and d in have), None)
            if other is not None:
                hint = f"the header looks separated by {SHOWN[other]}: pass --delimiter {SHOWN[other]}"
        raise InputError(f"{self.file.path}: no {role} column {name!r} (columns: {have}); {hint}")

    def select(self, names: Sequence[str], scalars: Sequence[str] = ()) -> str:
        """A subquery: `__lf_row`, `__lf_problem` and the columns `names` as c0, c1, ...

        In JSON Lines, a value of one of `scalars` (the lead id, the event type,
        the time) that is an object or a list makes the row unreadable: its JSON
        text is no id and no time.
        """
        if self.file.format == "jsonl":
            if names:
                paths = ", ".join(json_path(n) for n in names)
                values = (f"json_extract_string(__lf_obj, [{paths}]) AS __lf_vals, "
                          f"json_type(__lf_obj, [{paths}]) AS __lf_types")
                cols = "".join(f", __lf_vals[{i + 1}] AS c{i}" for i in range(len(names)))
            else:
                values, cols = "NULL AS __lf_vals, NULL AS __lf_types", ""
            # The UTF-8 marker (see utf8_checked) is not an object either: test it first.
            problems = [f"WHEN __lf_line = {literal(NOT_UTF8)} THEN 'not valid UTF-8 text'",
                        "WHEN __lf_obj IS NULL THEN 'not a JSON object'"]
            for i, name in enumerate(names):
                if name in scalars:
                    problems.append(f"WHEN __lf_types[{i + 1}] IN ('OBJECT', 'ARRAY') THEN "
                                    f"{literal(name + ': an object or a list, not a single value')}")
            raw = ", json_merge_patch('{}', __lf_obj) AS __lf_raw" if self.keep_raw else ""
            return (f"SELECT __lf_row, CASE {' '.join(problems)} END AS __lf_problem{cols}{raw} "
                    f"FROM (SELECT __lf_row, __lf_obj, __lf_line, {values} "
                    f"FROM ({self._json_objects()}))")
        cols = "".join(f", {ident(n)} AS c{i}" for i, n in enumerate(names))
        parquet = self.file.format == "parquet"
        row = "file_row_number + 1" if parquet else "row_number() OVER ()"
        raw = ""
        if self.keep_raw:
            raw = "json_merge_patch('{}', to_json(__lf_src))"
            if parquet:
                raw = f"json_merge_patch({raw}, '{{\"file_row_number\": null}}')"
            raw = f", {raw} AS __lf_raw"
            cols += ", __lf_raw"
        return (f"SELECT __lf_row, NULL::VARCHAR AS __lf_problem{cols} FROM "
                f"(SELECT *, {row} AS __lf_row{raw} FROM {self._scan()} __lf_src)")

    def type_of(self, name: str) -> str:
        return self.columns[name]

