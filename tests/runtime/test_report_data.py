"""The report's aggregates (runtime/report_data.py) over hand-made output files."""

from __future__ import annotations

import duckdb
import pytest

from leadflow.runtime.report_data import TOP_REASONS, report_data

ACTIONS = [  # lead, at (UTC), rule, kind, target
    ("a", "2024-01-07 23:30:00+00", "w", "send", "welcome"),  # Monday 00:30 in Madrid
    ("a", "2024-01-07 12:00:00+00", "w", "send", "welcome"),  # still Sunday in Madrid
    ("b", "2024-01-08 09:00:00+00", "w", "suppressed", "welcome"),
    ("b", "2024-01-29 09:00:00+00", "o", "send", "oferta <b>ñ</b>"),
]
CANCELLED = [("c", "2024-01-09 10:00:00+00", "w", "cancelled", "welcome")]


def write(out, name: str, sql: str) -> None:
    duckdb.sql(sql).write_parquet(str(out / f"{name}.parquet"))


def actions_sql(rows) -> str:
    values = ", ".join(f"('{lead}', TIMESTAMPTZ '{at}', '{rule}', '{kind}', '{target}', '{{}}')"
                       for lead, at, rule, kind, target in rows)
    return f'SELECT * FROM (VALUES {values}) t(lead_id, "at", rule, kind, target, args)'


@pytest.fixture
def out(tmp_path):
    write(tmp_path, "leads", "SELECT * FROM (VALUES ('a', 3.0, 'mql', ''), ('b', 45.5, 'sql', ''), "
                             "('c', 0.0, 'visitor', '')) t(lead_id, engagement, stage, tags)")
    write(tmp_path, "actions", actions_sql(ACTIONS))
    write(tmp_path, "transitions", "SELECT 'a' AS lead_id, TIMESTAMPTZ '2024-01-02 10:00:00+00' AS "
                                   "\"at\", 'visitor' AS \"from\", 'mql' AS \"to\"")
    reasons = ", ".join(f"('e.csv', {i}, 'reason {i % (TOP_REASONS + 3)}')" for i in range(100))
    write(tmp_path, "rejects", f"SELECT * FROM (VALUES {reasons}) t(file, \"row\", reason)")
    return tmp_path


def collect(out):
    return report_data(str(out), "Europe/Madrid", ("engagement",), ("visitor", "mql", "sql"))


def test_weeks_are_the_ruleset_time_zones_and_empty_ones_are_kept(out):
    data = collect(out)
    weekly = [(r["week"], r.get("template"), r.get("kind"), r.get("n")) for r in data.actions_weekly]
    assert weekly == [("2024-01-01", "welcome", "send", 1),
                      ("2024-01-08", "welcome", "send", 1),
                      ("2024-01-08", "welcome", "suppressed", 1),
                      ("2024-01-15", None, None, None),
                      ("2024-01-22", None, None, None),
                      ("2024-01-29", "oferta <b>ñ</b>", "send", 1)]


def test_cancelled_sends_count_when_the_run_wrote_them(out):
    assert not collect(out).cancelled_counted
    write(out, "cancelled", actions_sql(CANCELLED))
    data = collect(out)
    assert data.cancelled_counted
    welcome = next(r for r in data.actions_by_template if r["template"] == "welcome")
    assert (welcome["sends"], welcome["suppressed"], welcome["cancelled"]) == (2, 1, 1)


def test_stages_in_the_rulesets_order_with_empty_ones(out):
    data = collect(out)
    assert data.stage_counts == [{"stage": "visitor", "leads": 1}, {"stage": "mql", "leads": 1},
                                 {"stage": "sql", "leads": 1}]
    assert [r["stage"] for r in data.score_summary] == ["visitor", "mql", "sql"]
    bins = data.score_bins["engagement"]
    assert sum(r["leads"] for r in bins) == 3
    assert all(r["bin_end"] - r["bin_start"] == 5 for r in bins)  # 45.5 over ~20 bands
    assert data.points_by_rule is None  # no points.parquet


def test_many_reject_reasons_are_cut_to_the_most_frequent(out):
    reasons = collect(out).reject_reasons
    assert len(reasons) == TOP_REASONS + 1
    assert reasons[-1]["reason"] == "3 other reasons"
    assert sum(r["rows"] for r in reasons) == 100
