"""Divergences, expectations under declared densities, multiple and indefinite integrals (issue 29)."""

from __future__ import annotations

import mpmath
import pytest
import sympy

from derivcheck.errors import FormatError
from derivcheck.model import FunctionDecl, SymbolDecl, Text
from derivcheck.parse.distributions import DISTRIBUTION_NAMES
from derivcheck.parse.expressions import Scope, parse_expression
from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize
from derivcheck.parse.symbols import read_symbol
from derivcheck.render.expressions import LAWS, layout_expression
from derivcheck.render.latex import to_latex
from derivcheck.render.mathml import to_mathml
from tests.helpers import derivation, step_verdicts, verify_text

SYMBOLS = {
    "x": "real, support 0..oo", "z": "real, support -oo..oo", "y": "real", "a": "positive", "b": "positive",
    "m1": "real", "m2": "real", "s1": "positive", "s2": "positive", "C": "real",
    "pp": "positive vector", "qq": "positive vector", "n": "positive integer",
}
FUNCTIONS = {
    "p(x)": "a*exp(-a*x)",
    "r(x)": "b*exp(-b*x)",
    "f(t)": None,
    "q_phi(t, u)": "exp(-(t - u)**2/(2*s1**2))/(s1*sqrt(2*pi))",
    "prior(t)": "exp(-t**2/2)/sqrt(2*pi)",
}


def _decls() -> tuple[tuple[SymbolDecl, ...], tuple[FunctionDecl, ...]]:
    symbols = tuple(SymbolDecl(n, w, 1) for n, w in SYMBOLS.items())
    functions = []
    for key, body in FUNCTIONS.items():
        name, params = key[:-1].split("(")
        functions.append(
            FunctionDecl(name, tuple(p.strip() for p in params.split(",")), Text(body, 1) if body else None, 1)
        )
    return symbols, tuple(functions)


def _scope() -> Scope:
    symbols, functions = _decls()
    return Scope({d.name: read_symbol(d) for d in symbols}, {f.name: f for f in functions})


def _parse(text: str) -> sympy.Expr:
    return parse_expression(Text(text, 1), _scope())


def _latex(text: str) -> str:
    symbols, functions = _decls()
    return read_expression(tokenize(text), names_from_declarations(symbols, functions)).python


def _check(steps: list, **more: object) -> list[str]:
    return step_verdicts(verify_text(derivation(steps, symbols=SYMBOLS, functions=FUNCTIONS, **more)))


def _same(left: sympy.Expr, right: sympy.Expr) -> bool:
    """Equal once the bound variables are renamed in order (two readings of one integral)."""

    def canonical(expr: sympy.Expr) -> sympy.Expr:
        dummies = sorted(expr.atoms(sympy.Dummy), key=str)
        return expr.xreplace({d: sympy.Symbol(f"bound_{i}", **d.assumptions0) for i, d in enumerate(dummies)})

    return canonical(left) == canonical(right)


# -- reading -------------------------------------------------------------------------------------


def test_a_divergence_of_densities_is_the_integral_of_p_log_p_over_q_over_the_declared_support():
    kl = _parse("KL(p, r)")
    (integral,) = kl.atoms(sympy.Integral)
    var, lo, hi = integral.limits[0]
    assert (lo, hi) == (0, sympy.oo)
    a, b = sympy.Symbol("a", positive=True), sympy.Symbol("b", positive=True)
    p, q = a * sympy.exp(-a * var), b * sympy.exp(-b * var)
    assert sympy.simplify(integral.function - p * sympy.log(p / q)) == 0
    assert _same(_parse("KL(p(x), r(x), (x, 0, oo))"), kl)


def test_a_divergence_of_two_normals_is_the_expectation_of_the_log_density_ratio():
    kl = _parse("KL(Normal(m1, s1), Normal(m2, s2))")
    m1, m2 = sympy.Symbol("m1", real=True), sympy.Symbol("m2", real=True)
    s1, s2 = sympy.Symbol("s1", positive=True), sympy.Symbol("s2", positive=True)
    value = kl.doit()
    closed = sympy.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - sympy.Rational(1, 2)
    assert sympy.simplify(value - closed) == 0


