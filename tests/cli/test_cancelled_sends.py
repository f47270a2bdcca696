"""`run --cancelled`: held sends of a flow run stopped before delivery, in cancelled.csv.

SPEC 9 keeps them out of actions.csv; both engines record them (at the time
the run stopped, with the flow, template and arguments) and `--cancelled`
writes them, with --state too (exactly those since the last run).
"""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from leadflow.cli import cli

RULES = """timezone "Europe/Madrid"
event signup(source: text)
event buy(amount: number)
quiet hours 22:00 to 08:00
flow welcome
  start on signup
  stop on buy
  send "bienvenida" with source = source
  wait 1 day
  send "recordatorio"
  wait 2 days
  send "ultimo"
end
"""
# a: welcome held at 23:00, bought at 07:00 before it went out: cancelled.
# b: welcome held and delivered at 08:00; the reminder held the next night and
#    cancelled by a purchase at 07:00, while the run still waits to send "ultimo"
#    (a run that has no steps left keeps its held sends). c: never stopped.
EVENTS = """lead_id,event,ts,source,amount
a,signup,2024-06-01T23:00:00,web,
a,buy,2024-06-02T07:00:00,,30
b,signup,2024-06-01T23:10:00,ads,
b,buy,2024-06-03T07:00:00,,10
c,signup,2024-06-01T23:30:00,web,
"""


def read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def files(tmp_path):
    (tmp_path / "rules.leadflow").write_text(RULES, encoding="utf-8")
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    return tmp_path


def run(files, *args: str) -> None:
    result = CliRunner().invoke(cli, ["run", str(files / "rules.leadflow"), *args, "-q"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_cancelled_held_sends_are_written_only_to_cancelled_csv(files, engine):
    out = files / "out"
    run(files, str(files / "events.csv"), "--out", str(out), "--engine", engine, "--cancelled",
        "--as-of", "2024-06-04")
    assert read(out / "cancelled.csv") == [
        ["lead_id", "at", "rule", "kind", "target", "args"],
        ["a", "2024-06-02T05:00:00Z", "welcome", "cancelled", "bienvenida", '{"source": "web"}'],
        ["b", "2024-06-03T05:00:00Z", "welcome", "cancelled", "recordatorio", "{}"],
    ]
    actions = [(r[0], r[3], r[4]) for r in read(out / "actions.csv")[1:]]
    assert actions == [("b", "send", "bienvenida"), ("c", "send", "bienvenida"),
                       ("c", "send", "recordatorio")]


def test_without_the_flag_there_is_no_cancelled_file(files):
    run(files, str(files / "events.csv"), "--out", str(files / "out"))
    assert not (files / "out" / "cancelled.csv").exists()


def test_with_state_each_run_writes_the_sends_cancelled_since_the_last(files):
    lines = EVENTS.splitlines(keepends=True)
    (files / "day1.csv").write_text("".join(lines[:4]), encoding="utf-8")
    (files / "day2.csv").write_text(lines[0] + "".join(lines[4:]), encoding="utf-8")
    state = str(files / "state.duckdb")
    run(files, str(files / "day1.csv"), "--out", str(files / "out1"), "--state", state,
        "--cancelled", "--as-of", "2024-06-02T12:00")
    run(files, str(files / "day2.csv"), "--out", str(files / "out2"), "--state", state,
        "--cancelled", "--as-of", "2024-06-04")
    assert [r[0] + " " + r[4] for r in read(files / "out1" / "cancelled.csv")[1:]] == ["a bienvenida"]
    assert [r[0] + " " + r[4] for r in read(files / "out2" / "cancelled.csv")[1:]] == ["b recordatorio"]
