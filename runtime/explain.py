"""`leadflow explain`: one lead's timeline, for a person (text) or a tool (--json).

The lead is replayed exactly as `run` would (same readers, same verdicts, same
default as-of: the latest event time of the whole input), with tracing on, so
the last line of the timeline always agrees with the lead's row in leads.csv.
Rows of the lead that were rejected or ignored are listed after the timeline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.runtime.action_args import TimeArgs, time_args
from leadflow.runtime.driver import RunOptions, replay, stage_inputs
from leadflow.runtime.engine import Engine, LeadResult, TraceEntry
from leadflow.runtime.outputs import action_args, args_json, format_score, plain_json
from leadflow.runtime.readers import InputError
from leadflow.runtime.staging import Staging
from leadflow.semantics.timemath import format_instant


@dataclass
class Explanation:
    lead_id: str
    ruleset: str
    timezone: str
    scores: tuple[str, ...]
    has_stages: bool
    as_of: int | None
    timeline: list[TraceEntry] = field(default_factory=list)
    result: LeadResult | None = None  # None when no row of the lead was applied
    not_applied: list[tuple[str, int, str]] = field(default_factory=list)  # (file, row, why)
    times: TimeArgs = frozenset()  # `with` arguments that hold times, written as in actions.csv


def explain(engine: Engine, options: RunOptions, lead_id: str, label: str | None = None) -> Explanation:
    """Replay one lead with tracing; InputError when no row of the input names it."""
    return explain_leads(engine, options, [lead_id], label)[0]


def explain_leads(engine: Engine, options: RunOptions, lead_ids: Sequence[str],
                  label: str | None = None) -> list[Explanation]:
    """Replay each lead with tracing, reading the inputs once (`leadflow report`'s timelines).

    InputError when no row of the input names one of them.
    """
    with Staging(engine.timezone, options.memory_limit) as staging:
        as_of, _ = stage_inputs(engine, staging, options)
        return [_explain_staged(engine, staging, as_of, lead_id, label) for lead_id in lead_ids]


def _explain_staged(engine: Engine, staging: Staging, as_of: int | None, lead_id: str,
                    label: str | None) -> Explanation:
    if not staging.knows_lead(lead_id):
        raise InputError(f"lead {lead_id!r} is in none of the inputs")
    found: list[LeadResult] = []
    state = replay(engine, staging.event_reader(as_of, lead=lead_id), staging.event_names,
                   staging.slots.by_event, staging.lead_attrs(lead=lead_id), as_of,
                   found.append, trace=True, slots=staging.slots.slots)
    explanation = Explanation(lead_id, label or engine.name or "ruleset", engine.timezone,
                              tuple(engine.scores), bool(engine.stages), as_of,
                              times=time_args(getattr(engine, "model", None)))
    if state is not None:
        explanation.timeline = list(engine.trace(state))
        explanation.result = found[-1]
    explanation.not_applied = staging.not_applied(lead_id, as_of)
    return explanation


def _scores_text(scores: dict[str, float], names: tuple[str, ...]) -> list[str]:
    return [format_score(scores.get(name, 0.0)) for name in names]


def render_text(ex: Explanation) -> str:
    """A table: time (shown when it changes), kind, scores and stage after the step, what happened.

    What happened comes last so a long line never pushes the numbers out of place.
    """
    as_of = format_instant(ex.as_of) if ex.as_of is not None else "none"
    lines = [f"Lead {ex.lead_id} in {ex.ruleset} (times in UTC, as-of {as_of})", ""]
    if ex.timeline:
        score_widths = [max(len(n), 6) for n in ex.scores]
        stage_width = max([len("stage")] + [len(e.stage or "") for e in ex.timeline])
        header = f"  {'at':<20}  {'kind':<6}" + "".join(
            f"  {n:>{w}}" for n, w in zip(ex.scores, score_widths))
        if ex.has_stages:
            header += f"  {'stage':<{stage_width}}"
        lines.append(header + "  what")
        previous_at = None
        for entry in ex.timeline:
            at = format_instant(entry.at) if entry.at != previous_at else ""
            previous_at = entry.at
            row = f"  {at:<20}  {entry.kind:<6}" + "".join(
                f"  {s:>{w}}" for s, w in zip(_scores_text(entry.scores, ex.scores), score_widths))
            if ex.has_stages:
                row += f"  {entry.stage or '':<{stage_width}}"
            lines.append(f"{row}  {entry.text}")
    else:
        lines.append("  (nothing happened: no event of this lead was applied)")
    if ex.result is not None:
        r = ex.result
        final = ", ".join(f"{n} {format_score(r.scores[n])}" for n in ex.scores)
        if ex.has_stages:
            final += f", stage {r.stage}"
        final += f", tags {';'.join(r.tags) if r.tags else '(none)'}"
        lines += ["", f"Final: {final}"]
        if r.actions:
            lines.append("Actions:")
            for a in r.actions:
                args = f" {args_json(action_args(a, ex.times))}" if a.args else ""
                lines.append(f"  {format_instant(a.at)}  {a.kind} {a.target!r}{args}  (rule {a.rule})")
        if r.transitions:
            lines.append("Stage changes:")
            for t in r.transitions:
                lines.append(f"  {format_instant(t.at)}  {t.from_stage} -> {t.to_stage}")
    if ex.not_applied:
        lines += ["", "Rows not applied:"]
        lines += [f"  {file} row {row}: {why}" for file, row, why in ex.not_applied]
    return "\n".join(lines)


def to_json(ex: Explanation) -> dict[str, Any]:
    """The explanation as plain data: times ISO-8601 UTC, scores as numbers."""
    def scores(values: dict[str, float]) -> dict[str, Any]:
        return {n: plain_json(round(float(values.get(n, 0.0)), 6)) for n in ex.scores}

    data: dict[str, Any] = {
        "lead_id": ex.lead_id, "ruleset": ex.ruleset, "timezone": ex.timezone,
        "as_of": format_instant(ex.as_of) if ex.as_of is not None else None,
        "timeline": [{"at": format_instant(e.at), "kind": e.kind, "text": e.text,
                      "scores": scores(e.scores), "stage": e.stage} for e in ex.timeline],
        "final": None,
        "not_applied": [{"file": f, "row": r, "reason": why} for f, r, why in ex.not_applied],
    }
    if ex.result is not None:
        r = ex.result
        data["final"] = {
            "scores": scores(r.scores), "stage": r.stage, "tags": list(r.tags),
            "attrs": plain_json(dict(r.attrs)),
            "actions": [{"at": format_instant(a.at), "rule": a.rule, "kind": a.kind, "target": a.target,
                         "args": plain_json(action_args(a, ex.times))} for a in r.actions],
            "transitions": [{"at": format_instant(t.at), "from": t.from_stage, "to": t.to_stage}
                            for t in r.transitions],
        }
    return data


def render_json(ex: Explanation) -> str:
    return json.dumps(to_json(ex), ensure_ascii=False, indent=2)
