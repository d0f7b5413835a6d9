"""Typesetting in the author's form: a table of expression text -> LaTeX, and MathML that is well formed."""

import xml.etree.ElementTree as ET

import pytest

from derivcheck.render.expressions import layout_condition, layout_definition, layout_expression
from derivcheck.render.latex import to_latex
from derivcheck.render.mathml import math_element, to_mathml

CASES = [
    # the guidance's own examples
    ("sigma(x)*(1 - sigma(x))", r"\sigma(x)(1 - \sigma(x))"),
    ("z[i]", "z_{i}"),
    ("z[i, j]", "z_{i, j}"),
    ("Sum(z[k], (k, 1, C))", r"\sum_{k = 1}^{C}z_{k}"),
    ("Product(x[k], (k, 1, n))", r"\prod_{k = 1}^{n}x_{k}"),
    ("p_t**gamma", r"p_{t}^{\gamma}"),
    ("y_hat - y", r"\hat{y} - y"),
    ("alpha*beta", r"\alpha\beta"),
    ("epsilon + Delta_NDCG", r"\varepsilon + \Delta_{\mathrm{NDCG}}"),
    ("x1 + x_0", "x_{1} + x_{0}"),
    # no simplification, parentheses by precedence
    ("-(y*log(p) + (1 - y)*log(1 - p))", r"-(y\log(p) + (1 - y)\log(1 - p))"),
    ("-x*y", "-xy"),
    ("-(x*y)", "-(xy)"),
    ("x*-y", "x(-y)"),
    ("a - (b - c)", "a - (b - c)"),
    ("a + (b + c)", "a + (b + c)"),
    ("a - -b", "a - (-b)"),
    ("(x + 1)/(x - 1)", r"\frac{x + 1}{x - 1}"),
    ("1/N*Sum(x[k], (k, 1, N))", r"\frac{1}{N}\sum_{k = 1}^{N}x_{k}"),
    ("Sum(x[k], (k, 1, N))*y", r"\left( \sum_{k = 1}^{N}x_{k} \right)y"),
    ("Sum(x[k] + 1, (k, 1, N))", r"\sum_{k = 1}^{N}(x_{k} + 1)"),
    ("-Sum(y[c]*log(p(c)), (c, 1, C))", r"-\sum_{c = 1}^{C}y_{c}\log(p(c))"),
    ("x**2", "x^{2}"),
    ("x^2", "x^{2}"),
    ("-x**2", "-x^{2}"),
    ("(-x)**2", "{(-x)}^{2}"),
    ("(a/b)**2", r"{\left( \frac{a}{b} \right)}^{2}"),
    ("exp(-x)", "e^{-x}"),
    ("exp(x)**2", "{(e^{x})}^{2}"),
    ("E**x + pi", r"e^{x} + \pi"),
    ("log(1 + exp(-abs(x)))", r"\log(1 + e^{-\lvert x\rvert})"),
    ("log(x, 2)", r"\log_{2}(x)"),
    ("sqrt(x**2 + 1)", r"\sqrt{x^{2} + 1}"),
    ("max(x, 0) - min(x, 0)", r"\max(x, 0) - \min(x, 0)"),
    ("sign(x)*tanh(x)", r"\operatorname{sign}(x)\tanh(x)"),
    ("diff(sigma(x), x)", r"\frac{\partial}{\partial x}\sigma(x)"),
    ("diff(f(x), x, 2)", r"\frac{\partial^{2}}{\partial x^{2}}f(x)"),
    ("diff(p(i), z[j])", r"\frac{\partial}{\partial z_{j}}p(i)"),
    ("diff(x*y, x)", r"\frac{\partial}{\partial x}(xy)"),
    # multiplication signs: juxtaposition where it reads, a dot where it would not
    ("2*x", "2x"),
    ("x*2", r"x \cdot 2"),
    ("2*3", r"2 \cdot 3"),
    ("2*(1/3)", r"2 \cdot \frac{1}{3}"),
    ("loss*lr", r"\mathrm{loss} \cdot \mathrm{lr}"),
    ("BCE(q, t)", r"\mathrm{BCE}(q, t)"),
    ("0.10 + 1e-8", r"0.10 + {10}^{-8}"),
]


@pytest.mark.parametrize("text, latex", CASES)
def test_latex_in_the_authors_form(text, latex):
    assert to_latex(layout_expression(text)) == latex


@pytest.mark.parametrize(
    "text, latex",
    [
        ("x < 0", "x < 0"),
        ("0 <= y <= 1", r"0 \leq y \leq 1"),
        ("y in {0, 1}", r"y \in \{0, 1\}"),
        ("j != i", r"j \neq i"),
        ("Sum(y[c], (c, 1, C)) == 1", r"\sum_{c = 1}^{C}y_{c} = 1"),
    ],
)
def test_conditions(text, latex):
    assert to_latex(layout_condition(text)) == latex


def test_definition_with_and_without_body():
    assert to_latex(layout_definition("sigma", ("t",), "1/(1 + exp(-t))")) == r"\sigma(t) = \frac{1}{1 + e^{-t}}"
    assert to_latex(layout_definition("f", ("a", "b"), None)) == "f(a, b)"


@pytest.mark.parametrize(
    "text",
    [
        "x.real", "lambda: 1", "[x for x in y]", "f(*x)", "x if y else z", "'string'", "x +", "1j",
        "(" * 500 + "x" + ")" * 500,
    ],
)
def test_unknown_syntax_falls_back_to_the_text(text):
    box = layout_expression(text)
    assert to_latex(box).startswith(r"\texttt{")
    ET.fromstring(math_element(box))  # still well formed


@pytest.mark.parametrize("text, _", CASES)
def test_mathml_is_well_formed_and_uses_mathml_elements(text, _):
    element = ET.fromstring(math_element(layout_expression(text)))
    assert element.tag == "math"


def test_mathml_structures():
    assert to_mathml(layout_expression("a/b")) == "<mfrac><mi>a</mi><mi>b</mi></mfrac>"
    assert "<msub><mi>z</mi><mi>i</mi></msub>" in to_mathml(layout_expression("z[i]"))
    assert "<munderover><mo>∑</mo>" in to_mathml(layout_expression("Sum(z[k], (k, 1, C))"))
    assert "<mi>σ</mi>" in to_mathml(layout_expression("sigma(x)"))
    assert "<msqrt>" in to_mathml(layout_expression("sqrt(x)"))
    assert '<mover accent="true"><mi>y</mi><mo>^</mo></mover>' in to_mathml(layout_expression("y_hat"))
    assert "<mo>≤</mo>" in to_mathml(layout_condition("x <= 1"))


def test_hostile_fallback_text_is_escaped():
    box = layout_expression("x < <script>alert(1)</script>")
    assert "<script>" not in math_element(box)
    assert r"\textless{}script\textgreater{}" in to_latex(box)
