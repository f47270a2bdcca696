"""`leadflow report`: one self-contained HTML file about a run, for the marketing team.

The pipe, one way: the inputs go through the normal run (same engine, same
readers, same verdicts as `leadflow run`) into a private temporary directory,
as Parquet → DuckDB aggregates those files (runtime/report_data.py) → the top
leads are replayed with tracing, as `explain` does (runtime/explain.py) →
Vega-Lite charts drawn to SVG (runtime/report_charts.py) → one HTML page from
runtime/templates/report.html.j2, autoescaped. The page needs no network: the
charts are inline SVG and the table sorting is a few lines of inline script.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import jinja2

from leadflow.runtime.driver import RunOptions, RunResult, run
from leadflow.runtime.engine import Engine
from leadflow.runtime.explain import Explanation, explain_leads
from leadflow.runtime.outputs import format_score
from leadflow.runtime.readers import InputError
from leadflow.runtime.report_charts import (
    draw,
    funnel_spec,
    points_spec,
    score_histogram_spec,
    template_heatmap_spec,
    weekly_kinds_spec,
    weekly_transitions_spec,
)
from leadflow.runtime.report_data import ReportData, report_data
from leadflow.semantics.timemath import format_instant

MAX_STEPS = 200  # timeline lines shown per top lead: the latest ones


@dataclass
class Report:
    html: str
    result: RunResult
    seconds: dict[str, float] = field(default_factory=dict)  # phase → seconds


def check_report_path(path: str) -> None:
    """A usage error, before any work, when the report cannot be written to `path`."""
    if not path.strip():
        raise InputError("--out: the file name is empty (give one, e.g. --out report.html)")
    if os.path.isdir(path):
        raise InputError(f"--out {path}: is a directory; give the report's file name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InputError(f"--out {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"--out {path}: cannot write there (permission denied)")


def write_report(path: str, html: str) -> None:
    """Written beside `path`, then renamed: a reader never sees half a report."""
    temporary = f"{path}.leadflow-tmp-{os.getpid()}"
    try:
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(html)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def run_options(options: RunOptions, out_dir: str, top: int) -> RunOptions:
    """The user's input options; Parquet outputs, points and cancelled sends in the private directory."""
    return dataclasses.replace(options, out_dir=out_dir, format="parquet", top=top,
                               progress=False, state=None, points=True, cancelled=True)


def build_report(engine: Engine, options: RunOptions, label: str, top: int = 10,
                 workers: int | None = None, scheduler: str | None = None) -> Report:
    """The report of a run; with `workers` or `scheduler` the run is split by lead
    (runtime/cluster.py), which writes the same files, so the page is the same."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="leadflow-report-") as work:
        out_dir = os.path.join(work, "out")
        private = run_options(options, out_dir, top)
        if workers is not None or scheduler is not None:
            from leadflow.runtime.cluster import run_on_cluster
            result = run_on_cluster(engine, private, label, workers, scheduler)
        else:
            result = run(engine, private, label)
        # The private files are gone once the report is made: warnings point at the page.
        result.summary.outputs = {"rejects": "the report's data quality section"}
        seconds["run"] = time.perf_counter() - start
        data = report_data(out_dir, engine.timezone, tuple(engine.scores), tuple(engine.stages))
        seconds["aggregate"] = time.perf_counter() - start - seconds["run"]
    mark = time.perf_counter()
    leads = [lead for lead, *_ in result.top]
    timelines = explain_leads(engine, options, leads, label) if leads else []
    seconds["timelines"] = time.perf_counter() - mark
    mark = time.perf_counter()
    html = render(engine, result, data, timelines, label)
    seconds["render"] = time.perf_counter() - mark
    return Report(html, result, seconds)


def charts(data: ReportData) -> dict[str, str | None]:
    """Each chart as SVG, None when it has nothing to draw."""
    stages = data.stages
    weekly_sends = [r for r in data.actions_weekly if r.get("kind") == "send"]
    drawn: dict[str, str | None] = {
        "funnel": (draw(funnel_spec(data.stage_counts, stages))
                   if stages and any(r["leads"] for r in data.stage_counts) else None),
        "transitions": (draw(weekly_transitions_spec(data.transitions_weekly, stages))
                        if any(r["n"] for r in data.transitions_weekly) else None),
        "points": draw(points_spec(data.points_by_rule)) if data.points_by_rule else None,
        "action_kinds": (draw(weekly_kinds_spec(data.actions_weekly))
                         if data.actions_weekly else None),
        "templates": draw(template_heatmap_spec(data.actions_weekly)) if weekly_sends else None,
    }
    for score, bins in data.score_bins.items():
        drawn[f"score:{score}"] = draw(score_histogram_spec(bins, score, stages)) if bins else None
    return drawn


def timeline_rows(ex: Explanation) -> tuple[list[dict[str, Any]], int]:
    """The latest MAX_STEPS steps of a lead's timeline, and how many were left out."""
    steps = ex.timeline[-MAX_STEPS:]
    rows = [{"at": format_instant(e.at), "kind": e.kind, "text": e.text, "stage": e.stage,
             "scores": [format_score(e.scores.get(n, 0.0)) for n in ex.scores]} for e in steps]
    return rows, len(ex.timeline) - len(steps)


def points_text(value: float) -> str:
    """Points with thousands separators, at most 2 decimals: `2,700`, `-948.5`."""
    rounded = round(float(value), 2)
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.2f}".rstrip("0")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("leadflow.runtime", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["score"] = lambda v, places=6: "" if v is None else format_score(round(float(v), places))
    env.filters["count"] = lambda v: f"{v or 0:,}"
    env.filters["points"] = points_text
    return env


def render(engine: Engine, result: RunResult, data: ReportData, timelines: list[Explanation],
           label: str) -> str:
    summary = result.summary
    counts = summary.counts_json()
    top = []
    for (lead, values, stage, tags), ex in zip(result.top, timelines):
        steps, left_out = timeline_rows(ex)
        top.append({"lead_id": lead, "scores": [format_score(v) for v in values], "stage": stage,
                    "tags": tags, "timeline": steps, "left_out": left_out})
    template = environment().get_template("report.html.j2")
    return template.render(
        ruleset=label, timezone=engine.timezone, counts=counts, data=data, charts=charts(data),
        as_of=format_instant(summary.as_of) if summary.as_of is not None else None,
        as_of_given=summary.as_of_given, top=top, scores=tuple(engine.scores),
        has_stages=bool(engine.stages), files=counts["files"])
