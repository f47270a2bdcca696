"""Hypothesis strategies aimed at the compiler's own paths, as ruleset TEXT.

tests/runtime/ruleset_strategies.py (shared with the interpreter's tests)
draws general rulesets; these draw the shapes the optimizer and the code
generator treat specially, over the same event vocabulary so the same event
logs apply: every aggregate function with and without windows (fixed and
calendar), `count OP N` clauses shared between rules, `since` with a filter,
filters that read lead state (replayed at each read), filters that compare
with the triggering event (`this.x`), the list aggregates `last`/`top` (in
`with` arguments, with `in` and `length`), the text helpers (`lower`,
`contains`, `starts with`), stage ordering, `subtract N%`, `capped at`,
`expires after`, `set lead.x`, constant-foldable and dead conditions, and
calendar `every` periods.
"""

from __future__ import annotations

from hypothesis import strategies as st
from ruleset_strategies import HEADER

WINDOWS = ["", " within 2 hours", " within 3 days", " within 2 weeks", " within 1 month",
           " within 6 months", " within 1 year"]
NUMBERS = ["0", "1", "2", "3", "40", "100"]

# Aggregates and other values that read the lead's history.
AGGREGATES = [
    "count(buy{w})", "count(view where url matches \"*cart*\"{w})", "count(open{w})",
    "sum(buy.amount{w})", "min(buy.amount{w})", "max(buy.amount{w})", "avg(buy.amount{w})",
    "distinct(view.url{w})", "distinct(buy.kind{w})", "sum(buy.amount where kind == \"x\"{w})",
    "count(buy where amount > a{w})",  # reads a score: replayed at each read
]
SINCE = ["since(buy)", "since(view where url == \"/home\")", "since(buy where amount > b)"]
# Lists: the most recent distinct values, and the most frequent.
LISTS = ["last(2, view.url{w})", "last(3, buy.kind{w})", "top(2, view.url{w})",
         "top(1, buy.kind{w})", "last(2, buy.amount where amount > 10{w})",
         "top(2, view.url where url contains \"cart\"{w})"]
# Aggregates that compare the counted events with the triggering one (`this.x`).
THIS_AGGREGATES = {
    "buy": ["count(buy where kind == this.kind{w})", "count(buy where amount > this.amount{w})",
            "sum(buy.amount where kind == this.kind and ts < this.ts{w})",
            "length(last(3, buy.kind where amount >= this.amount{w}))"],
    "view": ["count(view where url == this.url{w})",
             "count(view where lower(url) == lower(this.url){w})",
             "length(top(2, view.url where url starts with this.url{w}))"],
}
THIS_SINCE = {"buy": ["since(buy where kind == this.kind and ts < this.ts)"],
              "view": ["since(view where url == this.url and ts < this.ts)"]}


def windowed(templates: list[str]):
    return st.builds(lambda f, w: f.format(w=w), st.sampled_from(templates), st.sampled_from(WINDOWS))


@st.composite
def number_expr(draw, event: str | None) -> str:
    options = [st.sampled_from(NUMBERS), st.sampled_from(["a", "b"]),
               st.builds(lambda f, w: f.format(w=w), st.sampled_from(AGGREGATES),
                         st.sampled_from(WINDOWS)),
               st.just("lead.tier"), windowed(LISTS).map("length({})".format)]
    if event in THIS_AGGREGATES:
        options.append(windowed(THIS_AGGREGATES[event]))
    if event == "buy":
        options.append(st.sampled_from(["amount", "amount / 2", "amount - 40", "amount / 0",
                                        "length(kind)", "length(lower(kind))"]))
    left = draw(st.one_of(options))
    if draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        left = f"({left} {op} {draw(st.one_of(options))})"
    return left


@st.composite
def condition(draw, event: str | None, stages: bool) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return f"{draw(number_expr(event))} {op} {draw(number_expr(event))}"
    if kind == 4:
        since = SINCE + THIS_SINCE.get(event, [])
        return f"{draw(st.sampled_from(since))} {draw(st.sampled_from(['<', '>']))} " \
               f"{draw(st.sampled_from(['1 day', '2 weeks', '1 month']))}"
    if kind == 5 and stages:
        return f'stage {draw(st.sampled_from(["<", ">=", "==", "!="]))} ' \
               f'"{draw(st.sampled_from(["cold", "warm", "hot"]))}"'
    if kind == 6:
        return draw(st.sampled_from(['lead.region in ["es", "pt"]', "lead.tier is missing",
                                     'tagged "t1"', "not tagged \"t2\"", "1 > 2", "2 >= 1",
                                     "lead.region is not missing and lead.tier > 1"]))
    if kind == 7 and event == "buy":
        return draw(st.sampled_from(["amount > 40", 'kind == "x"', "amount is missing",
                                     "amount >= 5 and kind != \"y\"", "not (amount > 100)",
                                     "since(buy) is missing", "max(buy.ts within 1 week) < ts",
                                     "kind in last(2, buy.kind where ts < this.ts)",
                                     "kind not in top(1, buy.kind within 3 days)",
                                     "amount in last(3, buy.amount)", 'lower(kind) == "x"',
                                     "this.kind == kind"]))
    if kind == 7 and event == "view":
        return draw(st.sampled_from(['url matches "*cart*"', 'url matches "/?"',
                                     'url in ["/a", "/home"]', 'url not in ["/a"]',
                                     'lower(url) matches "*cart*"', 'url contains "Cart"',
                                     'lower(url) contains "cart"', 'url starts with "/shop"',
                                     "url starts with lower(url)", "url in top(2, view.url)",
                                     "url not in last(2, view.url where ts < this.ts)"]))
    if kind == 8:
        return draw(windowed(['"/home" in last(2, view.url{w})', '"x" not in top(1, buy.kind{w})',
                              "length(top(3, view.url{w})) >= 2",
                              "50 in last(2, buy.amount{w})"]))
    left = draw(condition(event, stages))
    right = draw(condition(event, stages))
    return f"({left}) {draw(st.sampled_from(['and', 'or']))} ({right})"


