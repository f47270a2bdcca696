"""Hypothesis strategies: small valid rulesets (as leadflow SOURCE TEXT) and event logs.

The text goes through the real parser and checker (`leadflow.api.load_text`),
so a generated ruleset is exactly what a user could write. The vocabulary is
fixed and small (three events, two scores, optional stages, flows and a
delivery policy) so that rules interact: scores feed stages, stages fire
`on enter`, flows send, timers expire, and so on.

`rulesets(reorder_safe=True)` draws rulesets where the file order of the
permutable `on` rules must not matter (docs/semantics.md): no score bounds
(clamping after each change depends on order), no delivery policy, and no
`expires after` on those rules (take-backs due at one instant are separate
timer firings, each followed by a settle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from leadflow.semantics import timemath

HEADER = """event view(url: text)
event buy(amount: int, kind: text)
event open
lead(tier: int, region: text)
"""

DURATIONS = ["30 minutes", "2 hours", "1 day", "3 days", "1 week", "1 month"]
URLS = ["/home", "/cart/1", "/shop/cart", "/a", "/Shop/Cart"]
TAGS = ["t1", "t2"]
TEMPLATES = ["m1", "m2", "m3"]

EVENT_CONDITIONS = {
    "view": ['url matches "*cart*"', 'url == "/home"', 'url in ["/a", "/cart/1"]',
             'lower(url) matches "*cart*"', 'url contains "cart"', 'url starts with "/shop"',
             "count(view where url == this.url) >= 2", "url in last(2, view.url where ts < this.ts)"],
    "buy": ["amount > 40", 'kind == "x"', "amount is missing", "amount >= 5 and kind != \"y\"",
            "count(buy where kind == this.kind within 1 day) > 1", 'kind in top(1, buy.kind)'],
    "open": ["a > 3", "count(open within 1 day) >= 2"],
}


@dataclass(frozen=True)
class RuleText:
    text: str
    permutable: bool  # an `on` rule with no set/tag/untag/start/stop


@dataclass(frozen=True)
class Ruleset:
    """A ruleset as parts, so the property tests can re-order the permutable rules."""

    head: str
    rules: tuple[RuleText, ...]
    tail: str = ""
    stages: tuple[str, ...] = field(default=())

    def source(self, rules: tuple[RuleText, ...] | None = None) -> str:
        body = "\n".join(r.text for r in (self.rules if rules is None else rules))
        return f"{self.head}\n{body}\n{self.tail}"


def general_condition(stages: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A condition with no triggering event (scores, lead, tags, aggregates, stage)."""
    options = [
        st.builds("a >= {}".format, st.sampled_from([2, 5, 10, 20])),
        st.builds("b < {}".format, st.sampled_from([0, 3, 8])),
        st.builds("count(buy within {}) >= {}".format, st.sampled_from(DURATIONS),
                  st.sampled_from([1, 2, 3])),
        st.builds("count(view where url matches \"*cart*\") > {}".format, st.sampled_from([0, 1, 2])),
        st.builds('tagged "{}"'.format, st.sampled_from(TAGS)),
        st.builds("lead.tier > {}".format, st.sampled_from([0, 1, 2])),
        st.just('lead.region in ["es", "pt"]'),
        st.builds("sum(buy.amount within {}) > {}".format, st.sampled_from(DURATIONS),
                  st.sampled_from([10, 100])),
        st.just("since(open) > 1 day"),
    ]
    if stages:
        options.append(st.builds('stage >= "{}"'.format, st.sampled_from(stages[1:] or stages)))
    return st.one_of(options)


def score_action(event: str | None) -> st.SearchStrategy[str]:
    amounts = [st.sampled_from(["1", "2", "5", "10", "-3"]), st.just("count(buy)"), st.just("b * 2")]
    if event == "buy":
        amounts.append(st.just("amount"))
    amount = st.one_of(amounts)
    return st.one_of(
        st.builds("add {}".format, amount),
        st.builds("add {} to b".format, amount),
        st.builds("subtract {}".format, amount),
        st.builds("subtract {} from b".format, amount),
        st.builds("subtract {}%".format, st.sampled_from([25, 50])),
    )


