"""Globs with at most a leading and a trailing `*` compile to string tests, not regular expressions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.compiler.emit_expr import glob_string_test
from leadflow.semantics.globmatch import glob_to_regex

SIMPLE = [("*/tacon*", "'/tacon' in x"), ("abc*", "x.startswith('abc')"), ("*.js", "x.endswith('.js')"),
          ("gracias", "x == 'gracias'"), ("*a\\b*", "'a\\\\b' in x"), ("*[x]*", "'[x]' in x"),
          ("*\n*", "'\\n' in x"), ("*.*", "'.' in x")]
KEPT_AS_REGEX = ["*", "**", "*a*b*", "a?c*", "", "***x", "x**", "a*b"]


@pytest.mark.parametrize("glob, code", SIMPLE, ids=[repr(g) for g, _ in SIMPLE])
def test_simple_globs_become_string_tests(glob, code):
    assert glob_string_test(glob, "x") == code


@pytest.mark.parametrize("glob", KEPT_AS_REGEX, ids=[repr(g) for g in KEPT_AS_REGEX])
def test_other_globs_stay_regular_expressions(glob):
    assert glob_string_test(glob, "x") is None


alphabet = st.sampled_from(list("ab.*?\\[\n/"))


@given(st.text(alphabet, max_size=6), st.text(st.sampled_from(list("ab.*?\\[\n/x")), max_size=8))
def test_a_string_test_has_the_truth_of_the_whole_string_match(glob, value):
    regex = glob_to_regex(glob)
    code = glob_string_test(glob, "x")
    if code is not None:
        assert eval(code, {"x": value}) == (re.compile(regex, re.DOTALL).fullmatch(value) is not None)
