"""Output files: columns, order, number and time formatting, three formats that reload cleanly."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.runtime import outputs
from leadflow.runtime.engine import LeadResult, OutAction, Transition
from leadflow.runtime.outputs import OutputTables, format_score
from leadflow.semantics.timemath import format_instant

T0 = 1_704_875_400_000_000  # 2024-01-10T08:30:00Z
REJECTS = "SELECT * FROM (VALUES ('events.csv', 3, 'missing lead_id')) t(file, \"row\", reason)"


@pytest.mark.parametrize("value, text", [
    (15.0, "15"), (15, "15"), (2.5, "2.5"), (-7.5, "-7.5"), (1 / 3, "0.333333"),
    (2 / 3, "0.666667"), (-0.0000001, "0"), (2.0000004, "2"), (123456.1234567, "123456.123457"),
    (0.1 + 0.2, "0.3"), (-0.0, "0"),
])
def test_scores_are_integers_when_integral_else_six_decimals(value, text):
    assert format_score(value) == text


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_score_text_is_the_value_to_six_decimals_without_trailing_zeros(value):
    text = format_score(value)
    assert re.fullmatch(r"-?\d+(\.\d{0,5}[1-9])?", text), text
    assert abs(float(text) - value) <= 5e-7 + abs(value) * 1e-15
    assert text != "-0"


def rounded_text(value: float) -> str:
    """The definition the quick path of format_score must keep: round to 6 places, then write."""
    rounded = round(value, 6)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    return f"{rounded:.6f}".rstrip("0").rstrip(".")


@given(st.one_of(st.floats(min_value=-2e9, max_value=2e9, allow_nan=False),
                 st.integers(-10**16, 10**16).map(lambda n: n / 10**7),
                 st.integers(-2 * 10**15, 2 * 10**15).map(lambda n: (2 * n + 1) / 2_000_000)))
def test_score_text_is_exactly_the_rounded_value_written_out(value):
    assert format_score(value) == rounded_text(value)


def test_format_instant():
    assert format_instant(0) == "1970-01-01T00:00:00Z"
    assert format_instant(T0) == "2024-01-10T08:30:00Z"
    assert format_instant(T0 + 5) == "2024-01-10T08:30:00.000005Z"


def lead(lead_id, engagement, stage="visitor", tags=(), actions=(), transitions=()):
    return LeadResult(lead_id, {"engagement": engagement, "fit": 1.5}, stage, tuple(tags), {},
                      list(actions), list(transitions))


def tables_with_results(monkeypatch) -> OutputTables:
    monkeypatch.setattr(outputs, "FLUSH_ROWS", 3)  # park rows in the middle too
    monkeypatch.setattr(outputs, "LOAD_ROWS", 4)  # and load some into the tables
    tables = OutputTables(duckdb.connect(), ("engagement", "fit"))
    hour = 3_600_000_000
    tables.add(lead("a", 15.0, "mql", ("vestir", "deporte"), actions=[
        OutAction(T0 + 2 * hour, "offer", "send", "offer", {"category": "boda", "n": 2.0}),
        OutAction(T0, "handoff", "notify", "sales", {}),
        OutAction(T0, "cart", "send", "cart_items", {}),  # same time as the notify: emitted after it
    ], transitions=[Transition(T0 + hour, "visitor", "mql")]))
    tables.add(lead("b", 2.25, None))
    tables.add(lead("c", 0.0, actions=[OutAction(T0, "welcome", "suppressed", "welcome", {})],
                    transitions=[Transition(T0, "visitor", "mql"), Transition(T0 + hour, "mql", "visitor")]))
    return tables


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_csv_outputs_columns_order_and_values(tmp_path, monkeypatch):
    tables = tables_with_results(monkeypatch)
    written = tables.write(str(tmp_path), "csv", REJECTS)
    assert list(written) == ["leads", "actions", "transitions", "pending", "rejects"]
    assert read(written["pending"]) == [["lead_id", "due", "kind", "source", "what"]]
    assert read(written["leads"]) == [
        ["lead_id", "engagement", "fit", "stage", "tags", "first_seen", "last_activity",
         "stage_since"],
        ["a", "15", "1.5", "mql", "deporte;vestir", "", "", ""],
        ["b", "2.25", "1.5", "", "", "", "", ""],
        ["c", "0", "1.5", "visitor", "", "", "", ""],
    ]
    assert read(written["actions"]) == [
        ["lead_id", "at", "rule", "kind", "target", "args"],
        ["a", "2024-01-10T08:30:00Z", "handoff", "notify", "sales", "{}"],
        ["a", "2024-01-10T08:30:00Z", "cart", "send", "cart_items", "{}"],
        ["c", "2024-01-10T08:30:00Z", "welcome", "suppressed", "welcome", "{}"],
        ["a", "2024-01-10T10:30:00Z", "offer", "send", "offer", '{"category": "boda", "n": 2}'],
    ]
    assert read(written["transitions"]) == [
        ["lead_id", "at", "from", "to"],
        ["c", "2024-01-10T08:30:00Z", "visitor", "mql"],
        ["a", "2024-01-10T09:30:00Z", "visitor", "mql"],
        ["c", "2024-01-10T09:30:00Z", "mql", "visitor"],
    ]
    assert read(written["rejects"]) == [["file", "row", "reason"], ["events.csv", "3", "missing lead_id"]]
    assert tables.kinds == {"send": 2, "notify": 1, "suppressed": 1} and tables.transitions == 3


def test_jsonl_outputs_hold_numbers_and_objects(tmp_path, monkeypatch):
    written = tables_with_results(monkeypatch).write(str(tmp_path), "jsonl", REJECTS)
    leads = [json.loads(line) for line in Path(written["leads"]).read_text().splitlines()]
    assert leads[0] == {"lead_id": "a", "engagement": 15, "fit": 1.5, "stage": "mql",
                        "tags": ["deporte", "vestir"], "first_seen": None, "last_activity": None,
                        "stage_since": None}
    assert leads[1]["tags"] == []
    assert leads[1]["stage"] is None
    actions = [json.loads(line) for line in Path(written["actions"]).read_text().splitlines()]
    assert actions[-1]["args"] == {"category": "boda", "n": 2}
    assert actions[-1]["at"] == "2024-01-10T10:30:00Z"
    assert [json.loads(line) for line in Path(written["rejects"]).read_text().splitlines()] == [
        {"file": "events.csv", "row": 3, "reason": "missing lead_id"}]


def test_parquet_outputs_are_typed(tmp_path, monkeypatch):
    written = tables_with_results(monkeypatch).write(str(tmp_path), "parquet", REJECTS)
    con = duckdb.connect()
    described = con.sql(f"DESCRIBE SELECT * FROM '{written['actions']}'").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["at"] == "TIMESTAMP WITH TIME ZONE" and types["args"] == "VARCHAR"
    assert con.sql(f"SELECT epoch_us(\"at\") FROM '{written['actions']}'").fetchall()[0][0] == T0
    assert con.sql(f"SELECT engagement, stage FROM '{written['leads']}' ORDER BY lead_id").fetchall() == [
        (15.0, "mql"), (2.25, None), (0.0, "visitor")]


def test_overview_queries(monkeypatch):
    tables = tables_with_results(monkeypatch)
    assert [(lead_id, scores) for lead_id, scores, *_ in tables.top_leads(2)] == [
        ("a", [15.0, 1.5]), ("b", [2.25, 1.5])]
    assert tables.stage_counts() == {"mql": 1, None: 1, "visitor": 1}


def test_no_partial_files_are_left(tmp_path, monkeypatch):
    tables_with_results(monkeypatch).write(str(tmp_path / "new" / "dir"), "csv", REJECTS)
    assert sorted(p.name for p in (tmp_path / "new" / "dir").iterdir()) == [
        "actions.csv", "leads.csv", "pending.csv", "rejects.csv", "transitions.csv"]