def outward_action(event: str | None) -> st.SearchStrategy[str]:
    args = ["", " with level = a", " with n = count(open)", " with urls = last(2, view.url)",
            " with kinds = top(2, buy.kind within 1 week)"]
    if event == "view":
        args += [" with url = url", " with url = lower(url), seen = count(view where url == this.url)"]
    return st.one_of(
        st.builds('send "{}"{}'.format, st.sampled_from(TEMPLATES), st.sampled_from(args)),
        st.builds('notify "sales"{}'.format, st.sampled_from(args)),
    )


def state_action(flows: tuple[str, ...]) -> st.SearchStrategy[str]:
    options = [
        st.builds('tag "{}"'.format, st.sampled_from(TAGS)),
        st.builds('untag "{}"'.format, st.sampled_from(TAGS)),
        st.builds("set lead.tier = {}".format, st.sampled_from(["0", "3", "lead.tier + 1"])),
    ]
    if flows:
        options.append(st.builds("{} {}".format, st.sampled_from(["start", "stop"]),
                                 st.sampled_from(flows)))
    return st.one_of(options)


@st.composite
def actions(draw, event: str | None, flows: tuple[str, ...], stateful: bool) -> str:
    items = draw(st.lists(st.one_of(score_action(event), outward_action(event)),
                          min_size=0 if stateful else 1, max_size=2))
    if stateful:
        items.append(draw(state_action(flows)))
    return ", ".join(draw(st.permutations(items)))


def modifier(allow_expires: bool) -> st.SearchStrategy[str]:
    options = ["", "", "", " once", " once per 1 day", " up to 2 times", " capped at 12"]
    if allow_expires:
        options.append(" expires after 2 days")
    return st.sampled_from(options)


@st.composite
def on_rule(draw, label: str, flows: tuple[str, ...], reorder_safe: bool) -> RuleText:
    event = draw(st.sampled_from(["view", "buy", "open"]))
    text = f"rule {label}: on {event}"
    if draw(st.booleans()):
        text += f" where {draw(st.sampled_from(EVENT_CONDITIONS[event]))}"
    if draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from([">=", "==", ">"]))
        text += f" count {op} {draw(st.integers(1, 3))}"
        if draw(st.booleans()):
            text += f" within {draw(st.sampled_from(DURATIONS))}"
    if draw(st.integers(0, 3)) == 0:
        text += f" when {draw(general_condition(()))}"
    stateful = draw(st.integers(0, 3)) == 0
    text += " " + draw(actions(event, flows, stateful))
    text += draw(modifier(allow_expires=stateful or not reorder_safe))
    return RuleText(text, permutable=not stateful)


@st.composite
def other_rule(draw, label: str, stages: tuple[str, ...], flows: tuple[str, ...]) -> RuleText:
    forms = ["when", "every", "while"] + (["stage"] if stages else [])
    form = draw(st.sampled_from(forms))
    if form == "while":
        cond = draw(general_condition(stages))
        change = draw(st.sampled_from(["add", "subtract"]))
        target = draw(st.sampled_from(["", " to b" if change == "add" else " from b"]))
        return RuleText(f"rule {label}: while {cond} {change} {draw(st.sampled_from([1, 4, 10]))}{target}",
                        False)
    if form == "when":
        head = f"when {draw(general_condition(stages))}"
    elif form == "every":
        without = draw(st.sampled_from(["activity", "buy", "view"]))
        head = f"every {draw(st.sampled_from(DURATIONS))} without {without}"
    else:
        head = f"on {draw(st.sampled_from(['enter', 'exit']))} {draw(st.sampled_from(stages))}"
    stateful = draw(st.booleans())
    return RuleText(f"rule {label}: {head} {draw(actions(None, flows, stateful))}"
                    f"{draw(modifier(allow_expires=True))}", False)


