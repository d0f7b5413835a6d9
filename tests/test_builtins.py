"""Every built-in of the registry (derivcheck/builtins.py) through every part that knows built-ins.

The parser builds it, the numeric screen evaluates it, the stability evaluator
evaluates it in float64 and at high precision (or the parser refuses it there
with the reason), the renderer typesets it, the LaTeX reader reads the
renderer's LaTeX back to the same expression, and the JSON Schema names it.
"""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy
import yaml

from derivcheck.authoring.schema import derivation_schema
from derivcheck.builtins import BUILTIN_NAMES, BUILTINS, CONSTANTS, Builtin, builtin
from derivcheck.check.screen.stability import (
    SCALAR_BUILTINS,
    Evaluator,
    Float64,
    Reference,
    StabilityTask,
    evaluate_point,
)
from derivcheck.config import CheckConfig
from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl
from derivcheck.parse.document import parse_document
from derivcheck.parse.expressions import BUILTIN_FUNCTIONS, CONSTANTS as PARSER_CONSTANTS, RESERVED, SHADOWABLE
from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize
from derivcheck.render.boxes import Words
from derivcheck.render.expressions import FUNCTION_NAMES, layout_expression
from derivcheck.render.latex import to_latex
from tests.helpers import derivation, step_verdicts, verify_text

SYMBOLS = {"x": "real", "y": "real", "i": "integer", "j": "integer", "k": "integer"}
MATRICES = {"u": "vector 2", "v": "vector 2", "A": "matrix 2 2"}  # for the functions of vectors and matrices

# One use of each built-in, with arguments where it is real and defined (x, y in [0.1, 0.9]).
SAMPLES = {
    "log": "log(x, 2)",
    "max": "max(x, y)",
    "min": "min(x, y)",
    "diff": "diff(sin(x)*x, x)",
    "Sum": "Sum(x**k, (k, 1, 3))",
    "Product": "Product(x + k, (k, 1, 3))",
    "KroneckerDelta": "KroneckerDelta(i, j)",
    "Limit": "Limit(sin(x*y)/y, y, 0)",
    "Integral": "Integral(x*k**2, (k, 0, y))",
    "Expectation": "Expectation(k**2, (k, Uniform(x, y)))",
    "Var": "Var(k, (k, Bernoulli(x)))",
    "KL": "KL(Bernoulli(x), Bernoulli(y))",
    "transpose": "transpose(u) @ A @ v",
    "dot": "dot(u, v)",
    "norm": "norm(u)",
    "trace": "trace(A)",
    "eye": "dot(u, eye(2) @ v)",
    "diag": "dot(u, diag(v) @ u)",
    "grad": "dot(grad(x*dot(u, u), u), v)",
    "hessian": "transpose(v) @ hessian(x*dot(u, A @ u), u) @ v",
    "Matrix": "dot(Matrix([x, y]), u)",
}


def symbols_for(entry: Builtin) -> dict[str, str]:
    """The declarations its sample needs."""
    return {**SYMBOLS, **MATRICES} if entry.matrix else SYMBOLS


def sample(entry: Builtin) -> str:
    return SAMPLES.get(entry.name, f"{entry.name}(x)")


def load(text: str, symbols: dict | None = None, **more: object):
    from derivcheck.load.documents import documents_from_text

    doc = {"title": "t", "symbols": symbols or SYMBOLS, **more}
    (document,) = documents_from_text(yaml.safe_dump(doc, sort_keys=False), "b.yaml")
    return parse_document(document)


def parsed(text: str, symbols: dict | None = None) -> sympy.Expr:
    result = load(text, symbols, steps=[text, text])
    return result.chains[0].steps[0].expr


