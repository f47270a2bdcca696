"""Fixed durations in generated code are module constants named by their length."""

from __future__ import annotations

import pytest

from leadflow.compiler.emit_expr import Consts

CASES = [(2_592_000_000_000, "_30_DAYS", "30 days"), (86_400_000_000, "_1_DAY", "1 day"),
         (7_200_000_000, "_2_HOURS", "2 hours"), (90_000_000, "_90_SECONDS", "90 seconds"),
         (300_000_000, "_5_MINUTES", "5 minutes"), (1_500, "_1500_MICROSECONDS", "1500 microseconds"),
         (1, "_1_MICROSECOND", "1 microsecond"), (0, "_0_MICROSECONDS", "0 microseconds")]


@pytest.mark.parametrize("micros, name, words", CASES)
def test_a_duration_is_named_by_its_largest_whole_unit(micros, name, words):
    consts = Consts()
    assert consts.duration(micros) == name
    (line,) = consts.lines
    assert line.endswith(f"  # {words}")
    scope: dict = {}
    exec(line, scope)  # noqa: S102 - the line the module gets
    assert scope[name] == micros


def test_one_constant_per_duration():
    consts = Consts()
    assert consts.duration(86_400_000_000) == consts.duration(86_400_000_000) == "_1_DAY"
    assert consts.duration(2 * 86_400_000_000) == "_2_DAYS"
    assert len(consts.lines) == 2