def test_discrete_divergences_are_sums():
    bernoulli = _parse("KL(Bernoulli(a), Bernoulli(b))")
    assert not bernoulli.has(sympy.Integral) and not bernoulli.has(sympy.Sum)
    third, half = sympy.Rational(1, 3), sympy.Rational(1, 2)
    point = {sympy.Symbol("a", positive=True): third, sympy.Symbol("b", positive=True): half}
    expected = third * sympy.log(third / half) + (1 - third) * sympy.log((1 - third) / half)
    assert sympy.simplify(bernoulli.xreplace(point) - expected) == 0
    assert _parse("KL(Categorical(pp, n), Categorical(qq, n))").has(sympy.Sum)


def test_an_expectation_under_a_declared_density_integrates_over_its_support_or_the_range_written():
    declared = _parse("Expectation(x**2, (x, p))")
    (integral,) = declared.atoms(sympy.Integral)
    assert integral.limits[0][1:] == (0, sympy.oo)
    assert _same(declared, _parse("Expectation(x**2, (x, p, 0, oo))"))
    conditional = _parse("Expectation(log(prior(z)), (z, q_phi(z, y)))")
    (integral,) = conditional.atoms(sympy.Integral)
    assert integral.limits[0][1:] == (-sympy.oo, sympy.oo)
    assert sympy.Symbol("y", real=True) in integral.free_symbols


def test_a_variance_under_a_declared_density_is_the_second_moment_less_the_squared_mean():
    variance = _parse("Var(x, (x, p))").doit()
    assert sympy.simplify(variance - 1 / sympy.Symbol("a", positive=True) ** 2) == 0


def test_multiple_integrals_nest_the_first_range_innermost_and_its_bounds_see_the_outer_variables():
    nested = _parse("Integral(1, (x, 0, y), (y, 0, 1))")
    (inner, _, upper), (outer, _, _) = nested.limits  # the first range innermost
    assert upper == outer and inner != outer
    assert nested.doit() == sympy.Rational(1, 2)
    assert _parse("Integral(x*y, (x, 0, 1), (y, 0, 2))").doit() == 1


def test_an_integral_without_bounds_is_over_the_support_else_an_antiderivative_in_the_declared_symbol():
    integral = _parse("Integral(2*y, y)")
    assert integral.limits == ((sympy.Symbol("y", real=True),),)
    assert _parse("Integral(exp(-x), x)").doit() == 1  # x: support 0..oo
    assert _latex("\\int_x p(x) \\, dx") == "Integral(p(x), x)"
    with pytest.raises(FormatError, match="support of y"):
        _latex("\\int_y y \\, dy")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Expectation(y, (y, p))", "the range of 'y' is not known"),
        ("KL(p, Normal(m1, s1))", "not one of each"),
        ("KL(Normal(m1, s1), Uniform(0, 1))", "second a Normal or Laplace"),
        ("KL(Bernoulli(a), Categorical(pp, n))", "two of the same kind"),
        ("KL(Categorical(pp, n), Categorical(qq, 2))", "same number of values"),
        ("KL(p)", "KL is written"),
        ("Integral(x, w)", "declared real symbol"),
        ("Integral(x, (x, 0, 1), (x, 0, 1))", "two ranges"),
        ("Integral(1, (x, 0, 1), (y, 0, 1), (z, 0, 1), (a, 0, 1), (b, 0, 1))", "at most 4 ranges"),
        ("Expectation(x, (x, q_phi))", "takes 2 arguments"),
        ("Expectation(x, (x, 3))", "a density is a declared function"),
        ("Expectation(x, (x, Poisson(a)))", "unknown distribution"),
        ("KL(p, r, (x, 0, oo + 1))", "'oo' (infinity) is allowed only"),
        ("Expectation(oo, (x, p))", "'oo' (infinity) is allowed only"),
        ("Integral(x, (oo, 0, 1))", "variable of Integral must be a name"),
    ],
)
def test_malformed_divergences_densities_and_integrals_are_clear_errors(text: str, message: str):
    with pytest.raises(FormatError) as caught:
        _parse(text)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "words",
    ["real, support 0", "real, support 0..", "real, support 0..x+1", "vector, support 0..1", "index 1..n support 0..1"],
)
def test_a_malformed_support_is_an_error(words: str):
    with pytest.raises(FormatError):
        read_symbol(SymbolDecl("w", words, 1))


def test_a_support_is_read_with_its_bounds():
    assert read_symbol(SymbolDecl("w", "real, support -oo..oo", 1)).support == ("-oo", "oo")
    assert read_symbol(SymbolDecl("w", "positive support 0..a", 1)).support == ("0", "a")


