"""Time arithmetic for leadflow: instants, durations, calendar months, local clocks.

An instant is an integer number of microseconds since the Unix epoch, UTC.
Durations in `minute`, `hour`, `day`, `week` are fixed lengths; `month` and
`year` are calendar arithmetic on the local wall-clock time in the ruleset's
timezone, with the day clamped to the end of the target month (31 Aug minus
6 months is 28 or 29 Feb). A local time that does not exist (the spring-forward
gap) or is ambiguous (the fall-back hour) is resolved with `fold=0`, as
`zoneinfo` does (docs/semantics.md, "Time").

STANDARD LIBRARY ONLY: the compiled module embeds this file's source, so it
must not import leadflow or any third-party package.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECOND = 1_000_000
FIXED_UNITS = {
    "minute": 60 * SECOND,
    "hour": 3600 * SECOND,
    "day": 86_400 * SECOND,
    "week": 604_800 * SECOND,
}
CALENDAR_UNITS = {"month": 1, "year": 12}  # in months

# Far past and far future: what calendar arithmetic returns when it leaves
# the years datetime can represent (1..9999), so a huge window holds everything.
FAR_PAST = -(2**62)
FAR_FUTURE = 2**62

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The tzinfo of an IANA zone name; ValueError when the name is unknown."""
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r}") from None


def to_local(us: int, tz: str) -> datetime:
    """The aware local datetime of an instant."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone(tz))


def _local_at_second(us: int, tz: str) -> datetime:
    """The local datetime of `us` without its microseconds (those are `us % SECOND`).

    `fromtimestamp` on the whole second runs the same `tzinfo.fromutc` as
    `to_local`, without its timedelta arithmetic. Exact, because a zone's offsets
    change only at whole seconds (zoneinfo keeps transitions and offsets in
    seconds), so the fraction cannot cross a change. Out of datetime's range it
    raises what `to_local` raises.
    """
    try:
        return datetime.fromtimestamp(us // SECOND, zone(tz))
    except (OverflowError, ValueError, OSError):
        return to_local(us, tz).replace(microsecond=0)  # raises to_local's own error, as before


# (zone, UTC hour) → (local year, month, day, second of the local day) at the start of
# that hour, or None when the zone's offset changes within it. The hot path behind
# calendar months and local clocks: most instants a run meets fall in hours it has
# met before. Exact: an hour whose two ends have the same offset has it throughout,
# since no zone changes its offset twice within an hour (the closest two changes
# in tzdata are four days apart; tests/runtime/test_timemath_cache.py checks the
# installed zones).
_HOURS: dict[tuple[str, int], tuple[int, int, int, int] | None] = {}
_HOURS_MAX = 200_000  # entries (a few MB); then the cache starts again


def _hour_start(start: int, tz: str) -> tuple[int, int, int, int] | None:
    z = zone(tz)
    first = datetime.fromtimestamp(start, z)
    if first.utcoffset() != datetime.fromtimestamp(start + 3599, z).utcoffset():
        return None
    return first.year, first.month, first.day, first.hour * 3600 + first.minute * 60 + first.second


def _local_fields(us: int, tz: str) -> tuple[int, int, int, int]:
    """(year, month, day, second of the day) of `us` in local time, as `_local_at_second`
    gives them; from the hour's cached start when it has one."""
    sec = us // SECOND
    hour, into = divmod(sec, 3600)
    key = (tz, hour)
    start = _HOURS.get(key, False)
    if start is False:
        try:
            start = _hour_start(sec - into, tz)
        except (OverflowError, ValueError, OSError):
            start = None  # out of datetime's range: _local_at_second raises its own error
        if len(_HOURS) >= _HOURS_MAX:
            _HOURS.clear()
        _HOURS[key] = start
    if start is not None:
        year, month, day, second = start
        second += into
        if second < 86_400:  # else the hour crosses local midnight: the slow path
            return year, month, day, second
    local = _local_at_second(us, tz)
    return local.year, local.month, local.day, local.hour * 3600 + local.minute * 60 + local.second


_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH_NAIVE.toordinal()


def from_local(naive: datetime, tz: str) -> int:
    """The instant of a local wall-clock time (fold=0 for gaps and ambiguous times)."""
    if naive.tzinfo is not None or naive.fold:
        naive = naive.replace(tzinfo=None, fold=0)
    # The offset zoneinfo gives this wall-clock time with fold=0: what an aware
    # datetime's subtraction would use, without building the aware datetime.
    delta = (naive - _EPOCH_NAIVE) - zone(tz).utcoffset(naive)
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds


