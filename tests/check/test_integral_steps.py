"""Integrals and expectations in steps: evaluated exactly by SymPy, compared integrand by integrand, never sampled."""

from __future__ import annotations

import mpmath
import pytest
import sympy

from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl, Text
from derivcheck.parse.expressions import Scope, parse_expression
from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize
from derivcheck.parse.symbols import read_symbol
from tests.helpers import derivation, step_verdicts, verify_text

SYMBOLS = {
    "x": "real", "t": "real", "a": "real", "mu": "real", "sigma": "positive", "lam": "positive",
    "b": "positive", "p": "positive", "q": "positive vector", "C": "positive integer",
}


def _steps(report) -> list:
    return [r for r in report.results if r.kind == "step"]


def _check(steps: list[str], **more: object) -> list[str]:
    return step_verdicts(verify_text(derivation(steps, symbols=SYMBOLS, **more)))


def _scope() -> Scope:
    return Scope({n: read_symbol(SymbolDecl(n, w, 1)) for n, w in SYMBOLS.items()}, {})


def _parse(text: str) -> sympy.Expr:
    return parse_expression(Text(text, 1), _scope())


@pytest.mark.slow  # runs the checker (SymPy integration)
@pytest.mark.parametrize(
    ("integral", "value", "slip"),
    [
        ("Integral(exp(-x), (x, 0, oo))", "1", "2"),
        ("Integral(exp(-x**2), (x, -oo, oo))", "sqrt(pi)", "pi"),
        ("Integral(x**2, (x, 0, a))", "a**3/3", "a**2/3"),
        ("Integral(t*exp(-lam*t), (t, 0, oo))", "1/lam**2", "1/lam"),
    ],
)
def test_a_definite_integral_is_evaluated_and_a_slip_is_wrong(integral: str, value: str, slip: str):
    assert _check([integral, value]) == ["proved"]
    assert _check([integral, slip]) == ["wrong"]