# -- LaTeX ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "python"),
    [
        ("D_{KL}(p \\| r)", "KL(p, r)"),
        ("D_{\\mathrm{KL}}(p \\| r)", "KL(p, r)"),
        ("D_\\mathrm{KL}(p \\,\\|\\, r)", "KL(p, r)"),
        ("\\mathrm{KL}(p || r)", "KL(p, r)"),
        ("KL(p, r)", "KL(p, r)"),
        ("D_{KL}\\left(q_\\phi(z \\mid y) \\| prior(z)\\right)", "KL(q_phi(z, y), prior(z))"),
        ("D_{KL}(\\mathcal{N}(y, a^2) \\| \\mathcal{N}(0, b^2))", None),
        ("\\mathbb{E}_{x \\sim p}[x]", "Expectation(x, (x, p))"),
        (
            "\\mathbb{E}_{z \\sim q_\\phi(z|y)}\\left[\\log prior(z)\\right]",
            "Expectation(log(prior(z)), (z, q_phi(z, y)))",
        ),
        ("\\mathbb{E}_{q_{\\phi}(z \\mid y)}[z]", "Expectation(z, (z, q_phi(z, y)))"),
        ("\\int_0^1 \\int_0^y x \\, dx \\, dy", "Integral(Integral(x, (x, 0, y)), (y, 0, 1))"),
        ("\\iint_{-\\infty}^{\\infty} e^{-x^2 - y^2} \\, dx \\, dy", None),
        ("\\int 2y \\, dy", "Integral(2*y, y)"),
    ],
)
def test_the_latex_reader_reads_divergences_densities_and_integrals(latex: str, python: str | None):
    read = _latex(latex)
    if python is not None:
        assert read.replace(" ", "") == python.replace(" ", "")
    _parse(read)  # and the builder accepts what the reader wrote


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        ("\\iint x y \\, dx \\, dy", "both bounds"),
        ("\\iint_0^1 x y \\, dx", "2 differentials"),
        ("\\int_0^1 x \\, dy \\int", "differential"),
        ("D_{KL}(p \\| r \\| p)", "split by"),
        ("\\int_0 x \\, dx", "both bounds"),
    ],
)
def test_latex_integrals_and_divergences_that_cannot_be_read_say_why(latex: str, message: str):
    with pytest.raises(FormatError) as caught:
        _latex(latex)
    assert message in caught.value.message


# -- rendering -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "KL(p, r)",
        "KL(Normal(y, a), Normal(0, b))",
        "KL(q_phi(z, y), prior(z))",
        "Expectation(x**2, (x, p))",
        "Expectation(log(prior(z)), (z, q_phi(z, y)))",
        "Integral(x*y, (x, 0, 1), (y, 0, a))",
        "Integral(2*y, y)",
        "Expectation(x**2, (x, p, 0, oo))",
        "KL(p(x), r(x), (x, 0, oo))",
    ],
)
def test_the_renderer_typesets_them_and_the_latex_reader_reads_them_back(text: str):
    box = layout_expression(text)
    assert "<mtext" not in to_mathml(box)
    back, original = _parse(_latex(to_latex(box))), _parse(text)
    if not _same(back, original):  # a divergence over a range is typeset as its integral, p log(p/q)
        (left,), (right,) = back.atoms(sympy.Integral), original.atoms(sympy.Integral)
        assert left.limits[0][1:] == right.limits[0][1:]
        assert sympy.simplify(left.function - right.function.xreplace({right.limits[0][0]: left.limits[0][0]})) == 0


def test_the_renderer_knows_every_distribution():
    assert LAWS == DISTRIBUTION_NAMES


# -- checking --------------------------------------------------------------------------------------


@pytest.mark.slow  # runs the checker (SymPy integration)
@pytest.mark.parametrize(
    ("left", "right", "slip"),
    [
        ("KL(p, r)", "log(a/b) + b/a - 1", "log(a/b) + b/a"),
        ("KL(Normal(m1, s1), Normal(m2, s2))", "log(s2/s1) + (s1**2 + (m1 - m2)**2)/(2*s2**2) - 1/2",
         "log(s2/s1) + (s1**2 + (m1 - m2)**2)/(2*s2**2)"),
        ("Expectation(x, (x, p))", "1/a", "1/a**2"),
        ("Integral(x*y, (x, 0, 1), (y, 0, a))", "a**2/4", "a**2/2"),
        ("KL(Exponential(a), Exponential(b))", "log(a/b) + b/a - 1", "log(b/a) + b/a - 1"),
    ],
)
def test_divergences_expectations_and_double_integrals_are_proved_and_a_slip_is_wrong(
    left: str, right: str, slip: str
):
    assert _check([left, right]) == ["proved"]
    assert _check([left, slip]) == ["wrong"]


