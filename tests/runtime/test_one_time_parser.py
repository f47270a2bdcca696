"""One time parser: a log read by `run`, --as-of and test blocks read every time alike (issue 10, item 9)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.api import load_text
from leadflow.runtime.rows import literal, time_value
from leadflow.runtime.staging import Staging
from leadflow.semantics import timemath

MADRID = "Europe/Madrid"


@pytest.fixture(scope="module")
def staging():
    with Staging(MADRID) as work:
        yield work


def sql_time(staging: Staging, text: str) -> int | None:
    return staging.con.sql("SELECT " + time_value(literal(text), "VARCHAR").value).fetchall()[0][0]


def python_time(text: str) -> int | None:
    try:
        return timemath.parse_instant(text, MADRID)
    except ValueError:
        return None


def test_item09_ambiguous_local_time_is_the_first_everywhere(staging):
    text = "2024-10-27T02:30"  # Madrid: clocks go back from 03:00 CEST to 02:00 CET
    first = timemath.parse_instant("2024-10-27T00:30:00Z", "UTC")  # 02:30 CEST
    assert python_time(text) == first
    assert sql_time(staging, text) == first  # the log, as `run` reads it
    assert staging.parse_time(text) == first  # --as-of
    # A Parquet TIMESTAMP column (wall clock in the ruleset's zone) too.
    value = staging.con.sql("SELECT " + time_value("TIMESTAMP '2024-10-27 02:30'", "TIMESTAMP").value)
    assert value.fetchall()[0][0] == first


@pytest.mark.parametrize("text", [
    "2024-03-31 02:30", "2024-10-27 01:30", "2024-10-27 03:30", "2024-01-10T09:30:00+25:00",
    "2024-01-10T09:30:00-18:00", "2024-1-5", "2024-01-10T24:00", "2024-01-10z", "2024-01-10+01:00",
    "2024-01-10 09:30 +01:00", "2024-01-10T09:30:00.123456789Z", "0000-01-01", "2024-02-30",
    "next week", "epoch", "infinity", "2024-01-10 09:30 Europe/London", "2924-01-01T00:00",
])
def test_the_log_reader_and_timemath_agree(staging, text):
    assert sql_time(staging, text) == python_time(text)


@given(st.from_regex(r"\A(19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                     r"([T ]([01][0-9]|2[0-9]):[0-6][0-9](:[0-6][0-9](\.[0-9]{1,9})?)?)?"
                     r"( ?(Z|z|[+-][0-2][0-9]:?[0-6][0-9]))?\Z"))
def test_the_log_reader_and_timemath_agree_on_generated_times(staging, text):
    assert sql_time(staging, text) == python_time(text)


def test_offsets_beyond_18_hours_are_refused_by_check():
    loaded = load_text('timezone "UTC"\nevent e\ntest "t"\n  at 2024-01-10T09:30+25:00 e()\nend\n', "t")
    assert not loaded.ok


def test_a_machine_local_zone_name_is_refused_by_check():
    loaded = load_text('timezone "localtime"\nevent e\n', "t")
    assert not loaded.ok and "unknown timezone" in loaded.render()