@pytest.mark.slow  # runs the checker (SymPy integration)
@pytest.mark.parametrize(
    ("expectation", "value", "slip"),
    [
        ("Expectation(x, (x, Normal(mu, sigma)))", "mu", "mu + sigma"),
        ("Expectation(x**2, (x, Normal(mu, sigma)))", "mu**2 + sigma**2", "mu**2 + sigma"),
        ("Var(x, (x, Normal(mu, sigma)))", "sigma**2", "sigma"),
        ("Expectation(x, (x, Uniform(a, a + b)))", "a + b/2", "a + b"),
        ("Var(x, (x, Exponential(lam)))", "1/lam**2", "1/lam"),
        ("Expectation(x, (x, Laplace(mu, b)))", "mu", "mu + b"),
        ("Var(x, (x, Laplace(mu, b)))", "2*b**2", "b**2"),
        ("Var(x, (x, Bernoulli(p)))", "p*(1 - p)", "p*(1 + p)"),
        ("Expectation(exp(t*x), (x, Bernoulli(p)))", "1 - p + p*exp(t)", "1 + p*exp(t)"),
    ],
)
def test_expectations_under_each_distribution(expectation: str, value: str, slip: str):
    assert _check([expectation, value]) == ["proved"]
    assert _check([expectation, slip]) == ["wrong"]


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_a_wrong_expectation_has_a_counterexample_that_really_separates_the_sides():
    report = verify_text(derivation(["Var(x, (x, Normal(mu, sigma)))", "sigma"], symbols=SYMBOLS))
    (result,) = _steps(report)
    assert result.verdict.value == "wrong"
    point = result.outcome.counterexample
    assert point is not None and "sigma" in point
    sigma = mpmath.mpf(sympy.N(sympy.Rational(point["sigma"]) if "/" in point["sigma"] else point["sigma"], 50))
    assert abs(sigma**2 - sigma) > mpmath.mpf("1e-20")


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_categorical_expectation_is_a_sum_over_the_declared_vector():
    expr = _parse("Expectation(x**2, (x, Categorical(q, C)))")
    assert isinstance(expr, sympy.Sum)
    (term,) = [a for a in expr.function.atoms(sympy.Indexed)]
    assert term.base.label.name == "q"
    assert _check(["Expectation(2*x, (x, Categorical(q, C)))", "2*Expectation(x, (x, Categorical(q, C)))"]) == [
        "proved"
    ]


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_linearity_of_the_integral_needs_no_value():
    functions = {"f(u)": None, "g(u)": None}
    steps = [
        "Integral(f(x) + 3*g(x), (x, 0, 1))",
        "Integral(f(t), (t, 0, 1)) + 3*Integral(g(x), (x, 0, 1))",
    ]
    report = verify_text(derivation(steps, symbols=SYMBOLS, functions=functions))
    (result,) = _steps(report)
    assert result.verdict.value == "proved" and result.outcome.method.startswith("linearity of the integral")


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_a_wrong_linearity_step_is_never_proved():
    functions = {"f(u)": None, "g(u)": None}
    steps = ["Integral(f(x) + 3*g(x), (x, 0, 1))", "Integral(f(x), (x, 0, 1)) + 2*Integral(g(x), (x, 0, 1))"]
    assert step_verdicts(verify_text(derivation(steps, symbols=SYMBOLS, functions=functions))) == ["unknown"]


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_linearity_of_expectation_for_undeclared_bodies():
    functions = {"f(u)": None}
    steps = ["Expectation(2*f(x) + 1, (x, Normal(mu, sigma)))", "2*Expectation(f(x), (x, Normal(mu, sigma))) + 1"]
    # The constant's expectation needs the density to integrate to 1: linearity alone does not give it.
    report = verify_text(derivation(steps, symbols=SYMBOLS, functions=functions))
    assert step_verdicts(report) == ["unknown"]
    steps = ["Expectation(2*f(x) + x, (x, Normal(mu, sigma)))", "2*Expectation(f(x), (x, Normal(mu, sigma))) + mu"]
    assert step_verdicts(verify_text(derivation(steps, symbols=SYMBOLS, functions=functions))) == ["unknown"]
    steps = ["Expectation(2*f(x), (x, Normal(mu, sigma)))", "2*Expectation(f(x), (x, Normal(mu, sigma)))"]
    assert step_verdicts(verify_text(derivation(steps, symbols=SYMBOLS, functions=functions))) == ["proved"]


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_an_integral_sympy_cannot_find_is_never_proved_only_compared_by_quadrature():
    (result,) = _steps(verify_text(derivation(["Integral(exp(sin(x)), (x, 0, 1))", "2"], symbols=SYMBOLS)))
    assert result.verdict.value == "wrong" and result.outcome.method == "quadrature"
    previous, current = (mpmath.mpf(v) for v in result.outcome.values)
    assert abs(previous - mpmath.quad(lambda t: mpmath.exp(mpmath.sin(t)), [0, 1])) < mpmath.mpf("1e-12")
    assert current == 2
    steps = ["Integral(exp(sin(x)), (x, 0, 1))", "Integral(exp(sin(1 - t)), (t, 0, 1))"]
    (result,) = _steps(verify_text(derivation(steps, symbols=SYMBOLS)))
    assert result.verdict.value == "numeric" and "quadrature never proves" in result.outcome.detail


def test_quadrature_points_give_parameters_of_one_word_different_values():
    from derivcheck.check.screen.quadrature import _points

    # oracle F18: every point had s == p (and m == q), so a factor s/p or a term abs(m - q) went unseen
    m, q = sympy.symbols("m q", real=True)
    s, p = sympy.symbols("s p", positive=True)
    points = _points([m, q, s, p], [])
    assert len(points) == 4
    assert all(point[m] != point[q] and point[s] != point[p] for point in points)


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_a_factor_that_is_1_only_where_two_parameters_meet_is_seen_by_quadrature():
    hard = "Integral(exp(-t**4)*cos(t), (t, 0, 1))"
    (result,) = _steps(verify_text(derivation([hard + "*b/p", hard], symbols=SYMBOLS)))
    assert result.verdict.value == "wrong", (result.verdict, result.outcome.method)


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_a_divergent_integral_is_unknown():
    (result,) = _steps(verify_text(derivation(["Integral(1/x, (x, 0, 1))", "2"], symbols=SYMBOLS)))
    assert result.verdict.value == "unknown" and "diverges" in result.outcome.detail


