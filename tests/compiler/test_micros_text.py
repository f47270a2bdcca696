"""Fixed durations in generated code show their length, and are the same number."""

from __future__ import annotations

import pytest

from leadflow.compiler.emit_expr import micros_text

CASES = [(2_592_000_000_000, "30 * 86_400_000_000"), (86_400_000_000, "86_400_000_000"),
         (7_200_000_000, "2 * 3_600_000_000"), (90_000_000, "90_000_000"),
         (300_000_000, "5 * 60_000_000"), (1, "1"), (0, "0")]


@pytest.mark.parametrize("micros, text", CASES)
def test_a_duration_reads_as_a_count_of_its_largest_whole_unit(micros, text):
    assert micros_text(micros) == text
    assert eval(text) == micros