def add_months(us: int, months: int, tz: str) -> int:
    """Move the local month field by `months`, clamping the day; keep the time of day."""
    if months == 0:
        return us
    try:
        local_year, local_month, day, second = _local_fields(us, tz)
    except OverflowError:
        return FAR_PAST if us < 0 else FAR_FUTURE
    total = local_year * 12 + (local_month - 1) + months
    year, month0 = divmod(total, 12)
    if year < 1:
        return FAR_PAST
    if year > 9999:
        return FAR_FUTURE
    if day > 28:  # every month has 28 days: only a later day can need clamping
        day = min(day, calendar.monthrange(year, month0 + 1)[1])
    return _from_local_fields(year, month0 + 1, day, second, us % SECOND, tz)


# (zone, hour of local wall-clock time since 1970) → the UTC offset in seconds that
# zoneinfo gives (fold=0) to every wall-clock time in that hour, or None when it
# changes within the hour. Exact for the same reason as _HOURS.
_WALL_HOURS: dict[tuple[str, int], int | None] = {}
_MONTH_DAYS: dict[tuple[int, int], int] = {}  # (year, month) → days from 1970-01-01 to its 1st
_LAST_MICRO = timedelta(microseconds=3600 * SECOND - 1)


def _wall_hour_offset(hour: int, tz: str) -> int | None:
    z = zone(tz)
    start = _EPOCH_NAIVE + timedelta(hours=hour)
    first = z.utcoffset(start)
    if first != z.utcoffset(start + _LAST_MICRO):
        return None
    return first.days * 86_400 + first.seconds


def _from_local_fields(year: int, month: int, day: int, second: int, micro: int, tz: str) -> int:
    """`from_local` of that wall-clock time (`second` of the day), with the offset of its
    hour from _WALL_HOURS when it has one."""
    days = _MONTH_DAYS.get((year, month))
    if days is None:
        days = _MONTH_DAYS[(year, month)] = date(year, month, 1).toordinal() - _EPOCH_ORDINAL
    wall = (days + day - 1) * 86_400 + second
    key = (tz, wall // 3600)
    offset = _WALL_HOURS.get(key, False)
    if offset is False:
        if len(_WALL_HOURS) >= _HOURS_MAX:
            _WALL_HOURS.clear()
        offset = _WALL_HOURS[key] = _wall_hour_offset(wall // 3600, tz)
    if offset is None:
        hour, rest = divmod(second, 3600)
        return from_local(datetime(year, month, day, hour, rest // 60, rest % 60, micro), tz)
    return (wall - offset) * SECOND + micro


def add_duration(us: int, amount: int, unit: str, tz: str) -> int:
    """`us` plus `amount` units (amount may be negative)."""
    if unit in FIXED_UNITS:
        return us + amount * FIXED_UNITS[unit]
    if unit in CALENDAR_UNITS:
        return add_months(us, amount * CALENDAR_UNITS[unit], tz)
    raise ValueError(f"unknown duration unit {unit!r}")


def every_due(anchor: int, k: int, amount: int, unit: str, tz: str) -> int | None:
    """The end of the k-th period of `every amount unit` after `anchor`, or None when that
    period is empty (it would fire forever).

    Counted from the anchor, anchor + k periods, so calendar months do not drift:
    31 Jan, 29 Feb, 31 Mar.
    """
    due = add_duration(anchor, k * amount, unit, tz)
    if amount > 0 and FAR_PAST < due < FAR_FUTURE:
        # Not at a clamp: the period before ended earlier (fixed units add a positive length;
        # two calendar months apart, wall clocks are 28 days or more apart).
        return due
    if due <= add_duration(anchor, (k - 1) * amount, unit, tz):
        return None
    return due


def duration_value(amount: int, unit: str, now: int, tz: str) -> int:
    """A duration used as a value, in microseconds.

    Fixed units are their length; a calendar duration is measured back from
    `now`: `now - (now - amount units)` (docs/semantics.md, durations as values).
    """
    if unit in FIXED_UNITS:
        return amount * FIXED_UNITS[unit]
    return calendar_length(now, amount * CALENDAR_UNITS[unit], tz)


def calendar_length(now: int, months: int, tz: str) -> int:
    """`months` calendar months used as a value at `now`, in microseconds: now - (now - months)."""
    return now - add_months(now, -months, tz)


def local_minutes(us: int, tz: str) -> int:
    """Minutes after local midnight (seconds ignored): the quiet-hours clock."""
    return _local_fields(us, tz)[3] // 60


def in_clock_range(us: int, start_minutes: int, end_minutes: int, tz: str) -> bool:
    """Whether the local time of `us` falls in [start, end); the range wraps midnight when start > end."""
    minutes = local_minutes(us, tz)
    if start_minutes < end_minutes:
        return start_minutes <= minutes < end_minutes
    if start_minutes > end_minutes:
        return minutes >= start_minutes or minutes < end_minutes
    return False  # an empty range


def next_local_clock(us: int, clock_minutes: int, tz: str) -> int:
    """The first instant after `us` at which the local clock reads `clock_minutes` (fold=0)."""
    year, month, day, _ = _local_fields(us, tz)
    hour, minute = divmod(clock_minutes, 60)
    candidate = datetime(year, month, day, hour, minute)
    for _ in range(3):  # at most a day or two ahead, even across a DST change
        at = from_local(candidate, tz)
        if at > us:
            return at
        candidate += timedelta(days=1)
    return at


# ------------------------------------------------------------- ISO-8601 text

# The one grammar of a time in leadflow: test blocks, --as-of and every time
# read from a log (runtime/rows.py runs this same pattern inside DuckDB, which
# is why it uses only syntax RE2 shares: [0-9], not \d, which in Python also
# matches other scripts' digits). Hours 00-23; an offset within +-18:00.
ISO_PATTERN = (
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ]([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]{1,9}))?)?)?"
    r"[ \t]*(Z|z|[+-](?:0[0-9]|1[0-8]):?[0-5][0-9])?"
)
_ISO = re.compile(ISO_PATTERN)


