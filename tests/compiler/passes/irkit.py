"""Small builders for IR fixtures: a two-event program and rules with sensible defaults."""

from __future__ import annotations

from leadflow.compiler import ir

BUY, VIEW = 0, 1
EVENTS = (ir.EventInfo("buy", (("amount", "number"),)), ir.EventInfo("view", (("url", "text"),)))
ONE = ir.AddScore(0, ir.Const(1))
AMOUNT = ir.Field("amount")
DAY = ir.Dur(micros=86_400_000_000)


def program(rules=(), aggregates=(), trackers=(), stages=(), stage_conds=(), flows=(), events=EVENTS,
            **kw) -> ir.Program:
    return ir.Program(
        name="t", file="t.leadflow", timezone="UTC", events=events, lead_fields=(("tier", "int"),),
        scores=(ir.ScoreInfo("a", None, None), ir.ScoreInfo("b", 0, None)), stages=stages,
        stage_conds=stage_conds or tuple(None for _ in stages),
        stage_lines=tuple(("t.leadflow", i + 1) for i in range(len(stages))),
        rules=tuple(rules), flows=tuple(flows), aggregates=tuple(aggregates),
        trackers=tuple(trackers), **kw)


def on(index: int, event: int = BUY, actions=(ONE,), **kw) -> ir.Rule:
    return ir.Rule(index, f"r{index}", "t.leadflow", 10 + index, "on", tuple(actions), event=event, **kw)


def rule(index: int, kind: str, actions=(ONE,), **kw) -> ir.Rule:
    return ir.Rule(index, f"r{index}", "t.leadflow", 10 + index, kind, tuple(actions), **kw)


def count(id: int, event: int = BUY, where=None, within=None, **kw) -> ir.Aggregate:
    return ir.Aggregate(id, "count", event, None, where, within, **kw)
