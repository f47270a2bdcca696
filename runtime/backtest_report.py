"""`leadflow backtest` output: text tables for people, JSON for tools."""

from __future__ import annotations

import json
import os
from typing import Any

from leadflow.runtime.backtest import Report, Slice
from leadflow.runtime.outputs import format_score
from leadflow.semantics.timemath import describe_duration, format_instant, format_local


def duration_text(duration: tuple[int, str]) -> str:
    amount, unit = duration
    return f"{amount} {unit}{'s' if amount != 1 else ''}"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def table(rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    """Rows of cells as aligned lines (columns in `right` aligned right), two spaces apart."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip() for row in rows]


def _date(us: int, tz: str) -> str:
    """A cutoff as people read it: the local date, with the time when it is not midnight."""
    text = format_local(us, tz)
    return text[:10] if text[11:19] == "00:00:00" else text[:16].replace("T", " ")


def render_text(report: Report, tz: str) -> str:
    setup, o = report.setup, report.overall
    cutoffs = setup.cutoffs
    every = "" if report.options.cutoffs else f", every {duration_text(report.options.every)}"
    lines = [(f"Backtest of {report.ruleset}: {len(cutoffs)} cutoffs from {_date(cutoffs[0], tz)} "
              f"to {_date(cutoffs[-1], tz)}{every}; horizon {duration_text(setup.horizon)}; "
              f"outcomes known until {_date(setup.end, tz)}"),
             (f"Outcomes: {os.path.basename(setup.outcomes.path)}: {setup.outcomes.rows} rows, "
              f"{len(setup.outcomes.conversions)} leads converted, "
              f"{len(setup.outcomes.rejected)} rows rejected, "
              f"{setup.unknown_leads} leads not in the events"),
             (f"Samples: {o.samples} (lead, cutoff) pairs: leads seen before the cutoff and not "
              f"yet converted; {o.converted} converted within the horizon ({_pct(o.rate)})"), ""]
    lines.append("Scores as predictors (all cutoffs)")
    lines += table([["score", "ROC AUC", "avg precision"]] +
                   [[m.name, _num(m.auc), _num(m.average_precision)] for m in o.scores], {1, 2})
    for m in o.scores:
        lines += ["", f"{m.name} by decile (1 = the highest scores; all cutoffs)"]
        rows = [["decile", "points", "leads", "converted", "rate", "lift"]]
        for g in m.deciles:
            points = format_score(g.low) if g.low == g.high else \
                f"{format_score(g.low)} to {format_score(g.high)}"
            rows.append([g.name, points, str(g.leads), str(g.converted), _pct(g.rate),
                         _num(g.lift(o.rate), 2)])
        lines += table(rows, {2, 3, 4, 5})
    if report.stages:
        lines += ["", ("Stages as predictors (all cutoffs); precision and recall of "
                       "\"in this stage or a later one\"")]
        values = setup.outcomes.has_values
        rows = [["stage", "leads", "converted", "rate", "lift", "precision", "recall"]
                + (["value"] if values else [])]
        for g, (_, precision, recall) in zip(o.stages, o.at_or_above()):
            rows.append([g.name, str(g.leads), str(g.converted), _pct(g.rate),
                         _num(g.lift(o.rate), 2), _pct(precision), _pct(recall)]
                        + ([format_score(g.value)] if values else []))
        lines += table(rows, {1, 2, 3, 4, 5, 6, 7})
        lines += ["", "Time from first entering a stage to the next conversion (converted leads)"]
        rows = [["stage", "leads", "median"]]
        for t in report.timing:
            shown = "-" if t.median_us is None else _rounded_duration(t.median_us)
            rows.append([t.stage, str(t.leads), shown])
        lines += table(rows, {1})
    lines += ["", "Per cutoff"]
    head = ["cutoff", "leads", "converted", "rate"]
    for name in report.scores:
        head += [f"{name} AUC", "AP"]
    head += [f"{s} rate" for s in report.stages]
    rows = [head]
    for cutoff, c in zip(cutoffs, report.per_cutoff):
        row = [_date(cutoff, tz), str(c.samples), str(c.converted), _pct(c.rate)]
        for m in c.scores:
            row += [_num(m.auc), _num(m.average_precision)]
        row += [_pct(g.rate) if g.leads else "-" for g in c.stages]
        rows.append(row)
    lines += table(rows, set(range(1, len(head))))
    return "\n".join(lines)


def _rounded_duration(us: float) -> str:
    """Days and hours are enough for a median wait."""
    hour = 3_600_000_000
    return describe_duration(round(us / hour) * hour)


def _slice_json(s: Slice, stages: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "samples": s.samples, "converted": s.converted, "rate": s.rate,
        "scores": {m.name: {"roc_auc": m.auc, "average_precision": m.average_precision}
                   for m in s.scores},
    }
    for m in s.scores:
        if m.deciles:
            data["scores"][m.name]["deciles"] = [
                {"decile": int(g.name), "low": g.low, "high": g.high, "leads": g.leads,
                 "converted": g.converted, "rate": g.rate, "lift": g.lift(s.rate)}
                for g in m.deciles]
    if stages:
        data["stages"] = [{"stage": g.name, "leads": g.leads, "converted": g.converted,
                           "value": g.value, "rate": g.rate, "lift": g.lift(s.rate),
                           "precision_at_or_above": p, "recall_at_or_above": r}
                          for g, (_, p, r) in zip(s.stages, s.at_or_above())]
    return data


def to_json(report: Report) -> dict[str, Any]:
    setup = report.setup
    return {
        "ruleset": report.ruleset,
        "horizon": duration_text(setup.horizon),
        "every": None if report.options.cutoffs else duration_text(report.options.every),
        "until": format_instant(setup.end),
        "cutoffs": [format_instant(c) for c in setup.cutoffs],
        "outcomes": {"file": setup.outcomes.path, "rows": setup.outcomes.rows,
                     "leads_converted": len(setup.outcomes.conversions),
                     "rejected": [{"row": r, "reason": why} for r, why in setup.outcomes.rejected],
                     "leads_not_in_events": setup.unknown_leads},
        "overall": _slice_json(report.overall, bool(report.stages)),
        "per_cutoff": [{"cutoff": format_instant(c), **_slice_json(s, bool(report.stages))}
                       for c, s in zip(setup.cutoffs, report.per_cutoff)],
        "time_to_conversion": [{"stage": t.stage, "leads": t.leads,
                                "median_seconds": None if t.median_us is None
                                else round(t.median_us / 1e6)} for t in report.timing],
    }


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), ensure_ascii=False, indent=2)
