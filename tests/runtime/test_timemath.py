"""Calendar and fixed-length arithmetic, local clocks and ISO text (semantics/timemath.py)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.semantics import timemath as tm

MADRID = "Europe/Madrid"
UTC = "UTC"
HOUR = 3600 * tm.SECOND
DAY = 24 * HOUR


def at(text: str, tz: str = UTC) -> int:
    return tm.parse_instant(text, tz)


@pytest.mark.parametrize("text, tz, expected", [
    ("2024-01-10", UTC, "2024-01-10T00:00:00Z"),
    ("2024-01-10T09:30", UTC, "2024-01-10T09:30:00Z"),
    ("2024-01-10T09:30:15.25Z", MADRID, "2024-01-10T09:30:15.250000Z"),
    ("2024-01-10T09:30", MADRID, "2024-01-10T08:30:00Z"),           # CET, +01:00
    ("2024-07-10T09:30", MADRID, "2024-07-10T07:30:00Z"),           # CEST, +02:00
    ("2024-07-10T09:30+05:30", MADRID, "2024-07-10T04:00:00Z"),     # an offset wins over the zone
    ("2024-07-10 09:30:00", UTC, "2024-07-10T09:30:00Z"),           # a space, as in CSV exports
], ids=["date", "minutes", "fraction-Z", "madrid-winter", "madrid-summer", "offset", "space"])
def test_parse_and_format(text, tz, expected):
    assert tm.format_instant(tm.parse_instant(text, tz)) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "2024-13-01", "yesterday", "2024-01-10T25:00"])
def test_parse_rejects_impossible_times_with_a_message(text):
    with pytest.raises(ValueError, match=text.split("T")[0]):
        tm.parse_instant(text, UTC)


@pytest.mark.parametrize("start, months, expected", [
    ("2024-08-31", -6, "2024-02-29"),   # leap year: clamps to 29 Feb
    ("2023-08-31", -6, "2023-02-28"),
    ("2024-01-31", 1, "2024-02-29"),
    ("2024-03-31", -1, "2024-02-29"),
    ("2024-02-29", 12, "2025-02-28"),   # a year is 12 months
    ("2024-05-15", 0, "2024-05-15"),
    ("2024-12-15", 1, "2025-01-15"),
    ("2024-01-15", -13, "2022-12-15"),
], ids=lambda v: str(v))
def test_calendar_months_clamp_the_day(start, months, expected):
    assert tm.add_months(at(start, MADRID), months, MADRID) == at(expected, MADRID)


def test_months_keep_local_wall_clock_across_dst():
    # 10:00 CET in January + 6 months = 10:00 CEST in July: 5 hours fewer than 181 days × 24 h.
    start = at("2024-01-10T10:00", MADRID)
    moved = tm.add_duration(start, 6, "month", MADRID)
    assert tm.format_local(moved, MADRID) == "2024-07-10T10:00:00+02:00"
    assert moved - start == 182 * DAY - HOUR


def test_fixed_units_ignore_dst():
    # docs/semantics.md: 1 day after 2024-03-30T12:00 Madrid is 13:00 local (24 hours later).
    start = at("2024-03-30T12:00", MADRID)
    later = tm.add_duration(start, 1, "day", MADRID)
    assert later - start == DAY
    assert tm.format_local(later, MADRID) == "2024-03-31T13:00:00+02:00"


def test_gap_time_resolves_with_fold_0():
    # 2024-03-31 02:30 does not exist in Madrid; fold=0 reads it with the old offset (+01:00),
    # which is 03:30 CEST on the wall.
    start = at("2024-01-31T02:30", MADRID)
    moved = tm.add_months(start, 2, MADRID)
    assert tm.format_local(moved, MADRID) == "2024-03-31T03:30:00+02:00"


def test_ambiguous_time_takes_the_first_occurrence():
    # 2024-10-27 02:30 happens twice in Madrid; the first is at +02:00.
    start = at("2024-09-27T02:30", MADRID)
    moved = tm.add_months(start, 1, MADRID)
    assert tm.format_instant(moved) == "2024-10-27T00:30:00Z"


def test_duration_value_of_a_calendar_unit_is_measured_back_from_now():
    now = at("2024-03-31T12:00", UTC)
    assert tm.duration_value(1, "month", now, UTC) == 31 * DAY  # back to 29 Feb (clamped)
    assert now - tm.add_duration(now, -1, "month", UTC) == tm.duration_value(1, "month", now, UTC)
    assert tm.duration_value(2, "day", now, UTC) == 2 * DAY


def test_huge_calendar_shifts_saturate_instead_of_failing():
    now = at("2024-01-01")
    assert tm.add_duration(now, -5000, "year", UTC) == tm.FAR_PAST
    assert tm.add_duration(now, 9000, "year", UTC) == tm.FAR_FUTURE


@pytest.mark.parametrize("local, start, end, inside", [
    ("23:00", "22:00", "08:00", True),
    ("07:59", "22:00", "08:00", True),
    ("08:00", "22:00", "08:00", False),
    ("21:59", "22:00", "08:00", False),
    ("12:00", "12:00", "14:00", True),
    ("14:00", "12:00", "14:00", False),
    ("12:00", "12:00", "12:00", False),   # an empty range
], ids=lambda v: str(v))
def test_clock_ranges_are_half_open_and_wrap_midnight(local, start, end, inside):
    def minutes(text):
        h, m = text.split(":")
        return int(h) * 60 + int(m)
    us = at(f"2024-06-01T{local}", MADRID)
    assert tm.in_clock_range(us, minutes(start), minutes(end), MADRID) is inside


def test_next_local_clock():
    night = at("2024-06-01T23:30", MADRID)
    assert tm.format_local(tm.next_local_clock(night, 8 * 60, MADRID), MADRID) == "2024-06-02T08:00:00+02:00"
    early = at("2024-06-02T03:00", MADRID)
    assert tm.format_local(tm.next_local_clock(early, 8 * 60, MADRID), MADRID) == "2024-06-02T08:00:00+02:00"
    # across the spring-forward night, 08:00 is still 08:00 local
    saturday = at("2024-03-30T23:00", MADRID)
    assert tm.format_local(tm.next_local_clock(saturday, 8 * 60, MADRID), MADRID) == "2024-03-31T08:00:00+02:00"


def test_unknown_timezone_is_a_value_error():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        tm.zone("Mars/Olympus")


def test_describe_duration():
    assert tm.describe_duration(2 * DAY + 3 * HOUR) == "2 days 3 hours"
    assert tm.describe_duration(0) == "0 seconds"
    assert tm.describe_duration(-60 * tm.SECOND) == "-1 minute"


instants = st.integers(min_value=at("1990-01-01"), max_value=at("2060-01-01"))


@given(instants)
def test_format_then_parse_round_trips(us):
    assert tm.parse_instant(tm.format_instant(us), MADRID) == us


@given(instants, st.integers(-400, 400))
def test_months_then_back_never_lands_later_than_the_start_day(us, months):
    # Clamping only ever moves a day earlier (31 → 30/29/28), never later.
    there = tm.add_months(us, months, MADRID)
    back = tm.add_months(there, -months, MADRID)
    assert tm.to_local(back, MADRID).day <= tm.to_local(us, MADRID).day


@given(instants, st.integers(1, 40))
def test_windows_are_monotone(us, months):
    # More months back is never later.
    assert tm.add_months(us, -months - 1, MADRID) < tm.add_months(us, -months, MADRID) <= us


# ------------------------------------------- the fast local-time paths against their definitions
#
# add_months, local_minutes, next_local_clock and from_local read a zone's offset from
# `datetime.fromtimestamp` on the whole second and `utcoffset` on the wall-clock time,
# instead of building aware datetimes. These are the plain definitions (the code they
# replaced); the fast paths must agree with them everywhere, to the microsecond, around
# every kind of offset change.

def plain_to_local(us, tz):
    return (tm._EPOCH + timedelta(microseconds=us)).astimezone(tm.zone(tz))


def plain_from_local(naive, tz):
    delta = naive.replace(tzinfo=tm.zone(tz), fold=0) - tm._EPOCH
    return (delta.days * 86_400 + delta.seconds) * tm.SECOND + delta.microseconds


def plain_add_months(us, months, tz):
    if months == 0:
        return us
    try:
        local = plain_to_local(us, tz)
    except OverflowError:
        return tm.FAR_PAST if us < 0 else tm.FAR_FUTURE
    year, month0 = divmod(local.year * 12 + (local.month - 1) + months, 12)
    if year < 1:
        return tm.FAR_PAST
    if year > 9999:
        return tm.FAR_FUTURE
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    return plain_from_local(local.replace(tzinfo=None, year=year, month=month0 + 1, day=day, fold=0), tz)


def plain_local_minutes(us, tz):
    local = plain_to_local(us, tz)
    return local.hour * 60 + local.minute


def plain_next_local_clock(us, clock, tz):
    local = plain_to_local(us, tz).replace(tzinfo=None, fold=0)
    candidate = local.replace(hour=clock // 60, minute=clock % 60, second=0, microsecond=0)
    for _ in range(3):
        at_ = plain_from_local(candidate, tz)
        if at_ > us:
            return at_
        candidate += timedelta(days=1)
    return at_


# Whole-hour, half-hour and 45-minute offsets; DST of 30 minutes (Lord Howe), negative DST
# (Dublin, Casablanca), a skipped calendar day (Apia), an offset in seconds (Amsterdam before 1937).
ZONES = ["UTC", MADRID, "America/St_Johns", "Asia/Kathmandu", "Asia/Kolkata", "Australia/Lord_Howe",
         "Pacific/Chatham", "Europe/Dublin", "Africa/Casablanca", "Pacific/Apia", "Europe/Amsterdam",
         "America/Sao_Paulo", "America/New_York"]
HALF_HOUR = 1_800 * tm.SECOND
# Offset changes happen on whole quarter hours almost everywhere: aim at them and at the
# microseconds either side, as well as anywhere in 1850..2150.
near_changes = st.builds(lambda t, d: t - t % (HALF_HOUR // 2) + d,
                         st.integers(at("1850-01-01"), at("2150-01-01")),
                         st.sampled_from([0, 1, -1, tm.SECOND - 1, tm.SECOND, -tm.SECOND, 59 * tm.SECOND]))
any_time = st.one_of(near_changes, st.integers(at("1850-01-01"), at("2150-01-01")))


def outcome(fn, *args):
    try:
        return fn(*args)
    except (OverflowError, ValueError, OSError) as exc:  # the same error type counts as agreeing
        return type(exc)


@given(any_time, st.integers(-30, 30), st.sampled_from(ZONES))
def test_add_months_agrees_with_its_definition(us, months, tz):
    assert tm.add_months(us, months, tz) == plain_add_months(us, months, tz)


@given(any_time, st.integers(0, 1439), st.sampled_from(ZONES))
def test_local_clocks_agree_with_their_definitions(us, clock, tz):
    assert tm.local_minutes(us, tz) == plain_local_minutes(us, tz)
    assert tm.next_local_clock(us, clock, tz) == plain_next_local_clock(us, clock, tz)


@given(any_time, st.sampled_from(ZONES), st.booleans())
def test_from_local_agrees_with_its_definition(us, tz, fold):
    naive = (datetime(1970, 1, 1) + timedelta(microseconds=us)).replace(fold=int(fold))
    assert tm.from_local(naive, tz) == plain_from_local(naive, tz)
    aware = naive.replace(tzinfo=tm.zone("Asia/Tokyo"))  # another zone's tzinfo is overridden
    assert tm.from_local(aware, tz) == plain_from_local(aware, tz)


@pytest.mark.parametrize("us", [-(2**62), 2**62, at("0001-01-01") - 1, at("0001-01-01") + 1,
                                at("9999-12-31T23:59:59") + 999_999, at("9999-12-31T23:59:59") + tm.SECOND],
                         ids=["far-past", "far-future", "before-year-1", "year-1", "last", "after-9999"])
@pytest.mark.parametrize("tz", ["UTC", MADRID, "Pacific/Chatham", "America/St_Johns"])
def test_the_edges_of_datetime_behave_as_defined(us, tz):
    for months in (-1, 1):
        assert outcome(tm.add_months, us, months, tz) == outcome(plain_add_months, us, months, tz)
    assert outcome(tm.local_minutes, us, tz) == outcome(plain_local_minutes, us, tz)
    assert outcome(tm.next_local_clock, us, 480, tz) == outcome(plain_next_local_clock, us, 480, tz)


@pytest.mark.parametrize("change, tz, before, after", [
    ("2024-03-31T01:00:00Z", MADRID, 1 * 60 + 59, 3 * 60),            # spring forward
    ("2024-10-27T01:00:00Z", MADRID, 2 * 60 + 59, 2 * 60),            # fall back: 02:00 again
    ("2024-03-10T05:30:00Z", "America/St_Johns", 1 * 60 + 59, 3 * 60),  # at -03:30
    ("2024-04-06T15:00:00Z", "Australia/Lord_Howe", 1 * 60 + 59, 1 * 60 + 30),  # a 30-minute DST
    ("2024-04-06T14:00:00Z", "Pacific/Chatham", 3 * 60 + 44, 2 * 60 + 45),  # at +13:45 → +12:45
], ids=["madrid-spring", "madrid-fall", "st-johns", "lord-howe", "chatham"])
def test_a_microsecond_either_side_of_an_offset_change(change, tz, before, after):
    # The last microsecond before the change still reads the old offset, the change itself
    # the new one: the fraction of a second never crosses a change.
    instant = at(change)
    assert tm.local_minutes(instant - 1, tz) == before
    assert tm.local_minutes(instant, tz) == after
    for us in (instant - 1, instant, instant + 1):
        for months in (-1, 1, 6):
            assert tm.add_months(us, months, tz) == plain_add_months(us, months, tz)
        assert tm.next_local_clock(us, 8 * 60, tz) == plain_next_local_clock(us, 8 * 60, tz)


@pytest.mark.parametrize("fold", [0, 1])
def test_from_local_reads_an_ambiguous_time_with_fold_0_whatever_fold_it_carries(fold):
    # 2024-10-27 02:30 happens twice in Madrid; the first (fold=0) is 00:30Z.
    naive = datetime(2024, 10, 27, 2, 30, fold=fold)
    assert tm.format_instant(tm.from_local(naive, MADRID)) == "2024-10-27T00:30:00Z"
    assert tm.from_local(naive, MADRID) == plain_from_local(naive, MADRID)
