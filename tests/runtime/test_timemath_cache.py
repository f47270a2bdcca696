"""The caches of semantics/timemath.py give exactly what `fromtimestamp` and `from_local`
give, across DST changes, odd offsets and the far past and future."""

from __future__ import annotations

import importlib
import zoneinfo
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.semantics import timemath
from leadflow.semantics.timemath import (
    SECOND,
    _from_local_fields,
    _local_at_second,
    _local_fields,
    from_local,
    zone,
)

ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
         "America/St_Johns", "Africa/Casablanca", "Pacific/Apia", "Europe/Dublin"]
# Around the changes of 2024 in Madrid and New York, and 1900 (local mean time: offsets in seconds)
EDGES = [1711846800, 1729990800, 1710054000, 1730613600, -2208988800, 0]


def expected(us: int, tz: str) -> tuple[int, int, int, int]:
    local = datetime.fromtimestamp(us // SECOND, zone(tz))
    return local.year, local.month, local.day, local.hour * 3600 + local.minute * 60 + local.second


@pytest.mark.parametrize("tz", ZONES)
def test_every_second_around_a_change_is_exact(tz):
    for edge in EDGES:
        for second in range(edge - 7300, edge + 7300, 37):
            us = second * SECOND + 123
            assert _local_fields(us, tz) == expected(us, tz), (tz, second)


@given(st.integers(-62_000_000_000, 253_000_000_000), st.sampled_from(ZONES))  # years 6-9987
def test_any_instant_is_exact(seconds, tz):
    us = seconds * SECOND + 999_999
    assert _local_fields(us, tz) == expected(us, tz)
    assert _local_fields(us, tz) == expected(us, tz)  # again, from the cache


def test_out_of_range_raises_what_fromtimestamp_path_raises():
    us = 2**62
    with pytest.raises(Exception) as slow:
        _local_at_second(us, "Europe/Madrid")
    with pytest.raises(slow.type):
        _local_fields(us, "Europe/Madrid")


def test_the_cache_starts_again_when_full(monkeypatch):
    monkeypatch.setattr(timemath, "_HOURS", {})
    monkeypatch.setattr(timemath, "_HOURS_MAX", 3)
    for hour in range(10):
        assert _local_fields(hour * 3600 * SECOND, "Europe/Madrid") == \
            expected(hour * 3600 * SECOND, "Europe/Madrid")
    assert len(timemath._HOURS) <= 3


def test_no_installed_zone_changes_its_offset_twice_within_an_hour():
    """What makes the hour cache exact: equal offsets at both ends of an hour mean one
    offset throughout. Checked on the transitions of every zone installed here."""
    try:  # the pure-Python zoneinfo, whose zones show their transitions
        pure = importlib.import_module("zoneinfo._zoneinfo").ZoneInfo
    except (ImportError, AttributeError):
        pure = None
    if pure is None or not hasattr(pure.no_cache("Europe/Madrid"), "_trans_utc"):
        pytest.skip("this Python's zoneinfo does not show its transitions")
    gaps = []
    for name in zoneinfo.available_timezones():
        try:
            changes = pure.no_cache(name)._trans_utc
        except (OSError, ValueError):  # listed, but without data here
            continue
        gaps += [b - a for a, b in pairwise(changes)]
    assert gaps and min(gaps) > 3600


@pytest.mark.parametrize("tz", ZONES)
def test_wall_clock_times_around_a_change_map_as_from_local_maps_them(tz):
    """Gaps (spring forward) and repeated hours (fall back) included: fold=0, as zoneinfo."""
    for edge in EDGES:
        center = datetime.fromtimestamp(edge, zone(tz)).replace(tzinfo=None)
        for second in range(-7300, 7300, 41):
            wall = center + timedelta(seconds=second, microseconds=7)
            got = _from_local_fields(wall.year, wall.month, wall.day,
                                     wall.hour * 3600 + wall.minute * 60 + wall.second, 7, tz)
            assert got == from_local(wall, tz), (tz, wall)