@pytest.mark.slow  # runs the checker (SymPy integration)
def test_convergence_that_depends_on_a_sign_uses_the_conditions():
    steps = ["Integral(exp(-a*x), (x, 0, oo))", "1/a"]
    (result,) = _steps(verify_text(derivation(steps, symbols=SYMBOLS)))
    assert result.verdict.value == "unknown" and "conditions it cannot decide" in result.outcome.detail
    assert _check(steps, assume=["a > 0"]) == ["proved"]
    assert _check(["Integral(exp(-a*x), (x, 0, oo))", "2/a"], assume=["a > 0"]) == ["wrong"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Integral(x, (x, 0))", "Integral takes (f, (x, a, b))"),
        ("Integral(x, (2, 0, 1))", "variable of Integral must be a name"),
        ("x + oo", "bound of an Integral"),
        ("Expectation(x, (x, Poisson(mu)))", "unknown distribution"),
        ("Expectation(x, Normal(mu, sigma))", "Expectation takes (f, (x, D))"),
        ("Expectation(x, (x, Normal(mu)))", "Normal takes 2 arguments"),
        ("Expectation(x, (x, Categorical(p, C)))", "declared vector"),
        ("Expectation(x, (x, Normal(mu, -sigma)))", "sigma must be positive"),
        ("Expectation(x, (x, Exponential(0)))", "rate must be positive"),
    ],
)
def test_malformed_integrals_and_expectations_are_clear_errors(text: str, message: str):
    with pytest.raises(FormatError) as caught:
        _parse(text)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("latex", "python"),
    [
        ("\\int_{-\\infty}^{\\infty} e^{-x^2} \\, dx", "Integral(exp(-x**2), (x, -oo, oo))"),
        ("\\int_0^a x^2 \\mathrm{d}x + 1", "Integral(x**2, (x, 0, a)) + 1"),
        (
            "\\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, \\sigma^2)}\\left[x^2\\right]",
            "Expectation(x**2, (x, Normal(mu, sigma)))",
        ),
        ("\\operatorname{Var}_{x \\sim \\operatorname{Bernoulli}(p)}[x]", "Var(x, (x, Bernoulli(p)))"),
        ("2\\mathbb{E}_{t \\sim \\mathcal{U}(a, b)}[t]", "2*Expectation(t, (t, Uniform(a, b)))"),
        # a law's parameters in \left( … \right) (oracle finding F14)
        ("\\mathbb{E}_{t \\sim \\mathcal{U}\\left(a, b\\right)}[t]", "Expectation(t, (t, Uniform(a, b)))"),
        # the weights of a categorical law are the declared vector itself (oracle2: an error before)
        ("\\mathbb{E}_{t \\sim \\operatorname{Categorical}(q, C)}[t^2]", "Expectation(t**2, (t, Categorical(q, C)))"),
        ("\\mathbb{E}_{t \\sim \\mathrm{Categorical}(q, C)}[t]", "Expectation(t, (t, Categorical(q, C)))"),
    ],
)
def test_latex_integrals_and_expectations_read_as_the_yaml_spelling(latex: str, python: str):
    decls = tuple(SymbolDecl(n, w, 1) for n, w in SYMBOLS.items())
    reading = read_expression(tokenize(latex), names_from_declarations(decls, ()))
    assert _parse(reading.python).dummy_eq(_parse(python)) or sympy.simplify(
        _parse(reading.python).doit() - _parse(python).doit()
    ) == 0


