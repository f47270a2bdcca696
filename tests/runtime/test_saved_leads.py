"""How run --state hands the saved leads to DuckDB (runtime/incremental.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from leadflow.runtime.incremental import _string_array

CASES = [["a", "bc", ""], ['[1,{"dl":{"~q":[2],"m":4}}]'] * 3, ["año", "x"], ["a", None], []]


@pytest.mark.parametrize("values", CASES, ids=[repr(v)[:30] for v in CASES])
def test_the_string_column_is_what_pyarrow_would_make(values):
    got = _string_array(values)
    got.validate(full=True)
    assert got.equals(pa.array(values, type=pa.string()))
    assert got.to_pylist() == values
