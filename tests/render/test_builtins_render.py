"""The built-ins added for issue 16 render as mathematics, not as unknown names."""

import pytest

from derivcheck.render.expressions import layout_expression
from derivcheck.render.latex import to_latex
from derivcheck.render.mathml import to_mathml


@pytest.mark.parametrize(
    "text, latex",
    [
        ("erf(x)", "\\operatorname{erf}"),
        ("erfc(x)", "\\operatorname{erfc}"),
        ("atan(x)", "\\arctan"),
        ("asin(x)", "\\arcsin"),
        ("acos(x)", "\\arccos"),
        ("coth(x)", "\\coth"),
        ("sech(x)", "\\operatorname{sech}"),
        ("csch(x)", "\\operatorname{csch}"),
        ("log1p(x)", "\\operatorname{log1p}"),
        ("expm1(x)", "\\operatorname{expm1}"),
        ("floor(x)", "\\lfloor"),
        ("ceiling(x)", "\\lceil"),
    ],
)
def test_built_in_functions_render(text, latex):
    assert latex in to_latex(layout_expression(text))


def test_floor_and_ceiling_are_brackets_in_mathml():
    assert "⌊" in to_mathml(layout_expression("floor(x)")) and "⌉" in to_mathml(layout_expression("ceiling(x)"))