def test_latex_integral_without_its_differential_is_a_clear_error():
    decls = tuple(SymbolDecl(n, w, 1) for n, w in SYMBOLS.items())
    with pytest.raises(FormatError, match="differential"):
        read_expression(tokenize("\\int_0^1 x^2"), names_from_declarations(decls, ()))


LIBRARY = "derivations/probability"


@pytest.mark.slow  # runs the checker on the reference derivations
@pytest.mark.parametrize("name", ["kl_two_gaussians", "vae_elbo", "gan_optimal_discriminator"])
def test_the_reference_derivations_are_proved(name: str):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / LIBRARY / f"{name}.yaml").read_text()
    verdicts = step_verdicts(verify_text(text, path=f"{name}.yaml"))
    assert verdicts and set(verdicts) == {"proved"}, verdicts


@pytest.mark.slow  # runs the checker on a one-slip variant of the KL derivation
def test_a_slip_in_the_gaussian_kl_is_wrong():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / LIBRARY / "kl_two_gaussians.yaml").read_text()
    slipped = text.replace("(s1**2 + (m1 - m2)**2)/(2*s2**2)", "(s1**2 + (m1 - m2))/(2*s2**2)", 1)
    assert slipped != text
    # The step after a wrong one is checked against the last step that holds.
    report = verify_text(slipped)
    assert step_verdicts(report) == ["proved", "proved", "proved", "wrong", "proved"]
    wrong = _steps(report)[3].outcome
    point = {name: sympy.Rational(value) for name, value in wrong.counterexample.items()}
    m1, m2, s2 = point["m1"], point["m2"], point["s2"]
    assert (m1 - m2) ** 2 != (m1 - m2) and s2 != 0  # the slip really changes the value there


def _post(math: str, symbols: str, extra: str = "") -> str:
    return f"<!-- derivcheck\ntitle: t\nsymbols:\n{symbols}{extra}-->\n{math}"


def _post_verdicts(text: str) -> list[str]:
    from derivcheck.api import verify_loaded
    from derivcheck.load import LoadedFile
    from derivcheck.load.markdown import documents_from_markdown
    from tests.helpers import FAST

    loaded = LoadedFile("post.md", tuple(documents_from_markdown(text, "post.md")), "markdown")
    report = verify_loaded([loaded], FAST, files=["post.md"])
    errors = [r.message for r in report.results if r.is_error]
    assert not errors, errors
    return step_verdicts(report)


@pytest.mark.slow  # runs the checker on a post
def test_a_post_with_latex_integrals_and_expectations_is_checked():
    math = (
        "$$\n\\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, \\sigma^2)}\\left[x^2\\right]"
        " = \\int_{-\\infty}^{\\infty} x^2 \\frac{e^{-(x - \\mu)^2/(2\\sigma^2)}}{\\sigma\\sqrt{2\\pi}} \\, dx"
        " = \\mu^2 + \\sigma^2 = \\mu^2 + \\sigma\n$$\n"
    )
    assert _post_verdicts(_post(math, "  x, mu: real\n  sigma: positive\n")) == ["proved", "proved", "wrong"]


@pytest.mark.slow  # runs the checker on a post
def test_conditional_densities_are_declared_functions_of_their_arguments():
    # p(x | z) is p(x, z) for a p declared with two parameters; r is the prior.
    math = "$$\np(x \\mid z) r(z) + p(x, z) = r(z) p(x|z) + p(x \\mid z) = r(z) p(z \\mid x) + p(x, z)\n$$\n"
    text = _post(math, "  x, z: real\n", "functions:\n  p(a, b): null\n  r(a): null\n")
    first, second = _post_verdicts(text)
    assert first == "proved" and second != "proved"  # p(z | x) is not p(x | z)


@pytest.mark.slow  # waits for the time limit
def test_a_slow_integral_ends_unknown_within_the_time_limit():
    from derivcheck.config import CheckConfig

    config = CheckConfig(jobs=1, cache_dir=None, timeout=2.0)
    steps = ["Integral(exp(x**7 + sin(x)**3)*log(2 + cos(x**5)), (x, 0, 1))", "3"]
    (result,) = _steps(verify_text(derivation(steps, symbols=SYMBOLS), config))
    assert result.verdict.value == "unknown" or result.outcome.method == "quadrature"  # never proved