@st.composite
def flow_text(draw, name: str) -> str:
    start = draw(st.sampled_from(['view where url matches "*cart*"', "open", "buy where amount > 40"]))
    stop = draw(st.sampled_from(["", "  stop on buy\n", '  stop on view where url == "/home"\n']))
    first = draw(st.sampled_from(TEMPLATES))
    wait = draw(st.sampled_from(DURATIONS))
    cond = draw(general_condition(()))
    # The steps read the start event: `this.x` in an aggregate compares with it.
    last_args = {"view": " with again = count(view where url == this.url), seen = last(2, view.url)",
                 "buy": " with same = count(buy where kind == this.kind within 1 week)"}
    last = draw(st.sampled_from(["", last_args.get(start.split()[0], "")]))
    return (f"flow {name}\n  start on {start}\n{stop}  send \"{first}\"\n  wait {wait}\n"
            f"  if {cond}\n    send \"m2\"\n  else\n    add 1\n  end\n"
            f"  wait {draw(st.sampled_from(DURATIONS))}\n  subtract 50%\n  send \"m3\"{last}\nend\n")


@st.composite
def rulesets(draw, reorder_safe: bool = False) -> Ruleset:
    zone = draw(st.sampled_from(["UTC", "Europe/Madrid"]))
    head = f'timezone "{zone}"\n' + HEADER
    bounded = not reorder_safe and draw(st.booleans())
    head += "score a min 0 max 60\n" if bounded else "score a\n"
    head += "score b\n"
    stages: tuple[str, ...] = ()
    if draw(st.booleans()):
        stages = ("cold", "warm", "hot")
        head += "stage cold\nstage warm when a >= 5\nstage hot when a >= 15 and count(buy) >= 1\n"
    if not reorder_safe and draw(st.booleans()):
        head += "send limit 2 per 1 day\n"
    if not reorder_safe and draw(st.booleans()):
        head += "quiet hours 22:00 to 08:00\n"
    flow_names = tuple(f"f{i}" for i in range(draw(st.integers(0, 2))))
    count_on = draw(st.integers(1, 5))
    count_other = draw(st.integers(0, 3))
    rules = [draw(on_rule(f"r{i}", flow_names, reorder_safe)) for i in range(count_on)]
    rules += [draw(other_rule(f"s{i}", stages, flow_names)) for i in range(count_other)]
    rules = draw(st.permutations(rules))
    tail = "".join(draw(flow_text(name)) for name in flow_names)
    return Ruleset(head, tuple(rules), tail, stages)


# ---------------------------------------------------------------------- logs


@dataclass(frozen=True)
class Row:
    lead_id: str
    ts: int
    event: str
    values: dict[str, Any]


GAPS_MINUTES = [1, 30, 180, 60 * 24, 60 * 24 * 5, 60 * 24 * 20, 60 * 24 * 40]
BASE = timemath.parse_instant("2024-03-28T20:00:00Z", "UTC")  # days before a DST change


def event_values() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.one_of(
        st.tuples(st.just("view"), st.fixed_dictionaries({"url": st.sampled_from(URLS)})),
        st.tuples(st.just("buy"), st.fixed_dictionaries({
            "amount": st.sampled_from([None, 0, 5, 50, 150, 400]),
            "kind": st.sampled_from(["x", "y", None])})),
        st.tuples(st.just("open"), st.just({})),
    )


@st.composite
def lead_rows(draw, lead_id: str, distinct_times: bool) -> list[Row]:
    gaps = draw(st.lists(st.sampled_from(GAPS_MINUTES + ([] if distinct_times else [0])),
                         min_size=1, max_size=10))
    start = BASE + draw(st.integers(0, 60 * 24 * 3)) * 60 * timemath.SECOND
    rows, t = [], start
    for gap in gaps:
        t += gap * 60 * timemath.SECOND
        name, values = draw(event_values())
        rows.append(Row(lead_id, t, name, {k: v for k, v in values.items() if v is not None}))
    return rows


@st.composite
def event_logs(draw, distinct_times: bool = False, max_leads: int = 3) -> list[Row]:
    """Rows of up to `max_leads` leads, each lead's rows in time order, leads interleaved by time."""
    count = draw(st.integers(1, max_leads))
    rows = [row for i in range(count) for row in draw(lead_rows(f"l{i}", distinct_times))]
    return sorted(rows, key=lambda r: r.ts)  # stable: a lead's equal times keep their order


def lead_attrs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={"tier": st.integers(0, 3),
                                               "region": st.sampled_from(["es", "pt", "fr"])})
