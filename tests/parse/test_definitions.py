"""Named quantities under 'define': rows mean the definition, derivatives are total unless in a defined quantity."""

from __future__ import annotations

import pytest
import sympy

from derivcheck.config import CheckConfig
from derivcheck.errors import FormatError
from derivcheck.load.documents import documents_from_text
from derivcheck.model import LoadError
from derivcheck.parse.document import parse_document
from tests.helpers import step_verdicts, verify_text

SOFTMAX = """
title: cross-entropy through softmax
symbols:
  z, y: real vector
  i, j, c: index 1..C
define:
  p[k]: exp(z[k])/Sum(exp(z[d]), (d, 1, C))
  L: -Sum(y[c]*log(p[c]), (c, 1, C))
assume:
  - Sum(y[c], (c, 1, C)) == 1
steps:
"""


def _parsed(text: str):
    (doc,) = documents_from_text(text, "t.yaml")
    if isinstance(doc, LoadError):
        raise FormatError(doc.message, doc.line)
    return parse_document(doc)


def _steps(text: str) -> list[sympy.Expr]:
    return [s.expr for s in _parsed(text).chains[0].steps]


def test_a_defined_name_means_its_definition():
    text = "title: t\nsymbols: {x: real}\ndefine: {L: x**2 + 1}\nsteps: [L, x**2 + 1]\n"
    first, second = _steps(text)
    assert first == second


def test_derivative_in_a_defined_quantity_is_partial():
    partial, written = _steps(SOFTMAX + "  - diff(L, p[j])\n  - -Sum(y[c]*KroneckerDelta(c, j)/p[c], (c, 1, C))\n")
    # The derivative is taken with p held as a quantity, then p is written out.
    assert partial.dummy_eq(written)


def test_derivative_in_a_plain_variable_is_total_through_definitions():
    partial, total = _steps(SOFTMAX + "  - diff(L, p[j])\n  - diff(L, z[i])\n")
    assert partial != total
    assert total.has(sympy.KroneckerDelta)  # z[i] reached through p


@pytest.mark.slow
def test_chain_rule_as_written_passes():
    steps = [
        "diff(L, z[i])",
        "Sum(diff(L, p[j])*diff(p[j], z[i]), (j, 1, C))",
        "-Sum(y[c]/p[c]*diff(p[c], z[i]), (c, 1, C))",
        "p[i] - y[i]",
    ]
    text = SOFTMAX + "".join(f"  - {s}\n" for s in steps)
    # proved for every size: the softmax written two ways inside a sum has one normal form (one fraction)
    assert step_verdicts(verify_text(text)) == ["proved", "proved", "proved"]


@pytest.mark.parametrize(
    ("define", "message"),
    [
        ("{a: b, b: a}", "cycle"),
        ("{x: 1}", "both declared under 'symbols' and defined"),
        ("{exp: 1}", "built in"),
        ("\n  'p[1]': 1", "cannot be defined"),
        ("\n  'p[k, k]': 1", "must be distinct names"),
        ("\n  L:", "must be an expression"),
    ],
)
def test_bad_definitions_are_clear_errors(define: str, message: str):
    text = f"title: t\nsymbols: {{x: real}}\ndefine: {define}\nsteps: [x, x]\n"
    with pytest.raises(FormatError) as caught:
        _parsed(text)
    assert message in caught.value.message


def test_element_defined_quantity_needs_an_index():
    text = "title: t\nsymbols: {z: real vector}\ndefine:\n  p[k]: exp(z[k])\nsteps: [p, '1']\n"
    with pytest.raises(FormatError, match="element by element"):
        _parsed(text)


def test_vanishing_derivative_is_noted_and_fails_under_strict():
    text = "title: t\nsymbols: {y: real, z: real}\nsteps: ['diff(y**2, z)', '0']\n"
    (result,) = [r for r in verify_text(text).results if r.kind == "step"]
    assert result.passes and result.doubtful and "z does not occur" in result.doubtful[0]
    assert any("z does not occur" in note for note in result.notes)
    strict = CheckConfig(jobs=1, cache_dir=None, timeout=10.0, strict=True)
    (result,) = [r for r in verify_text(text, strict).results if r.kind == "step"]
    assert not result.passes


def test_derivative_of_a_constant_or_through_a_definition_is_not_noted():
    text = (
        "title: t\nsymbols: {z: real}\ndefine: {y: z**2}\n"
        "steps: ['diff(3, z) + diff(y, z)', '2*z']\n"
    )
    (result,) = [r for r in verify_text(text).results if r.kind == "step"]
    assert result.passes and not result.doubtful and result.verdict.value == "proved"


def test_definitions_are_expanded_in_conditions():
    text = "title: t\nsymbols: {x: real}\ndefine: {s: x**2}\nassume: ['s > 1']\nsteps: ['abs(x)', 'abs(x)']\n"
    parsed = _parsed(text)
    assert not any(c.lhs.has(sympy.Symbol("s", real=True)) for c in parsed.assume)


@pytest.mark.parametrize(
    "symbols, noted",
    [
        ("{y: real constant, z: real}", False),  # the author says y does not depend on z
        ("{y: positive vector constant, z: real, n: positive integer, k: index 1..n}", False),
        ("{y: real constant, w: real, z: real}", True),  # w is not declared constant: still noted
    ],
)
def test_a_derivative_of_constant_symbols_alone_is_not_noted(symbols, noted):
    body = "Sum(y[k]*log(y[k]), (k, 1, n))" if "vector" in symbols else ("y*w" if "w:" in symbols else "y**2")
    text = f"title: t\nsymbols: {symbols}\nsteps: ['diff({body}, z)', '0']\n"
    (result,) = [r for r in verify_text(text).results if r.kind == "step"]
    assert result.passes and bool(result.doubtful) is noted


def test_constant_is_a_symbol_word():
    from derivcheck.model import SymbolDecl
    from derivcheck.parse.symbols import read_symbol

    spec = read_symbol(SymbolDecl("y", "positive vector constant", 1))
    assert spec.is_constant and spec.is_vector and not read_symbol(SymbolDecl("x", "real", 1)).is_constant


def test_solve_last_in_yaml():
    text = (
        "title: t\nsymbols: {w: real}\nfunctions:\n  g(t): (t**4 + t**2 + 6*t)/50\n"
        "solve: last\nsolutions: [{w: -1}, {w: 2}]\n"
        "steps: ['diff(g(w), w)', '(4*w**3 + 2*w + 6)/50', '0']\n"
    )
    report = verify_text(text)
    assert step_verdicts(report) == ["proved"]
    assert [r.verdict.value for r in report.results if r.kind == "number"] == ["proved", "wrong"]
    assert any("sets up an equation" in r.message for r in report.results if r.kind == "note")


def test_solutions_without_an_equation_are_an_error():
    text = "title: t\nsymbols: {w: real}\nsolve: last\nsolutions: {w: 1}\nsteps: [w, w]\n"
    with pytest.raises(FormatError, match="no chain ends in 0"):
        _parsed(text)
