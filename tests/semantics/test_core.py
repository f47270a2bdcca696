"""The semantics core (semantics/): the one place both engines take these answers from."""

from __future__ import annotations

import ast as python_ast
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.semantics.failures import MAX_ROUNDS, not_settled, out_of_order, rule_failed
from leadflow.semantics.globmatch import GLOB_FLAGS, glob_to_regex
from leadflow.semantics.slots import FieldSlots
from leadflow.semantics.timemath import (
    FAR_FUTURE,
    FAR_PAST,
    SECOND,
    add_duration,
    every_due,
    format_instant,
    parse_instant,
)
from leadflow.semantics.values import event_text, number_text, quoted, value_text

CORE = Path(__file__).resolve().parents[2] / "semantics"


@pytest.mark.parametrize("value, text", [
    (None, "missing"), (15.0, "15"), (99.95, "99.95"), (1 / 3, "0.333333"), (-5, "-5"),
    (True, "true"), (False, "false"), ("boda", '"boda"'), ('say "hi"', '"say \\"hi\\""'),
    ("zapatería", '"zapatería"'), (["a", 2.0], '["a", 2]'),
], ids=lambda v: repr(v))
def test_value_text_writes_values_as_a_rule_file_does(value, text):
    assert value_text(value) == text


def test_number_text_of_a_missing_number():
    assert number_text(None) == "missing"


def test_event_text_shows_the_present_fields_as_a_rule_file_writes_them():
    assert event_text("buy", [("amount", 120.0), ("sku", 'A"1')]) == 'buy(amount: 120, sku: "A\\"1")'
    assert event_text("open", []) == "open"


def test_a_target_is_quoted_as_written():
    assert quoted("welcome") == '"welcome"'


def test_every_counts_calendar_periods_from_the_anchor_so_months_do_not_drift():
    anchor = parse_instant("2024-01-31T09:00", "Europe/Madrid")
    due = [format_instant(every_due(anchor, k, 1, "month", "Europe/Madrid")) for k in (1, 2, 3)]
    assert due == ["2024-02-29T08:00:00Z", "2024-03-31T07:00:00Z", "2024-04-30T07:00:00Z"]
    assert every_due(anchor, 2, 3, "day", "UTC") == anchor + 6 * 86_400_000_000


def test_an_empty_period_is_never_due():
    assert every_due(1_000, 1, 0, "day", "UTC") is None


def every_due_by_definition(anchor: int, k: int, amount: int, unit: str, tz: str) -> int | None:
    """every_due as specified: None when the period ends no later than the one before."""
    due = add_duration(anchor, k * amount, unit, tz)
    return None if due <= add_duration(anchor, (k - 1) * amount, unit, tz) else due


@given(anchor=st.one_of(st.integers(-62_000_000_000 * SECOND, 253_400_000_000 * SECOND),
                        st.sampled_from([FAR_PAST, FAR_FUTURE, -62_135_596_800 * SECOND,
                                         253_402_300_799 * SECOND])),
       k=st.integers(1, 200), amount=st.integers(-3, 13),
       unit=st.sampled_from(["month", "year", "day", "hour"]),
       tz=st.sampled_from(["UTC", "Europe/Madrid", "Australia/Lord_Howe", "Pacific/Apia"]))
def test_every_due_skips_the_second_shift_only_where_it_cannot_matter(anchor, k, amount, unit, tz):
    assert every_due(anchor, k, amount, unit, tz) == every_due_by_definition(anchor, k, amount,
                                                                             unit, tz)


def test_not_settled_names_what_changed_in_the_last_round():
    message, rules, where = not_settled([("ping", "r.leadflow:3"), ("stage hot", "r.leadflow:9")])
    assert message.startswith(f"the ruleset does not settle: after {MAX_ROUNDS} rounds")
    assert "ping (r.leadflow:3), stage hot (r.leadflow:9);" in message
    assert (rules, where) == (["ping"], "r.leadflow:3")


def test_rule_failed_names_the_rule_its_place_and_the_python_error():
    message, rules, where = rule_failed("bonus", "r.leadflow:4", OverflowError("int too large"))
    assert message == "r.leadflow:4: bonus failed: OverflowError: int too large"
    assert (rules, where) == (("bonus",), "r.leadflow:4")


def test_out_of_order_shows_both_times_in_utc():
    assert out_of_order("open", 0, 60_000_000) == (
        "events of a lead must come in time order: open at 1970-01-01T00:00:00Z "
        "is before 1970-01-01T00:01:00Z")


@pytest.mark.parametrize("glob, yes, no", [
    ("*tacon*", "/tienda/tacones", "/tienda/botas"),
    ("a?c", "abc", "abbc"),
    ("50%.*", "50%.off", "50%x"),
    ("*", "line\nbreak", None),
])
def test_glob_matches_the_whole_string(glob, yes, no):
    rx = re.compile(glob_to_regex(glob), GLOB_FLAGS)
    assert rx.fullmatch(yes)
    if no is not None:
        assert not rx.fullmatch(no)


def test_field_slots_one_column_per_field_and_type():
    slots = FieldSlots.of({"view": [("url", "text")],
                           "buy": [("amount", "number"), ("url", "text")],
                           "odd": [("amount", "text")]})
    assert slots.slots == (("url", "text"), ("amount", "number"), ("amount", "text"))
    assert slots.by_event == ((("url", 0),), (("amount", 1), ("url", 0)), (("amount", 2),))
    assert slots.users == ((0, 1), (1,), (2,))


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_only_the_standard_library(path):
    """And other core modules, whose source compiler/embed.py pastes before."""
    tree = python_ast.parse(path.read_text(encoding="utf-8"))
    for node in python_ast.walk(tree):
        if isinstance(node, python_ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, python_ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            if module.startswith("leadflow.semantics."):
                continue
            assert module.split(".")[0] in sys.stdlib_module_names | {"__future__"}, \
                f"{path.name} imports {module}"


QUOTED = """event buy(kind: text)
lead(tier: text)
score a
rule copy: on buy set lead.tier = kind
"""


def test_both_engines_write_a_value_in_a_trace_note_the_same_way():
    """The compiled module runs the embedded semantics/values.py; the interpreter imports it."""
    from leadflow.api import load_text
    from leadflow.compiler.engine import CompiledEngine
    from leadflow.runtime.interpreter import Interpreter

    loaded = load_text(QUOTED, "q.leadflow")
    assert loaded.ok, loaded.render()
    notes = []
    for engine in (Interpreter(loaded.model), CompiledEngine(loaded.model)):
        state = engine.new_lead("l1", {}, trace=True)
        engine.feed(state, 1_717_200_000_000_000, "buy", {"kind": 'say "hí"'})
        notes.append([(e.kind, e.text) for e in engine.trace(state)])
    assert notes[0] == notes[1]
    assert ("rule", 'copy: set lead.tier = "say \\"hí\\""') in notes[0]
