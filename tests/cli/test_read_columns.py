"""A run carries through its sort only the input columns the rules read (SLOTS_READ).

Fields no rule reads are still typed and checked, so a bad value in one still
rejects its row; and the outputs are those of the interpreter, which is given
every column.
"""

from __future__ import annotations

import csv

from click.testing import CliRunner

from leadflow.api import load_text
from leadflow.cli import cli
from leadflow.compiler.engine import CompiledEngine

RULES = """event purchase(amount: number, note: text, units: int)
score points
rule bought: on purchase add amount
rule noted: on purchase where amount > 100 tag "big"
"""

EVENTS = """lead_id,event,ts,amount,note,units
L1,purchase,2024-05-01T10:00:00Z,50,first,1
L1,purchase,2024-05-02T10:00:00Z,150,second,2
L2,purchase,2024-05-03T10:00:00Z,20,third,x
L2,purchase,2024-05-04T10:00:00Z,30,,3
"""


def test_the_module_lists_only_the_columns_its_rules_read():
    engine = CompiledEngine(load_text(RULES, "r.leadflow").model)
    read = {engine.slots[j][0] for j in engine.slots_read}
    assert read == {"amount"}
    assert {name for name, _ in engine.slots} == {"amount", "note", "units"}


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_unread_fields_are_still_checked_and_the_engines_agree(tmp_path):
    (tmp_path / "r.leadflow").write_text(RULES, encoding="utf-8")
    (tmp_path / "e.csv").write_text(EVENTS, encoding="utf-8")
    outs = {}
    for engine in ("compiled", "interpreter"):
        out = tmp_path / engine
        result = CliRunner().invoke(cli, ["run", str(tmp_path / "r.leadflow"), str(tmp_path / "e.csv"),
                                          "--out", str(out), "--engine", engine, "--top", "0"])
        assert result.exit_code == 0, result.output
        outs[engine] = {name: rows(out / f"{name}.csv")
                        for name in ("leads", "actions", "rejects", "pending")}
    assert outs["compiled"] == outs["interpreter"]
    (rejected,) = outs["compiled"]["rejects"][1:]
    assert rejected[1] == "3" and rejected[2].startswith("field units: 'x'")
    leads = {row[0]: row for row in outs["compiled"]["leads"][1:]}
    assert leads["L1"][1] == "200" and leads["L2"][1] == "30"
