"""Rendering LaTeX sources: a post's LaTeX derivations are typeset in place, with their marks."""


from derivcheck.config import CheckConfig
from derivcheck.render import render_paths

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)

POST = """\
# A post

Before.

<!-- derivcheck
title: doubling
symbols:
  x: real
-->
$$ x + x = 2x = 3x $$

After.
"""


def test_latex_derivation_is_kept_as_written_with_marks(tmp_path):
    post = tmp_path / "post.md"
    post.write_text(POST, encoding="utf-8")
    text = render_paths([str(post)], "markdown", config=FAST).text
    before, after = text.index("Before."), text.index("After.")
    body = text[before:after]
    # the author's comment and display stay; both steps sit on one line and each keeps its own verdict
    assert "<!-- derivcheck\ntitle: doubling" in body
    assert "$$ x + x = 2x\\quad \\color{green}{\\checkmark} = 3x\\quad \\color{red}{\\text{✗}}^{\\text{[1]}} $$" in body
    assert "**\\[1\\]** ✗ **wrong**, line 10" in body


def test_every_format_renders_a_latex_source(tmp_path):
    post = tmp_path / "post.md"
    post.write_text(POST, encoding="utf-8")
    html = render_paths([str(post)], "html", config=FAST, check=False).text
    assert "doubling" in html and "derivcheck" not in html.split("doubling")[0][-200:]
    latex = render_paths([str(post)], "latex", config=FAST, check=False).text
    assert "Before.\n\n\n$$ x + x = 2x = 3x $$\nAfter." in latex  # the author's display, kept
    assert "derivcheck" not in latex.split("\\begin{document}")[1]


def test_html_shows_the_authors_latex_and_the_reading_only_as_read_as(tmp_path):
    from tests.render.test_published import POST as SOFTPLUS  # \frac{d}{d\mu}…, then a slip

    post = tmp_path / "post.md"
    post.write_text(SOFTPLUS, encoding="utf-8")
    html = render_paths([str(post)], "html", config=FAST).text
    rows = [row for row in html.split("<tr ") if 'class="step' in row]
    assert len(rows) == 4
    expressions = [row.split('<td class="expr">')[1].split("</td>")[0] for row in rows]
    sides = [row.split('<td class="side">')[1].split("</td>")[0] for row in rows]
    # as written: d/dμ with an upright d, not the ∂/∂μ the checker reads it as
    assert "<mfrac><mrow><mi>d</mi></mrow><mrow><mi>d</mi><mi>μ</mi></mrow></mfrac>" in expressions[0]
    assert "∂" not in expressions[0] and "read as" in sides[0] and "∂" in sides[0]
    # each checked row keeps its verdict beside the author's text
    assert "✓</span>proved" in sides[1] and "✓</span>proved" in sides[2] and "✗</span>wrong" in sides[3]
    assert all("read as <math>" in side for side in sides)


def test_latex_the_converter_cannot_show_safely_is_shown_as_code():
    from derivcheck.render.mathml import author_math

    assert author_math(r"\frac{a}{b}") == (
        '<math displaystyle="true"><mrow><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac></mrow></math>'
    )
    # latex2mathml passes \text{…} through raw and \href into an attribute: neither reaches the page
    assert author_math(r"x \text{<script>alert(1)</script>}") is None
    assert "javascript" not in (author_math(r"\href{javascript:alert(1)}{x}") or "")
    assert 'mathcolor="red"' in (author_math(r"\color{red}{x}") or "")
    assert author_math("{" * 3000 + "x" + "}" * 3000) is None  # too deep for the converter
    assert author_math("x" * 30_000) is None  # longer than MAX_RENDER_TEXT


def test_a_step_shown_as_code_is_escaped():
    from derivcheck.render.expressions import layout_expression
    from derivcheck.render.views import StepView
    from derivcheck.render.write_html import step_math

    step = StepView(layout_expression("x"), "x", 3, latex=r"x \text{<img src=x onerror=alert(1)>}")
    assert step_math(step) == '<code class="latex">x \\text{&lt;img src=x onerror=alert(1)&gt;}</code>'
    assert step_math(StepView(layout_expression("x"), "x", 3)) == '<math displaystyle="true"><mi>x</mi></math>'
