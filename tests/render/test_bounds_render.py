"""Rendering inequality chains (≤, <, crossed out when wrong) and stability claims (table, inline SVG)."""

from pathlib import Path

import pytest

from derivcheck.config import CheckConfig
from derivcheck.render import render_paths
from derivcheck.render.plot import error_plot
from tests.render.test_render import check_html, check_latex, check_markdown

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
DOCUMENT = """\
title: bounds
symbols: {x: real, y: real}
functions:
  sigma(t): 1/(1 + exp(-t))
steps:
  - max(x, 0)
  - expr: log(1 + exp(x))
    rel: "<"
  - expr: max(x, 0) + log(2)
    rel: "<="
cases:
  - when: x >= 0
    steps:
      - x
      - expr: -abs(x)
        rel: ">"
        wrong: "equal at x = 0"
      - expr: -abs(x) - 1
        rel: ">="
stability:
  - expr: -(y*log(sigma(x)) + (1 - y)*log(1 - sigma(x)))
    over: {x: [-1000, 1000]}
    at: {y: 0.5}
    stable: false
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    path = tmp_path_factory.mktemp("bounds") / "bounds.yaml"
    path.write_text(DOCUMENT, encoding="utf-8")
    return {to: render_paths([str(path)], to=to, config=FAST).text for to in ("markdown", "html", "latex")}


def test_markdown_aligns_inequalities_with_tex_relations(rendered):
    text = rendered["markdown"]
    check_markdown(text)
    assert "\\lt{}& \\log(1 + e^{x})" in text and "\\le{}& \\max(x, 0) + \\log(2)" in text
    assert "\\ngtr{}& -\\lvert x\\rvert" in text  # the refuted step, crossed out
    assert "## Stability" in text and "| unstable | unstable |" in text


def test_html_shows_relations_in_mathml_and_an_svg_without_script(rendered):
    text = rendered["html"]
    counter = check_html(text)
    assert not counter.forbidden
    assert "<mo>&lt;</mo>" in text and "<mo>≤</mo>" in text and "<mo>≯</mo>" in text and "<mo>≥</mo>" in text
    assert text.count("<svg") == 1 and "<script" not in text
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert len(svg) < 8000 and "polyline" in svg


def test_latex_uses_amssymb_relations(rendered):
    text = rendered["latex"]
    check_latex(text)
    assert "<{}& \\log(1 + e^{x})" in text and "\\le{}&" in text and "\\ngtr{}&" in text
    assert "\\paragraph{Stability in float64.}" in text


def test_error_plot_is_empty_without_a_series_and_marks_inf_points():
    assert error_plot({}) == ""
    svg = error_plot({"rtol": 1e-6, "points": 3, "series": {"symbol": "x", "x": [-1.0, 0.0, 1.0], "error": [1e-17, None, 0.5]}})
    assert svg.startswith("<svg") and svg.count('fill="#b3261e"') == 1  # one inf/nan mark