@pytest.mark.slow  # runs the checker
def test_a_wrong_divergence_has_a_counterexample_that_really_separates_the_sides():
    report = verify_text(derivation(["KL(Normal(m1, s1), Normal(m2, s2))", "(m1 - m2)**2/(2*s2**2)"], symbols=SYMBOLS))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong"
    point = {k: mpmath.mpf(sympy.Rational(v)) for k, v in result.outcome.counterexample.items()}
    m1, m2, s1, s2 = (point.get(k, mpmath.mpf(1)) for k in ("m1", "m2", "s1", "s2"))
    exact = mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2
    assert abs(exact - (m1 - m2) ** 2 / (2 * s2**2)) > mpmath.mpf("1e-6")


@pytest.mark.slow  # runs the checker
def test_an_antiderivative_step_holds_up_to_a_constant_and_a_wrong_one_is_refuted():
    steps = ["Integral(2*y*cos(y**2), y)", "sin(y**2) + C", "sin(y**2) + 5"]
    assert _check(steps) == ["proved", "wrong"]  # the second step is no antiderivative: plain equality
    report = verify_text(derivation(["Integral(2*y*cos(y**2), y)", "sin(y**2) + 5"], symbols=SYMBOLS))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "proved" and "up to a constant" in result.outcome.method
    report = verify_text(derivation(["Integral(2*y*cos(y**2), y)", "cos(y**2)"], symbols=SYMBOLS))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong" and "derivatives in y" in result.outcome.detail
    assert "not up to a constant" in (result.outcome.difference or "")


@pytest.mark.slow  # runs the checker
def test_antiderivatives_in_an_order_or_in_two_variables_are_unknown_never_proved():
    assert _check(["Integral(2*y, y) + Integral(2*a, a)", "y**2 + a**2"]) == ["unknown"]
    assert _check(["Integral(2*y, y)", {"expr": "y**2", "rel": "<="}]) == ["unknown"]
    assert _check(["exp(Integral(2*y, y))", "exp(y**2)"]) == ["unknown"]


@pytest.mark.slow  # runs the checker
def test_linearity_of_an_expectation_under_a_density_of_an_unknown_function():
    assert _check(["Expectation(2*f(x) + 1, (x, p))", "2*Expectation(f(x), (x, p)) + Expectation(1, (x, p))"]) == [
        "proved"
    ]


@pytest.mark.slow  # runs the checker (quadrature)
def test_quadrature_makes_a_step_numeric_never_proved_and_refutes_a_far_off_one_with_a_rechecked_point():
    steps = ["Integral(2/(a + 4*t**2 + exp(2*t)), (t, 0, 1))", "Integral(1/(a + u**2 + exp(u)), (u, 0, 2))"]
    report = verify_text(derivation(steps, symbols=SYMBOLS))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "numeric" and result.outcome.method == "quadrature" and result.outcome.points >= 2
    steps = ["Integral(2/(a + 4*t**2 + exp(2*t)), (t, 0, 1))", "Integral(1/(a + u**2 + exp(u)), (u, 0, 2)) + a/1000"]
    report = verify_text(derivation(steps, symbols=SYMBOLS))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong" and result.outcome.method == "quadrature"
    a = mpmath.mpf(sympy.Rational(result.outcome.counterexample["a"]))
    left = mpmath.quad(lambda t: 2 / (a + 4 * t**2 + mpmath.exp(2 * t)), [0, 1])
    right = mpmath.quad(lambda u: 1 / (a + u**2 + mpmath.exp(u)), [0, 2]) + a / 1000
    assert abs(left - right) > mpmath.mpf("1e-6")  # the counterexample really separates the sides


@pytest.mark.slow  # runs the checker
def test_quadrature_does_not_decide_an_order_or_unknown_functions():
    assert _check(["Integral(exp(sin(y*t)), (t, 0, 1))", {"expr": "10", "rel": "<="}]) != ["proved"]
    assert _check(["Integral(f(t)*exp(sin(t)), (t, 0, 1))", "2"]) == ["unknown"]
