"""Limits are typeset as lim with the variable's approach below (LaTeX and MathML)."""

from __future__ import annotations

import pytest

from derivcheck.render.expressions import layout_expression
from derivcheck.render.latex import to_latex
from derivcheck.render.mathml import to_mathml


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("Limit((f(x + h) - f(x))/h, h, 0)", r"\lim_{h \to 0}\frac{f(x + h) - f(x)}{h}"),
        ("Limit(2*x + h, h, 0)", r"\lim_{h \to 0}(2x + h)"),
        ("Limit(abs(h)/h, h, 0, '+')", r"\lim_{h \to 0^{+}}\frac{\lvert h\rvert}{h}"),
        ("Limit(x/n, n, oo)", r"\lim_{n \to \infty}\frac{x}{n}"),
    ],
)
def test_limits_in_latex(text: str, latex: str):
    assert to_latex(layout_expression(text)).replace(" ", "") == latex.replace(" ", "")


def test_limits_in_mathml():
    out = to_mathml(layout_expression("Limit(x/n, n, oo)"))
    assert "lim" in out and "→" in out and "∞" in out
