"""The seed ruleset written by hand as a plain Python loop: the practical ceiling for Python.

    ruleset seed                      (bench/seed.leadflow)
    score engagement min 0
    rule open:     on email_open add 1
    rule click:    on email_click add 2
    rule big:      on purchase where amount > 100 add 10
    rule huge:     on purchase where amount > 300 add 50
    rule frequent: on purchase count >= 3 within 6 months add 15
    rule cooling:  every 30 days without activity subtract 5

What a careful engineer would write for exactly these rules, on the same
columns the compiled module reads (times in µs UTC, event codes in declaration
order, one list per field): the score in a local, the last three purchase
times in a deque, the next "30 days without activity" due time in a local, the
calendar window computed only when three purchases could be inside it. It
follows the same semantics (docs/semantics.md), so its scores equal the
engines' (the bench checks that).
"""

from __future__ import annotations

import calendar
from collections import deque
from datetime import date

DAY = 86_400_000_000
PERIOD = 30 * DAY  # every 30 days without activity
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
EMAIL_OPEN, EMAIL_CLICK, PAGE_VIEW, PURCHASE = 0, 1, 2, 3  # codes: declaration order
AMOUNT = 1  # the column of purchase.amount (url is 0)
# Six calendar months are never shorter than 181 days nor longer than 184 (+3 when the
# day is clamped): outside that band the window test needs no calendar arithmetic.
SHORTEST, LONGEST = 181 * DAY, 187 * DAY


def six_months_before(us: int) -> int:
    """us − 6 calendar months in UTC, the day clamped to the end of the month."""
    days, time_of_day = divmod(us, DAY)
    day = date.fromordinal(days + EPOCH_ORDINAL)
    months = day.year * 12 + day.month - 1 - 6
    year, month = divmod(months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    moved = date(year, month + 1, min(day.day, last))
    return (moved.toordinal() - EPOCH_ORDINAL) * DAY + time_of_day


def run_lead(times, codes, columns, start: int, stop: int, as_of: int | None) -> float:
    """The lead's `engagement` after its events start..stop and the timers up to as_of."""
    amounts = columns[AMOUNT]
    score = 0.0
    purchases = deque(maxlen=3)
    due = None
    for i in range(start, stop):
        t = times[i]
        if due is not None and due <= t:
            while due <= t:  # 30 days passed without activity: -5, again every 30 days
                score -= 5
                if score < 0:
                    score = 0.0
                due += PERIOD
        due = t + PERIOD  # any event is activity
        code = codes[i]
        if code == EMAIL_OPEN:
            score += 1
        elif code == EMAIL_CLICK:
            score += 2
        elif code == PURCHASE:
            purchases.append(t)
            amount = amounts[i]
            if amount is not None and amount > 100:
                score += 10
                if amount > 300:
                    score += 50
            if len(purchases) == 3:
                age = t - purchases[0]
                if age < SHORTEST or (age < LONGEST and purchases[0] > six_months_before(t)):
                    score += 15
    if due is not None and as_of is not None:
        while due <= as_of:
            score -= 5
            if score < 0:
                score = 0.0
            due += PERIOD
    return score


class LeadStream:
    """The same loop, fed row by row from sorted batches (leads may span batches)."""

    def __init__(self, as_of: int | None):
        self.as_of = as_of
        self.results: dict[str, float] = {}
        self.lead = None
        self.score = 0.0
        self.purchases: deque = deque(maxlen=3)
        self.due = None

    def close(self) -> None:
        if self.lead is None:
            return
        score, due = self.score, self.due
        if due is not None and self.as_of is not None:
            while due <= self.as_of:
                score -= 5
                if score < 0:
                    score = 0.0
                due += PERIOD
        self.results[self.lead] = score

    def batch(self, ids, times, codes, columns) -> None:
        amounts = columns[AMOUNT]
        lead, score, purchases, due = self.lead, self.score, self.purchases, self.due
        for i in range(len(ids)):
            if ids[i] != lead:
                self.lead, self.score, self.due = lead, score, due
                self.close()
                lead, score, purchases, due = ids[i], 0.0, deque(maxlen=3), None
            t = times[i]
            if due is not None and due <= t:
                while due <= t:
                    score -= 5
                    if score < 0:
                        score = 0.0
                    due += PERIOD
            due = t + PERIOD
            code = codes[i]
            if code == EMAIL_OPEN:
                score += 1
            elif code == EMAIL_CLICK:
                score += 2
            elif code == PURCHASE:
                purchases.append(t)
                amount = amounts[i]
                if amount is not None and amount > 100:
                    score += 10
                    if amount > 300:
                        score += 50
                if len(purchases) == 3:
                    age = t - purchases[0]
                    if age < SHORTEST or (age < LONGEST and purchases[0] > six_months_before(t)):
                        score += 15
        self.lead, self.score, self.purchases, self.due = lead, score, purchases, due
