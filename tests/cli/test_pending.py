"""pending.csv: each lead's scheduled work after the as-of, the same from both engines."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from leadflow.cli import cli

RULES = """timezone "Europe/Madrid"
event signup(source: text)
event buy(amount: number)
score engagement min 0
quiet hours 22:00 to 08:00
rule bought: on buy add 10 expires after 30 days
rule cooling: every 14 days without activity subtract 25%
flow welcome
  start on signup
  stop on buy
  send "bienvenida" with source = source
  wait 1 day
  if engagement > 5
    send "vip"
  end
  send "recordatorio"
  wait 2 days
end
"""
EVENTS = """lead_id,event,ts,source,amount
a,signup,2024-06-01T23:00:00,web,
b,buy,2024-06-01T12:00:00,,30
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "rules.leadflow").write_text(RULES, encoding="utf-8")
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    return tmp_path


def read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_pending_lists_every_kind_of_scheduled_work(files, engine):
    out = files / engine
    result = CliRunner().invoke(cli, ["run", str(files / "rules.leadflow"), str(files / "events.csv"),
                                      "--out", str(out), "--engine", engine, "-q",
                                      "--as-of", "2024-06-02T01:00"])
    assert result.exit_code == 0, result.output
    assert read(out / "pending.csv") == [
        ["lead_id", "due", "kind", "source", "what"],
        ["a", "2024-06-02T06:00:00Z", "held_send", "welcome", "send \"bienvenida\""],
        ["a", "2024-06-02T21:00:00Z", "flow_step", "welcome", "if engagement > 5 …, send \"recordatorio\""],
        ["a", "2024-06-15T21:00:00Z", "every", "cooling", "subtract 25%"],
        ["b", "2024-06-15T10:00:00Z", "every", "cooling", "subtract 25%"],
        ["b", "2024-07-01T10:00:00Z", "expire", "bought", "take back 10 from engagement"],
    ]


def test_with_state_pending_is_the_picture_at_the_last_as_of(files):
    state = str(files / "state.duckdb")
    args = ["run", str(files / "rules.leadflow"), "--state", state, "-q"]
    assert CliRunner().invoke(cli, [*args, str(files / "events.csv"), "--out", str(files / "d1"),
                                    "--as-of", "2024-06-02T01:00"]).exit_code == 0
    (files / "later.csv").write_text("lead_id,event,ts,source,amount\nc,buy,2024-06-03T12:00:00,,5\n",
                                     encoding="utf-8")
    result = CliRunner().invoke(cli, [*args, str(files / "later.csv"), "--out", str(files / "d2"),
                                      "--as-of", "2024-06-03T12:00"])
    assert result.exit_code == 0, result.output
    rows = read(files / "d2" / "pending.csv")
    # a's held welcome went out and its first wait ended; b was not touched; c is new.
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
        ("a", "flow_step", "welcome"), ("a", "every", "cooling"),
        ("b", "every", "cooling"), ("b", "expire", "bought"),
        ("c", "every", "cooling"), ("c", "expire", "bought")]
    assert rows[1][4] == "end the flow"