def parse_instant(text: str, tz: str) -> int:
    """Parse `2024-01-10`, `2024-01-10T09:30[:00[.123]]`, with `Z` or `+01:00` or no offset.

    Without an offset the time is local to `tz`. Raises ValueError with a
    message a user can act on.
    """
    match = _ISO.fullmatch(text.strip(" "))
    if match is None:
        raise ValueError(f"`{text}` is not an ISO-8601 time (like 2024-01-10T09:30)")
    date, hour, minute, second, fraction, offset = match.groups()
    year, month, day = date.split("-")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0), micro)
    except ValueError as exc:
        raise ValueError(f"`{text}` is not a valid time: {exc}") from None
    if offset is None:
        return from_local(naive, tz)
    if offset in ("Z", "z"):
        shift = 0
    else:
        digits = offset[1:].replace(":", "")
        shift = (int(digits[:2]) * 60 + int(digits[2:])) * (1 if offset[0] == "+" else -1)
    delta = naive.replace(tzinfo=UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds - shift * 60 * SECOND


def format_instant(us: int) -> str:
    """ISO-8601 UTC: `2024-01-10T08:30:00Z`, with microseconds only when there are some."""
    moment = _EPOCH + timedelta(microseconds=us)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def format_wall_clock(us: int, tz: str) -> str:
    """Local wall-clock time without offset, as a test block writes it: `2024-05-20T10:00`,
    with seconds (and microseconds) only when there are some."""
    local = to_local(us, tz)
    text = local.strftime("%Y-%m-%dT%H:%M")
    if local.second or local.microsecond:
        text += local.strftime(":%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}"
    return text


def format_local(us: int, tz: str) -> str:
    """Local wall-clock time with its offset, for people: `2024-01-10T09:30:00+01:00`."""
    return to_local(us, tz).isoformat(timespec="seconds")


def describe_duration(us: int) -> str:
    """A length of time for people: `2 days 3 hours`, `45 minutes`, `0 seconds`."""
    sign = "-" if us < 0 else ""
    rest = abs(us)
    parts = []
    for name, size in (("day", FIXED_UNITS["day"]), ("hour", FIXED_UNITS["hour"]),
                       ("minute", FIXED_UNITS["minute"]), ("second", SECOND)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    if rest:
        parts.append(f"{rest} µs")
    return sign + (" ".join(parts) if parts else "0 seconds")
