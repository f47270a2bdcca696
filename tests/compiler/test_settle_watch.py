"""Skipping a settle whose inputs did not change (passes/watch_settle.py) changes no result.

Each ruleset's settle conditions read one kind of watched value, changed by an
event, by a timer or by settle itself; the compiled module (watch on) and the
plain one (settle after everything) must agree with the interpreter.
"""

from __future__ import annotations

import pytest
from engines import all_engines, differences, load, run_columns, run_fed
from ruleset_strategies import Row

from leadflow.semantics import timemath

HEADER = """ruleset w
timezone "Europe/Madrid"
event hit(n: number, who: text)
event miss
lead(tier: number, who: text)
score s min 0
"""
RULESETS = {
    "tags": """stage cold
stage warm when tagged "vip"
rule tagit: on hit where n > 2 tag "vip"
rule unvip: on miss untag "vip"
rule greet: when tagged "vip" add 5
rule back:  on enter cold send "again"
""",
    "lead attribute": """rule setw: on hit set lead.who = who
rule vipw: while lead.who == "ana" add 10
rule told: when lead.tier is missing and s >= 10 notify "team"
""",
    "counter and score chain": """stage a
stage b when s >= 3 and count(hit) >= 2
stage c when s >= 8
rule hit1: on hit add 1
rule fall: every 2 days without hit subtract 4
rule rise: on enter c add 2
rule down: on exit c tag "fell"
rule held: while stage == "b" add 1
""",
    "running sum": """rule big: when sum(hit.n) > 10 send "big" once
rule many: when distinct(hit.who) >= 2 tag "crowd"
""",
    "time read, settled every time": """rule recent: when count(hit within 1 day) >= 2 tag "busy"
rule idle:   while count(hit within 1 day) == 0 subtract 1
""",
}
T0 = timemath.parse_instant("2024-03-28T20:00:00Z", "UTC")
HOUR = 3_600_000_000
ROWS = [Row("L1", T0 + h * HOUR, e, v) for h, e, v in [
    (0, "hit", {"n": 1, "who": "bo"}), (1, "hit", {"n": 3, "who": "ana"}), (2, "miss", {}),
    (30, "hit", {"n": 5, "who": "ana"}), (31, "hit", {"n": 4, "who": "cy"}), (90, "miss", {}),
    (200, "hit", {"n": 9, "who": "bo"}), (201, "miss", {}),
]] + [Row("L2", T0 + 5 * HOUR, "miss", {}), Row("L2", T0 + 100 * HOUR, "hit", {"n": 0, "who": "ana"})]


@pytest.mark.parametrize("name", RULESETS)
def test_skipped_settles_change_nothing(name):
    model = load(HEADER + RULESETS[name])
    engines = all_engines(model)
    as_of = T0 + 400 * HOUR
    for attrs in ({}, {"tier": 1, "who": "ana"}):
        reference = run_fed(engines["interpreter"], ROWS, attrs, as_of)
        for label, got in [("compiled", run_fed(engines["compiled"], ROWS, attrs, as_of)),
                           ("plain", run_fed(engines["plain"], ROWS, attrs, as_of)),
                           ("batch", run_columns(engines["compiled"], ROWS, attrs, as_of))]:
            found = differences(reference, got)
            assert not found, f"{label}:\n" + "\n".join(found)