def test_integrals_per_step_are_bounded():
    many = " + ".join(f"Integral(x**{k}, (x, 0, 1))" for k in range(20))
    (result,) = _steps(verify_text(derivation([many, "1"], symbols=SYMBOLS)))
    assert result.verdict.value == "unknown" and "integrals in one step" in result.outcome.detail


def _number_verdict(claim: dict) -> tuple[str, str]:
    report = verify_text(derivation(None, symbols={"x": "real"}, numbers=[claim]))
    (result,) = [r for r in report.results if r.kind == "number"]
    return result.verdict.value, result.outcome.detail


def test_a_number_claim_takes_the_integral_exactly():
    assert _number_verdict({"expr": "Integral(exp(-x**2), (x, 0, oo))", "is": "sqrt(pi)/2"})[0] == "proved"
    assert _number_verdict({"expr": "Integral(exp(-x**2), (x, 0, oo))", "is": 1.77, "tol": 0.01})[0] == "wrong"


def test_a_number_claim_on_an_integral_sympy_cannot_find_is_unknown_not_quadrature():
    verdict, detail = _number_verdict({"expr": "Integral(exp(sin(x)), (x, 0, 1))", "is": 1.63187, "tol": 1e-5})
    assert verdict == "unknown" and "never decided by sampling or quadrature" in detail


@pytest.mark.slow  # runs the checker on the example post
def test_the_latex_kl_example_is_proved_and_a_slip_in_it_is_wrong():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "examples" / "kl-two-gaussians.md").read_text()
    assert _post_verdicts(text) == ["proved", "proved", "proved"]
    slipped = text.replace("- \\frac{\\sigma_1^2}{2\\sigma_1^2}", "- \\frac{\\sigma_1}{2\\sigma_1^2}", 1)
    assert slipped != text
    assert _post_verdicts(slipped)[1] == "wrong"


def test_render_typesets_integrals_and_expectations_in_latex_and_mathml():
    from derivcheck.render.expressions import layout_expression
    from derivcheck.render.latex import to_latex
    from derivcheck.render.mathml import to_mathml

    integral = layout_expression("Integral(exp(-x**2), (x, -oo, oo))")
    assert to_latex(integral) == "\\int_{-\\infty}^{\\infty}e^{-x^{2}}\\,\\mathrm{d}x"
    assert "∫" in to_mathml(integral) and "∞" in to_mathml(integral)
    mean = layout_expression("Expectation(x**2, (x, Normal(mu, sigma)))")
    assert to_latex(mean) == "\\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, \\sigma^{2})}[x^{2}]"
    assert "𝔼" in to_mathml(mean) and "𝒩" in to_mathml(mean)
    variance = layout_expression("Var(x, (x, Bernoulli(p)))")
    assert to_latex(variance) == "\\operatorname{Var}_{x \\sim \\operatorname{Bernoulli}(p)}[x]"


# A function of a constant integral (oracle finding F15): SymPy decides floor/ceiling/max of a number
# as it builds them, by a quadrature that never ends where the integral is exactly an integer.
ODD_INTEGRAL = "Integral(t**3*exp(-t**2), (t, -oo, oo))"  # exactly 0, an integer: its evalf never settles