def canonical(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with its bound variables (SymPy dummies) renamed in order, so that two readings compare."""
    dummies = sorted(expr.atoms(sympy.Dummy), key=str)
    return expr.xreplace({d: sympy.Symbol(f"bound_{i}", **d.assumptions0) for i, d in enumerate(dummies)})


def test_the_registry_is_consistent():
    assert len(BUILTINS) == len(BUILTIN_NAMES) >= 29
    assert BUILTIN_FUNCTIONS == BUILTIN_NAMES
    assert set(PARSER_CONSTANTS) == set(CONSTANTS)
    assert all(builtin(b.name) is b for b in BUILTINS)
    assert builtin("sigmoid") is None
    assert SHADOWABLE == {b.name for b in BUILTINS if not b.reserved}
    assert {b.name for b in BUILTINS if b.reserved} | set(CONSTANTS) == RESERVED


@pytest.mark.parametrize("entry", BUILTINS, ids=lambda b: b.name)
def test_the_parser_builds_it_and_reserves_its_name(entry: Builtin):
    expr = parsed(sample(entry), symbols_for(entry))
    assert isinstance(expr, sympy.Expr) and not expr.atoms(sympy.core.function.AppliedUndef)
    symbols = {**SYMBOLS, entry.name: "real"}
    if entry.reserved:
        with pytest.raises(FormatError, match=entry.name):
            load("x", symbols=symbols, steps=["x", "x"])
    else:  # a later built-in gives way to a declared symbol
        assert load("x", symbols=symbols, steps=[entry.name, entry.name]).chains[0].steps[0].expr.is_Symbol


@pytest.mark.parametrize("entry", BUILTINS, ids=lambda b: b.name)
def test_the_checker_evaluates_it(entry: Builtin):
    text = sample(entry)
    steps = [text, f"{text} + x/7"]
    report = verify_text(derivation(steps, symbols=symbols_for(entry), assume=["0 < x < 1", "0 < y < 1"]))
    assert step_verdicts(report) == ["wrong"], report.results[0].outcome.summary


@pytest.mark.parametrize("entry", BUILTINS, ids=lambda b: b.name)
def test_the_stability_evaluator_evaluates_it_or_the_parser_says_why_not(entry: Builtin):
    text = sample(entry).replace("(i, j)", "(x, y)")
    stability = [{"expr": text, "over": {"x": [0.1, 0.9]}, "at": {"y": 0.5}, "stable": True}]
    if not entry.scalar:
        with pytest.raises(FormatError, match="stability claim"):
            load(text, symbols={"x": "real", "y": "real", "k": "integer", **MATRICES}, stability=stability)
        return
    assert entry.name in SCALAR_BUILTINS
    assert callable(getattr(Float64, entry.name)) and callable(getattr(Reference(60), entry.name))
    claim = load(text, symbols={"x": "real", "y": "real"}, stability=stability).stability[0]
    result = evaluate_point(Evaluator(StabilityTask.from_parsed(claim)), {"x": 0.3, "y": 0.5}, 1e-6)
    assert result is not None and math.isfinite(result.value)
    point = {sympy.Symbol("x", real=True): sympy.Rational(0.3), sympy.Symbol("y", real=True): sympy.Rational(0.5)}
    exact = parsed(sample(entry)).subs(point)
    if not exact.free_symbols:  # the reference agrees with SymPy's value of the parsed expression
        assert mpmath.almosteq(result.true, mpmath.mpf(str(sympy.N(exact, 30))), rel_eps=1e-14)


@pytest.mark.parametrize("entry", BUILTINS, ids=lambda b: b.name)
def test_the_renderer_typesets_it_and_the_latex_reader_reads_it_back(entry: Builtin):
    text = sample(entry)
    box = layout_expression(text)
    assert not isinstance(box, Words), f"{text} is shown as plain text"
    latex = to_latex(box)
    if entry.latex is not None:
        assert FUNCTION_NAMES[entry.name] == entry.latex and entry.latex in latex
    symbols = symbols_for(entry)
    decls = tuple(SymbolDecl(name, words, 1) for name, words in symbols.items())
    reading = read_expression(tokenize(latex), names_from_declarations(decls, ()))
    if entry.matrix:  # side by side is the matrix product in LaTeX: build from the reading's tree
        from derivcheck.model import Text
        from derivcheck.parse.expressions import parse_expression

        scope = load(text, symbols, steps=[text, text]).scope
        read_back = parse_expression(reading.text(1), scope)
        assert canonical(read_back) == canonical(parse_expression(Text(text, 1), scope)), latex
        return
    assert canonical(parsed(reading.python, symbols)) == canonical(parsed(text, symbols)), latex


@pytest.mark.parametrize("entry", [b for b in BUILTINS if b.macros], ids=lambda b: b.name)
def test_the_latex_reader_reads_each_macro(entry: Builtin):
    decls = tuple(SymbolDecl(name, words, 1) for name, words in SYMBOLS.items())
    for macro in entry.macros:
        arguments = "(x, y)" if entry.least > 1 or entry.name in ("max", "min") else "(x)"
        reading = read_expression(tokenize(f"\\{macro}{arguments}"), names_from_declarations(decls, ()))
        assert reading.python.startswith(f"{entry.name}("), (macro, reading.python)


def test_the_schema_names_every_builtin():
    description = derivation_schema()["$defs"]["expression"]["description"]
    for entry in BUILTINS:
        assert f"{entry.name}: " in description
    assert all(name in description for name in CONSTANTS)


def test_a_function_body_in_a_stability_claim_uses_declared_symbols():
    text = yaml.safe_dump(
        {
            "title": "t",
            "symbols": {"x": "real", "a": "positive"},
            "functions": {"f(t)": "log1p(a*t) + expm1(t) + erf(t) + erfc(t) + atan(t)"},
            "stability": [{"expr": "f(x)", "over": {"x": [-0.5, 0.5]}, "at": {"a": 0.5}, "stable": True}],
        },
        sort_keys=False,
    )
    (result,) = [r for r in verify_text(text, CheckConfig(jobs=1, cache_dir=None, timeout=30.0)).results]
    assert result.verdict.value == "numeric", result.outcome.summary


def test_a_tolerance_may_be_a_constant_expression():
    numbers = [{"expr": "pi", "is": 3.14, "tol": "pi/100"}, {"expr": "E", "is": 2.7, "tol": "sqrt(2)/100"}]
    report = verify_text(derivation(None, numbers=numbers))
    assert [r.verdict.value for r in report.results] == ["proved", "wrong"]
    with pytest.raises(FormatError, match="'tol' must be one nonnegative number"):
        load("x", numbers=[{"expr": "pi", "is": 3, "tol": "1 - pi"}])
