"""Index ranges whose bounds are a size plus or minus a whole number (``index 0..C-1``)."""

from __future__ import annotations

import pytest

from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl
from derivcheck.parse.symbols import bound_parts, read_symbol
from tests.helpers import step_verdicts, verify_text


@pytest.mark.parametrize(
    ("text", "parts"), [("0", (None, 0)), ("-2", (None, -2)), ("C", ("C", 0)), ("C-1", ("C", -1)), ("n+2", ("n", 2))]
)
def test_bound_parts(text: str, parts: tuple):
    assert bound_parts(text) == parts


def test_zero_based_index_range_is_read_and_checked():
    text = (
        "title: t\nsymbols:\n  z: real vector\n  j, k: index 0..C-1\n"
        "steps:\n  - diff(Sum(exp(z[j]), (j, 0, C - 1)), z[k])\n  - exp(z[k])\n"
    )
    assert step_verdicts(verify_text(text)) == ["proved"]


def test_zero_based_index_range_refutes_a_one_based_claim():
    # Over 0..C-1 the sum of k is C(C-1)/2, not C(C+1)/2.
    text = "title: t\nsymbols:\n  k: index 0..C-1\nsteps:\n  - Sum(k, (k, 0, C - 1))\n  - C*(C + 1)/2\n"
    assert step_verdicts(verify_text(text)) == ["wrong"]


def test_a_bound_that_is_not_a_size_plus_a_number_is_refused():
    with pytest.raises(FormatError, match="plus or minus a whole number"):
        read_symbol(SymbolDecl("k", "index 0..2*C", 1))
