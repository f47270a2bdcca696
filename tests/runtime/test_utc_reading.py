"""A ruleset in UTC reads times without a zone conversion, and gets the same instants."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.runtime.readers import ColumnNames, InputFile
from leadflow.runtime.rows import is_utc, literal, time_value
from leadflow.runtime.staging import Staging
from leadflow.semantics import timemath

TIMES = st.from_regex(r"\A(19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                      r"([T ]([01][0-9]|2[0-9]):[0-6][0-9](:[0-6][0-9](\.[0-9]{1,9})?)?)?"
                      r"( ?(Z|z|[+-][0-2][0-9]:?[0-6][0-9]))?\Z")
EVENTS = {"visit": (("when", "time"),)}


@pytest.fixture(scope="module")
def staging():
    with Staging("UTC") as work:
        yield work


def python_time(text: str) -> int | None:
    try:
        return timemath.parse_instant(text, "UTC")
    except ValueError:
        return None


def test_utc_names():
    assert is_utc("UTC") and is_utc("Etc/UTC") and is_utc("GMT")
    assert not is_utc("Europe/London") and not is_utc("Etc/GMT+1") and not is_utc("utc ")


@given(TIMES)
def test_the_direct_reading_agrees_with_the_zone_conversion(staging, text):
    def read(utc: bool) -> int | None:
        sql = time_value(literal(text), "VARCHAR", utc).value
        return staging.con.sql("SELECT " + sql).fetchall()[0][0]

    assert read(True) == read(False) == python_time(text)


def test_a_log_in_utc_is_read_without_conversion_and_rightly(tmp_path, staging):
    texts = ["2024-03-31 02:30", "2024-10-27T01:30:00Z", "2024-01-10T09:30:00+01:00",
             "2024-01-10", "2024-02-30", "2024-01-10T09:30:00.123456789Z"]
    csv = tmp_path / "log.csv"
    csv.write_text("lead_id,event,ts,when\n" + "".join(f"L{i},visit,{t},{t}\n"
                                                     for i, t in enumerate(texts)))
    parquet = tmp_path / "log.parquet"
    naive = [dt.datetime(2024, 3, 31, 2, 30), dt.datetime(1999, 12, 31, 23, 59, 59, 999999)]
    pq.write_table(pa.table({"lead_id": ["P0", "P1"], "event": ["visit"] * 2,
                             "ts": pa.array(naive, pa.timestamp("us")),
                             "when": pa.array([d.date() for d in naive], pa.date32())}), parquet)
    with Staging("UTC") as work:
        assert work.utc
        work.load_events([InputFile(str(csv), "csv"), InputFile(str(parquet), "parquet")],
                         ColumnNames(), EVENTS)
        rows = work.con.sql("SELECT lead_id, ts_us, v0 FROM events ORDER BY file_no, row_no").fetchall()
    expected = [(f"L{i}", python_time(t), python_time(t)) for i, t in enumerate(texts)]
    expected += [(f"P{i}", python_time(d.isoformat()), python_time(d.date().isoformat()))
                 for i, d in enumerate(naive)]
    assert rows == expected
    assert rows[4] == ("L4", None, None)  # February 30th: rejected, as in any zone
