"""Helpers of run --state's replay (runtime/incremental.py): the saved leads' text for
DuckDB, and the garbage collector's view during the replay."""

from __future__ import annotations

import gc

import pyarrow as pa
import pytest

from leadflow.runtime.incremental import _collector_skips_older_objects, _string_array

CASES = [["a", "bc", ""], ['[1,{"dl":{"~q":[2],"m":4}}]'] * 3, ["año", "x"], ["a", None], []]


@pytest.mark.parametrize("values", CASES, ids=[repr(v)[:30] for v in CASES])
def test_the_string_column_is_what_pyarrow_would_make(values):
    got = _string_array(values)
    got.validate(full=True)
    assert got.equals(pa.array(values, type=pa.string()))
    assert got.to_pylist() == values


def collected(obj: object) -> bool:
    """Whether the collector looks at `obj` (frozen objects are not among its objects)."""
    return any(o is obj for o in gc.get_objects())


def test_the_replay_freezes_what_exists_and_hands_it_back():
    marker = [object()]
    with _collector_skips_older_objects():
        assert not collected(marker)
    assert collected(marker)


def test_a_program_that_froze_objects_itself_keeps_them_frozen():
    marker = [object()]
    gc.freeze()
    try:
        later = [object()]
        with _collector_skips_older_objects():
            assert collected(later)  # nothing more was frozen
        assert not collected(marker)
    finally:
        gc.unfreeze()
    assert collected(marker)
