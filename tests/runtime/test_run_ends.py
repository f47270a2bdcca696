"""RunEnds (runtime/driver.py): the ends of each lead's run of rows in a batch, split in
Python for a small run and by Arrow past that, the same list either way."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from leadflow.runtime.driver import RunEnds

BATCHES = st.lists(st.lists(st.sampled_from(["L1", "L2", "L3", "L10", ""]), max_size=30)
                   .map(sorted), max_size=6)


def arrow_ends(ids: list[str]) -> list[int]:
    return pc.run_end_encode(pa.array(ids, pa.string())).run_ends.to_pylist()


@given(BATCHES)
def test_the_ends_are_arrows_run_ends_before_and_after_the_switch(batches):
    ends = RunEnds()
    ends.SMALL = 40  # so that the examples cross it
    for ids in batches:
        assert ends(pa.array(ids, pa.string()), ids) == arrow_ends(ids)


def test_arrow_takes_over_once_a_run_has_read_more_than_small():
    ends = RunEnds()
    ends.SMALL = 5
    ends(pa.array(["a", "b"]), ["a", "b"])
    assert ends.encode is None
    ends(pa.array(["c"] * 4), ["c"] * 4)
    assert ends.encode is pc.run_end_encode
    assert ends(pa.array(["d", "d", "e"]), ["d", "d", "e"]) == [2, 3]