@st.composite
def action(draw, event: str | None) -> str:
    kind = draw(st.integers(0, 7))
    if kind <= 2:
        verb, prep = draw(st.sampled_from([("add", "to"), ("subtract", "from")]))
        score = draw(st.sampled_from(["", " {} a", " {} b"])).format(prep)
        return f"{verb} {draw(number_expr(event))}{score}"
    if kind == 3:
        return f"subtract {draw(st.sampled_from(['10', '25', '50', '100']))}%" \
               f"{draw(st.sampled_from(['', ' from b']))}"
    if kind == 4:
        return draw(st.sampled_from(['tag "t1"', 'tag "t2"', 'untag "t1"']))
    if kind == 5:
        value = draw(st.sampled_from(["lead.tier + 1", "3", "count(buy)"] +
                                     (["amount"] if event == "buy" else [])))
        return f"set lead.tier = {value}"
    if kind == 6:
        return 'set lead.region = "pt"' if event != "buy" else "set lead.region = kind"
    args = draw(st.sampled_from(["", " with n = count(open)", " with s = a, m = max(buy.amount)",
                                 " with urls = last(2, view.url)",
                                 " with kinds = top(2, buy.kind within 1 week), n = count(buy)"]
                                + {"buy": [" with k = lower(kind), same = count(buy where kind == this.kind)"],
                                   "view": [" with u = lower(url), seen = last(3, view.url where url != this.url)"]
                                   }.get(event, [])))
    return f'{draw(st.sampled_from(["send", "notify"]))} "{draw(st.sampled_from(["m1", "m2"]))}"{args}'


@st.composite
def rule(draw, label: str, stages: bool) -> str:
    form = draw(st.sampled_from(["on", "on", "on", "when", "every", "while"] +
                                (["stage"] if stages else [])))
    modifiers = draw(st.sampled_from(["", "", " once", " once per 1 month", " up to 2 times",
                                      " capped at 15", " expires after 3 days",
                                      " capped at 8 expires after 1 week"]))
    if form == "while":
        cond = draw(condition(None, stages))
        return f"rule {label}: while {cond} add {draw(st.sampled_from(['3', 'b', '-2']))}"
    if form == "on":
        event = draw(st.sampled_from(["buy", "view", "open"]))
        head = f"on {event}"
        if draw(st.booleans()):
            head += f" where {draw(condition(event, stages))}"
        if draw(st.integers(0, 2)) == 0:
            head += f" count {draw(st.sampled_from(['>=', '==', '>', '<', '<=', '!=']))} " \
                    f"{draw(st.integers(0, 4))}{draw(st.sampled_from(WINDOWS))}"
        if draw(st.integers(0, 3)) == 0:
            head += f" when {draw(condition(event, stages))}"
    elif form == "when":
        event = None
        head = f"when {draw(condition(None, stages))}"
    elif form == "every":
        event = None
        head = f"every {draw(st.sampled_from(['1 day', '1 week', '1 month', '2 months']))} " \
               f"without {draw(st.sampled_from(['activity', 'buy', 'open']))}"
    else:
        event = None
        head = f"on {draw(st.sampled_from(['enter', 'exit']))} {draw(st.sampled_from(['cold', 'warm', 'hot']))}"
    actions = draw(st.lists(action(event), min_size=1, max_size=3))
    return f"rule {label}: {head} {', '.join(actions)}{modifiers}"


@st.composite
def compiler_rulesets(draw) -> str:
    """A ruleset as text (checked by the real checker in the tests)."""
    zone = draw(st.sampled_from(["UTC", "Europe/Madrid", "America/New_York"]))
    text = f'timezone "{zone}"\n' + HEADER
    text += draw(st.sampled_from(["score a\n", "score a min 0\n", "score a min -5 max 30\n"]))
    text += "score b\n"
    stages = draw(st.booleans())
    if stages:
        text += "stage cold\nstage warm when a >= 5\nstage hot when a >= 15 and count(buy) >= 1\n"
    if draw(st.integers(0, 3)) == 0:
        text += "send limit 2 per 1 day\n"
    rules = [draw(rule(f"r{i}", stages)) for i in range(draw(st.integers(1, 6)))]
    return text + "\n".join(rules) + "\n"
