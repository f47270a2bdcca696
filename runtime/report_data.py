"""`leadflow report`, step two: the report's numbers, from a run's Parquet outputs with DuckDB SQL.

Every figure is one aggregate query over the files a normal `run --format
parquet` wrote (leads, actions, transitions, rejects, and points and cancelled
when the run wrote them), so memory stays bounded by DuckDB, not by Python:
only the aggregated rows (a few per stage, rule, template or week) come back.

Weeks start on Monday, in the ruleset's time zone: a send at 23:30 UTC on a
Sunday in Madrid belongs to the next week, as the marketing team counts it.
Weeks with nothing in them are listed too, so the charts do not hide a gap.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import duckdb

from leadflow.runtime.rows import ident, literal

SCORE_BINS = 20  # bars in a score histogram, about
TOP_REASONS = 20  # reasons of rejected rows listed; the rest are summed up as "other reasons"


@dataclass
class ReportData:
    """What the report shows, in plain rows (lists of dicts) ready for charts and tables."""

    stages: tuple[str, ...]
    scores: tuple[str, ...]
    stage_counts: list[dict[str, Any]] = field(default_factory=list)  # stage, leads
    transitions_weekly: list[dict[str, Any]] = field(default_factory=list)  # week, to, transitions
    score_bins: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # score → bins
    score_summary: list[dict[str, Any]] = field(default_factory=list)  # stage, leads, per score
    points_by_rule: list[dict[str, Any]] | None = None  # rule, score, firings, points, leads;
    # None when the run wrote no points ledger
    actions_weekly: list[dict[str, Any]] = field(default_factory=list)  # week, template, kind, n
    actions_by_template: list[dict[str, Any]] = field(default_factory=list)
    cancelled_counted: bool = False  # whether the run wrote cancelled sends
    reject_reasons: list[dict[str, Any]] = field(default_factory=list)  # reason, rows


def output_file(out_dir: str, name: str) -> str | None:
    path = os.path.join(out_dir, f"{name}.parquet")
    return path if os.path.exists(path) else None


def nice_step(span: float, bins: int = SCORE_BINS) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) giving about `bins` bars."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / bins
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


class ReportQueries:
    """The aggregate queries over one output directory of a run."""

    def __init__(self, out_dir: str, timezone: str, scores: tuple[str, ...],
                 stages: tuple[str, ...]):
        self.out_dir = out_dir
        self.scores = scores
        self.stages = stages
        self.con = duckdb.connect()
        self.con.execute(f"SET TimeZone = {literal(timezone)}")
        self.timezone = timezone

    def close(self) -> None:
        self.con.close()

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def table(self, name: str) -> str | None:
        path = output_file(self.out_dir, name)
        return f"read_parquet({literal(path)})" if path else None

    def week(self, column: str = '"at"') -> str:
        """The Monday (a date) of the week of a UTC time, in the ruleset's time zone."""
        return f"CAST(date_trunc('week', timezone({literal(self.timezone)}, {column})) AS DATE)"

    def weekly(self, table: str, keys: dict[str, str]) -> list[dict[str, Any]]:
        """Counts per week and keys (name → SQL), weeks as ISO dates; a row per empty week too.

        Within a week the largest count comes first, ties in the order of the keys.
        """
        week = self.week()
        columns = ", ".join(f"{sql} AS {ident(name)}" for name, sql in keys.items())
        ties = "".join(f", c.{ident(name)}" for name in keys)
        return self.rows(
            f"WITH counted AS (SELECT {week} AS week, {columns}, count(*) AS n FROM {table} "
            f"GROUP BY ALL), "
            f"span AS (SELECT min(week) AS first, max(week) AS last FROM counted), "
            f"weeks AS (SELECT CAST(unnest(generate_series(first, last, INTERVAL 7 DAY)) AS DATE) "
            f"AS week FROM span WHERE first IS NOT NULL) "
            f"SELECT strftime(w.week, '%Y-%m-%d') AS week, c.* EXCLUDE (week) FROM weeks w "
            f"LEFT JOIN counted c USING (week) ORDER BY w.week, c.n DESC NULLS LAST{ties}")

    def collect(self) -> ReportData:
        data = ReportData(self.stages, self.scores)
        leads = self.table("leads")
        if leads is not None:
            self.lead_figures(leads, data)
        transitions = self.table("transitions")
        if transitions is not None and self.stages:
            data.transitions_weekly = self.weekly(transitions, {"to": '"to"'})
        points = self.table("points")
        if points is not None:
            data.points_by_rule = self.rows(
                f"SELECT rule, score, count(*) AS firings, sum(change) AS points, "
                f"count(DISTINCT lead_id) AS leads FROM {points} GROUP BY rule, score "
                f"ORDER BY abs(sum(change)) DESC, rule, score")
            for row in data.points_by_rule:  # the chart's label: which rule, to which score
                row["label"] = row["rule"] if len(self.scores) == 1 else f"{row['rule']} → {row['score']}"
        self.action_figures(data)
        rejects = self.table("rejects")
        if rejects is not None:
            data.reject_reasons = self.reject_reasons(rejects)
        return data

    def lead_figures(self, leads: str, data: ReportData) -> None:
        stage = "stage" if self.stages else "NULL"
        counts = {r["stage"]: r["leads"] for r in self.rows(
            f"SELECT {stage} AS stage, count(*) AS leads FROM {leads} GROUP BY 1")}
        if self.stages:
            data.stage_counts = [{"stage": s, "leads": counts.get(s, 0)} for s in self.stages]
        else:
            data.stage_counts = [{"stage": "(all leads)", "leads": counts.get(None, 0)}]
        for score in self.scores:
            data.score_bins[score] = self.score_bins(leads, score, stage)
        per_score = ", ".join(
            f"min({ident(s)}) AS {ident(s + ' min')}, median({ident(s)}) AS {ident(s + ' median')}, "
            f"avg({ident(s)}) AS {ident(s + ' mean')}, max({ident(s)}) AS {ident(s + ' max')}"
            for s in self.scores)
        summary = self.rows(f"SELECT {stage} AS stage, count(*) AS leads"
                            f"{', ' + per_score if per_score else ''} FROM {leads} GROUP BY 1")
        order = {s: i for i, s in enumerate(self.stages)}
        data.score_summary = sorted(summary, key=lambda r: order.get(r["stage"], len(order)))

    def score_bins(self, leads: str, score: str, stage: str) -> list[dict[str, Any]]:
        """Leads per stage and score bin: bin_start, bin_end, stage, leads."""
        low, high = self.con.execute(f"SELECT min({ident(score)})::DOUBLE, "
                                     f"max({ident(score)})::DOUBLE FROM {leads}").fetchone()
        if low is None:
            return []
        step = nice_step(high - low)
        start = math.floor(low / step) * step
        bins = self.rows(
            f"SELECT floor(({ident(score)} - {start!r}) / {step!r}) AS k, {stage} AS stage, "
            f"count(*) AS leads FROM {leads} GROUP BY ALL ORDER BY k")
        for row in bins:
            row["bin_start"] = start + row["k"] * step
            row["bin_end"] = row["bin_start"] + step
            row["stage"] = row["stage"] if self.stages else "(all leads)"
            del row["k"]
        return bins

    def action_figures(self, data: ReportData) -> None:
        """Actions per template (send target or notify target), kind and week."""
        parts = [f"SELECT \"at\", target, kind FROM {t}"
                 for t in (self.table("actions"), self.table("cancelled")) if t is not None]
        data.cancelled_counted = self.table("cancelled") is not None
        if not parts:
            return
        actions = f"({' UNION ALL '.join(parts)})"
        data.actions_weekly = self.weekly(actions, {"template": "target", "kind": "kind"})
        data.actions_by_template = self.rows(
            f"SELECT target AS template, "
            f"count(*) FILTER (WHERE kind = 'send') AS sends, "
            f"count(*) FILTER (WHERE kind = 'suppressed') AS suppressed, "
            f"count(*) FILTER (WHERE kind = 'cancelled') AS cancelled, "
            f"count(*) FILTER (WHERE kind = 'notify') AS notifications "
            f"FROM {actions} GROUP BY target ORDER BY count(*) DESC, target")

    def reject_reasons(self, rejects: str) -> list[dict[str, Any]]:
        rows = self.rows(f"SELECT reason, count(*) AS rows FROM {rejects} GROUP BY reason "
                         f"ORDER BY rows DESC, reason")
        if len(rows) > TOP_REASONS:
            rest = sum(r["rows"] for r in rows[TOP_REASONS:])
            rows = rows[:TOP_REASONS] + [{"reason": f"{len(rows) - TOP_REASONS} other reasons",
                                          "rows": rest}]
        return rows


def report_data(out_dir: str, timezone: str, scores: tuple[str, ...],
                stages: tuple[str, ...]) -> ReportData:
    queries = ReportQueries(out_dir, timezone, scores, stages)
    try:
        return queries.collect()
    finally:
        queries.close()