@pytest.fixture
def no_quadrature_while_building(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any numeric evaluation of an integral fail at once, so that a build that starts one fails the test."""

    def refuse(self: sympy.Integral, prec: int) -> sympy.Expr:
        raise AssertionError(f"a quadrature of {self} was started")

    monkeypatch.setattr(sympy.Integral, "_eval_evalf", refuse)


@pytest.mark.parametrize(
    ("text", "held"),
    [
        (f"ceiling({ODD_INTEGRAL}) + x", sympy.ceiling),
        (f"floor({ODD_INTEGRAL})", sympy.floor),
        (f"max({ODD_INTEGRAL}, x)", sympy.Max),
        (f"min(1, {ODD_INTEGRAL})", sympy.Min),
    ],
)
def test_a_function_of_a_constant_integral_is_built_without_evaluating_it(
    no_quadrature_while_building: None, text: str, held: type
):
    expr = _parse(text)
    (node,) = expr.atoms(held)
    assert node.has(sympy.Integral)


def test_a_held_integral_is_printed_pickled_and_evaluated_without_a_quadrature(no_quadrature_while_building: None):
    import pickle

    expr = _parse(f"ceiling(2*{ODD_INTEGRAL} + 1) + max(x, {ODD_INTEGRAL})")
    assert "ceiling" in str(expr) and sympy.latex(expr)  # ordering the terms evaluates numbers
    assert pickle.loads(pickle.dumps(expr)) == expr  # a task is pickled for a worker
    assert expr.doit() == 1 + sympy.Max(0, sympy.Symbol("x", real=True))


def test_quadrature_never_decides_a_function_with_jumps_of_an_integral():
    from derivcheck.check.screen.quadrature import quadrature_outcome

    odd = "Integral(sin(t**3)*exp(t**2), (t, -1, 1))"  # exactly 0; SymPy finds no value, quadrature gives noise
    previous = _parse(f"ceiling({odd}) + x")
    for current in ("x", "x + 1", f"sign({odd}) + x"):
        assert quadrature_outcome(previous, _parse(current), []) is None


@pytest.mark.slow  # runs the checker in worker processes
def test_a_function_of_a_constant_integral_is_checked_in_workers():
    from derivcheck.config import CheckConfig

    config = CheckConfig(jobs=2, timeout=10)
    steps = [f"ceiling({ODD_INTEGRAL}) + x", "x", f"max({ODD_INTEGRAL}, x) + min(x, {ODD_INTEGRAL})"]
    report = verify_text(derivation(steps, symbols=SYMBOLS), config)
    assert step_verdicts(report) == ["proved", "proved"]
    report = verify_text(derivation([f"ceiling({ODD_INTEGRAL}) + x", "x + 1"], symbols=SYMBOLS), config)
    (result,) = _steps(report)
    assert result.verdict.value == "wrong"
    assert result.outcome.values == ("0", "1")


def test_a_rate_or_scale_of_unknown_sign_is_taken_in_its_range():
    # Oracle F19: with p declared only real, KL(Exponential(s), Exponential(p)) was "wrong" at p = -1, where
    # Exponential(p) is no distribution; the chain is checked under p > 0, as docs/format.md says.
    symbols = {"s": "positive", "p": "real"}
    steps = ["log(s/p) + p/s - 1", "KL(Exponential(s), Exponential(p))"]
    assert step_verdicts(verify_text(derivation(steps, symbols=symbols))) == ["proved"]
    (result,) = _steps(verify_text(derivation(["log(s/p) + p/s", steps[1]], symbols=symbols)))
    assert result.verdict.value == "wrong" and sympy.Rational(result.outcome.counterexample["p"]) > 0


def test_the_range_of_a_law_parameter_is_a_condition_of_its_chain_only():
    from derivcheck.load.documents import documents_from_text
    from derivcheck.parse.document import parse_document

    text = derivation(
        ["Expectation(x, (x, Exponential(s)))", "1/s"],
        symbols={"x": "real", "s": "real", "p": "real"},
        cases=[
            {"when": "p > -1", "steps": ["Expectation(x, (x, Normal(p, s)))", "p"]},
            {"when": "p > -1", "steps": ["sqrt(s**2)", "abs(s)"]},
        ],
    )
    (document,) = documents_from_text(text, "test.yaml")
    chains = parse_document(document).chains
    s = sympy.Symbol("s", real=True)
    assert [[(c.op, c.lhs, c.rhs) for c in chain.when if c.lhs == s] for chain in chains] == [
        [(">", s, 0)], [(">", s, 0)], []
    ]
