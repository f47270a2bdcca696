"""The lines of a lead's trace (`leadflow explain`), worded once for both engines.

The interpreter calls these functions as it acts; the code generator calls the
ones whose every part is known when compiling (a rule's name, a tag) and writes
the text as a constant, and writes calls to the others (a score's value, a due
time), which run in the traced variant of a compiled module only. Numbers are
written as values.number_text writes them; `→` leads to a score's value after.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations

from leadflow.semantics.timemath import format_local
from leadflow.semantics.values import args_text, number_text, quoted, value_text

# -- what an action reads as ------------------------------------------------


def action_text(verb, amount):
    """`add 10`, `subtract 2.5` (the magnitude); `add missing` when the amount is missing."""
    return f"{verb} {number_text(None if amount is None else abs(amount))}"


def percent_text(percent):
    """`subtract 25%`."""
    return f"subtract {number_text(percent)}%"


def duration_text(amount, unit):
    """A duration as the trace shows it: `2 day(s)`."""
    return f"{amount} {unit}(s)"


def every_text(amount, unit, without):
    """An `every` rule's period: `30 day(s) without activity` (`without` None: any event)."""
    return f"{duration_text(amount, unit)} without {without or 'activity'}"


def limit_text(limit, amount, unit):
    """A send limit: `4 per 1 days`."""
    return f"{limit} per {amount} {unit}s"


def capped_text(cap, points, amount):
    """What `capped at N` let through, when it held some back: ` (capped at 50: 5)`; else ``."""
    if points == amount:
        return ""
    return f" (capped at {number_text(cap)}: {number_text(points)})"


# -- scores, tags, fields ----------------------------------------------------


def score_changed(source, action, score, value, capped=""):
    """`big: add 10 → engagement 25`."""
    return f"{source}: {action}{capped} → {score} {number_text(value)}"


def amount_missing(source, action):
    """An add or subtract whose amount is missing changes nothing."""
    return f"{source}: {action}: the amount is missing, no change"


def while_holds(rule, action, score, value):
    return f"{rule}: holds, {action} → {score} {number_text(value)}"


def while_released(rule, actual, score, value):
    """A `while` rule stopped holding: the change it made is taken back."""
    return f"{rule}: no longer holds, {number_text(actual)} taken back → {score} {number_text(value)}"


def expired(rule, actual, score, value):
    """`expires after` took a firing's change back."""
    return f"{rule}: {number_text(actual)} expired → {score} {number_text(value)}"


def tagged(source, tag, remove):
    return f'{source}: {"untag" if remove else "tag"} "{tag}"'


def field_set(source, field, value):
    return f"{source}: set lead.{field} = {value_text(value)}"


def stage_changed(old, new):
    return f"{old} → {new}"


def period_over(rule, period):
    """An `every` rule's period ended without the event: `cooling: 30 day(s) without activity`."""
    return f"{rule}: {period}"


# -- sends and notifications -------------------------------------------------


def sent(source, kind, target, args):
    """A send or notify that went out: `welcome: send "welcome" with name = "Ana"`."""
    return f"{source}: {kind} {quoted(target)}{args_text(args)}"


def send_held(source, target, due, zone):
    return f"{source}: send {quoted(target)} held by quiet hours until {format_local(due, zone)}"


def quiet_over(target):
    return f"quiet hours over: send {quoted(target)}"


def send_limited(source, target, limit):
    """`limit` as limit_text writes it."""
    return f"{source}: send {quoted(target)} suppressed by the send limit ({limit})"


# -- flows -------------------------------------------------------------------


def started_by(source):
    """Why a flow started, after `starts`, when a rule's `start FLOW` started it."""
    return f" (started by {source})"


def flow_starts(flow, why):
    """`why`: started_by(...) or `` (its own `start on`)."""
    return f"{flow}: starts{why}"


def start_ignored(flow):
    return f"{flow}: already running, start ignored"


def stopped_by(source):
    return f"stopped by {source}"


def stop_on(event):
    return f"stop on {event}"


def flow_stops(flow, why):
    """`why`: stopped_by(...) or stop_on(...)."""
    return f"{flow}: stops ({why})"


def held_cancelled(flow, target):
    """A send held by quiet hours dies with its stopped flow run."""
    return f"{flow}: held send {quoted(target)} cancelled (the flow stopped)"


def flow_waits(flow, duration, due, zone):
    """`duration` as duration_text writes it."""
    return f"{flow}: wait {duration}, until {format_local(due, zone)}"


def wait_over(flow):
    return f"{flow}: wait over"


def flow_ends(flow):
    return f"{flow}: ends (no steps left)"
