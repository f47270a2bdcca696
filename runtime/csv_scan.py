"""Opening a CSV file in DuckDB so that every physical line is accounted for.

DuckDB's CSV sniffer guesses the dialect from a sample and gives up on small or
ragged files; and with a lenient parser an unterminated quote silently swallows
every line after it into one value. So we never let DuckDB guess:

1. One cheap pass reads the file as plain lines (no quoting) and gives the
   header line, the number of lines and how many `"` they hold.
2. The header is parsed here, with the delimiter given (`--delimiter`) or
   found in it (`,`, else `;`, tab or `|`: Spanish Excel writes `;`), and
   duplicated column names are refused rather than renamed behind the user's back.
3. The data is read with those columns, `auto_detect = false`. Rows with
   fewer or more fields stay rows (short ones padded with NULL).
4. When a value may span lines, the last row is checked: a value holding a
   line break that ends exactly where the file ends had its quote never
   closed; the file is refused, naming the line where the quote opened.

DuckDB's parallel reader cannot follow a quoted value across lines, so a file
whose quotes pair up across lines is read with `parallel = false`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import duckdb

from leadflow.runtime.rows import ident, literal

DELIMITERS = (",", ";", "\t", "|")
SHOWN = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


class CsvError(Exception):
    """The file cannot be read as CSV: the message says where and why (no file name)."""


def lines_scan(path: str) -> str:
    """The file as one text column `line`, one row per physical line (blank lines too)."""
    # \x01 never occurs in text files, so nothing splits a line; no quote: raw lines.
    return (f"read_csv({literal(path)}, columns = {{'line': 'VARCHAR'}}, header = false, "
            f"delim = E'\\x01', quote = '', escape = '', auto_detect = false, strict_mode = false)")


def quotes_in(column: str) -> str:
    return f"(length({column}) - length(replace({column}, '\"', '')))"


def newlines_in(column: str) -> str:
    return f"coalesce(length({column}) - length(replace({column}, chr(10), '')), 0)"


@dataclass(frozen=True)
class CsvLayout:
    """What the first pass found: enough to read the file without guessing."""

    header: tuple[str, ...]
    delimiter: str
    lines: int  # physical lines, header and blank lines included
    quotes: int  # `"` characters in the whole file
    spans_lines: bool  # some line holds an odd number of quotes: a value may span lines

    def scan(self, path: str) -> str:
        columns = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in self.header)
        return (f"read_csv({literal(path)}, columns = {{{columns}}}, header = true, "
                f"auto_detect = false, delim = {literal(self.delimiter)}, quote = '\"', "
                f"escape = '\"', null_padding = true, strict_mode = false, "
                f"parallel = {'false' if self.spans_lines else 'true'})")


def csv_layout(con: duckdb.DuckDBPyConnection, path: str, delimiter: str | None) -> CsvLayout:
    """The first pass (see the module doc); CsvError when the file cannot be read as CSV."""
    lines = lines_scan(path)
    try:
        count, quotes, odd = con.sql(
            f"SELECT count(*), coalesce(sum({quotes_in('line')}), 0), "
            f"coalesce(bool_or({quotes_in('line')} % 2 = 1), false) FROM {lines}").fetchall()[0]
        first = con.sql(f"SELECT line FROM {lines} LIMIT 1").fetchall()
    except duckdb.Error as exc:
        raise CsvError(csv_problem(exc)) from None
    head = (first[0][0] or "") if first else ""
    if not head.strip():
        raise CsvError("the first line is empty; it must be the header row (the column names)")
    chosen = delimiter or next((d for d in DELIMITERS if d in head), ",")
    header = tuple(name.strip() for name in next(csv.reader([head], delimiter=chosen)))
    seen: dict[str, int] = {}
    for number, name in enumerate(header, 1):
        if name in seen:
            raise CsvError(f"the header names column {name!r} twice (columns {seen[name]} and "
                           f"{number}); rename one of them")
        seen[name] = number
    return CsvLayout(header, chosen, count, quotes, odd)


def check_quotes_close(con: duckdb.DuckDBPyConnection, path: str, layout: CsvLayout) -> None:
    """CsvError when a quote opened in the last row runs to the end of the file.

    Only then can lines vanish: a quote never closed makes the rest of the file
    one value of the last row. Such a value ends exactly where the file ends,
    while a quoted value that was closed is followed by its closing quote.
    """
    if not layout.spans_lines:
        return  # every line's quotes pair up: no value continues past its line
    values = ", ".join(ident(name) for name in layout.header)
    try:
        last = con.sql(f"SELECT {values} FROM (SELECT row_number() OVER () AS __r, * FROM "
                       f"{layout.scan(path)}) ORDER BY __r DESC LIMIT 1").fetchall()
    except duckdb.Error as exc:
        raise CsvError(csv_problem(exc)) from None
    spanning = [v.replace("\r", "") for v in (last[0] if last else ()) if v and "\n" in v]
    if not spanning:
        return
    swallowed = max(v.count("\n") for v in spanning)
    tail = con.sql(f"SELECT line FROM (SELECT row_number() OVER () AS __r, line FROM "
                   f"{lines_scan(path)}) WHERE __r > {layout.lines - swallowed - 1} "
                   f"ORDER BY __r").fetchall()
    text = "\n".join((line or "") for (line,) in tail).replace("\r", "").rstrip("\n")
    if any(value.rstrip("\n") and text.endswith(value.rstrip("\n")) for value in spanning):
        line = layout.lines - swallowed
        raise CsvError(f"line {line:,} opens a quote that is never closed, so the {swallowed:,} "
                       f"line(s) after it would be read as one value; close the quote (a quote "
                       f"inside a quoted value is written twice: \"\")")


_LINE = re.compile(r"CSV Error on Line: (\d+)")


def csv_problem(exc: duckdb.Error) -> str:
    """A DuckDB CSV error as one line: where, and what is wrong there."""
    text = str(exc)
    where = _LINE.search(text)
    at = f"line {int(where.group(1)):,}: " if where else ""
    if "Invalid unicode" in text or "not utf-8" in text:
        return f"{at}not valid UTF-8 text (save the file as UTF-8)"
    if "maximum line size" in text.lower():
        return f"{at}the line is too long (over 2 MB)"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    head, sep, rest = first.partition(" Error: ")
    return at + (rest if sep and len(head) < 30 else first)
