"""Pages worth publishing: math delimiters, the author's LaTeX kept with marks, notebooks, reader mode, links."""

import json
from pathlib import Path

import pytest

from derivcheck.config import CheckConfig
from derivcheck.render import RenderError, default_math_style, render_paths
from derivcheck.render.latex_marks import mark_latex, tooltip_text
from derivcheck.render.views import Mark, PageOptions

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOK = Path(__file__).resolve().parents[1] / "load" / "fixtures" / "sigmoid.ipynb"

POST = r"""# Softplus

The derivative of $\log(1 + e^{x})$, by the chain rule:

<!-- derivcheck
title: softplus derivative
symbols:
  mu: real
-->
\[
\begin{aligned}
\frac{d}{d\mu}\log\left(1 + e^{\mu}\right)
  &= \frac{e^{\mu}}{1 + e^{\mu}} && \text{(chain rule)} \\
  &= \frac{1}{1 + e^{-\mu}} \\
  &= \frac{1}{1 - e^{-\mu}} && \text{(a slip)}
\end{aligned}
\]

That is the sigmoid.
"""


@pytest.fixture(scope="module")
def post(tmp_path_factory):
    path = tmp_path_factory.mktemp("site") / "softplus.md"
    path.write_text(POST, encoding="utf-8")
    return path


def render(paths, options=None, to="markdown", out=None):
    return render_paths([str(p) for p in paths], to, out, FAST, options=options).text


def test_the_authors_latex_is_kept_character_for_character_apart_from_the_marks(post):
    text = render([post])
    marks = [r"\quad \color{green}{\checkmark}", r"\quad \color{green}{\checkmark}",
             r"\quad \color{red}{\text{✗}}^{\text{[1]}}"]
    unmarked = text
    for mark in marks:
        assert mark in unmarked
        unmarked = unmarked.replace(mark, "", 1)
    assert unmarked.startswith(POST[: POST.index("That is")])  # brackets, \frac{d}{d\mu}, annotations as written
    assert r"\frac{e^{\mu}}{1 + e^{\mu}}\quad \color{green}{\checkmark} && \text{(chain rule)}" in text
    assert "That is the sigmoid." in text


def test_marks_false_leaves_the_post_as_written_but_keeps_the_notes(post):
    text = render([post], PageOptions(marks=False))
    assert POST.strip() in text.replace("\n\n\nThat", "\n\nThat") or POST[: POST.index("That")] in text
    assert r"\checkmark" not in text


@pytest.mark.parametrize(
    "style, inline, display",
    [("github", "$`", "$$"), ("dollars", "$x = ", "$$"), ("brackets", r"\(x = ", r"\[")],
)
def test_math_style_sets_inline_and_display_math(style, inline, display):
    text = render([FIXTURES / "marks.yaml"], PageOptions(math=style))
    assert f"\n{display}\n\\begin{{aligned}}" in text
    assert inline in text
    if style != "github":
        assert "$`" not in text
    if style == "brackets":
        assert "$$" not in text and "$x" not in text


def test_unknown_math_style_is_refused():
    with pytest.raises(RenderError, match="unknown math style"):
        render([FIXTURES / "marks.yaml"], PageOptions(math="katex"))


def test_reader_mode_has_no_source_lines_and_shows_counterexamples_as_math(post):
    review = render([post])
    reader = render([post], PageOptions(reader=True, math="brackets"))
    assert "line 15" in review and "first error in this chain" in review
    assert "line 1" not in reader and "first error" not in reader and "checked against" not in reader
    assert r"at \(\mu = 1\): the step before is 0.7311, this step 1.582" in reader
    table = render([FIXTURES / "marks.yaml"], PageOptions(reader=True))
    assert "| line |" not in table and "| claim | at | claimed | computed |" in table


def test_source_links_follow_a_pattern_or_are_left_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = Path("in") / "marks.yaml"
    source.parent.mkdir()
    source.write_text((FIXTURES / "marks.yaml").read_text())
    out = Path("site")

    def where(options=None):
        render_paths([str(source)], "markdown", str(out), FAST, options=options)
        return (out / "marks.md").read_text().split("\n")[2]

    assert f"[`{source}`](../in/marks.yaml)" in where()
    pattern = PageOptions(source_url="https://example.org/repo/blob/main/{path}")
    assert f"[`{source}`](https://example.org/repo/blob/main/in/marks.yaml)" in where(pattern)
    assert where(PageOptions(source_links=False)).startswith(f"`{source}` · ")


def test_a_notebook_keeps_its_prose_and_code_cells_around_the_marked_derivations():
    text = render([NOTEBOOK])
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    assert text.startswith("# A notebook\n\nSome prose.\n")
    code = "".join(cells[1]["source"])
    assert f"```python\n{code.rstrip()}\n```" in text  # shown, never run
    assert r"&= \sigma(x)(1+\sigma(x))\quad \color{red}{\text{✗}}^{\text{[1]}}" in text
    assert "cell 3, line 14" in text
    assert "Not readable (cell 4, line 6)" in text


def test_yaml_sources_are_still_typeset_by_derivcheck():
    text = render([FIXTURES / "marks.yaml"])
    assert "\\begin{aligned}" in text and "&& \\text{(2) ✓}" in text


def test_default_math_style_follows_an_mkdocs_project(tmp_path):
    assert default_math_style(None) == "github"
    assert default_math_style(str(tmp_path / "out")) == "github"
    (tmp_path / "mkdocs.yml").write_text("site_name: s\n")
    assert default_math_style(str(tmp_path / "docs" / "derivations")) == "brackets"


def test_a_tooltip_holds_no_tex_specials():
    mark = Mark("✗", "wrong", "wrong", False, "at x = 1 {}\\% $ & # ^ _ ~")
    latex = mark_latex(mark, 2, tooltip=True)
    assert latex == r"\quad \texttip{\color{red}{\text{✗}}^{\text{[2]}}}{wrong: at x = 1}"
    assert tooltip_text("a\\b{c}") == "a b c"


def test_render_command_takes_the_page_options(tmp_path, post):
    from typer.testing import CliRunner

    from derivcheck.cli import app

    runner = CliRunner()
    refused = runner.invoke(app, ["render", str(post), "--to", "html", "--reader", "--no-cache", "-j", "1"])
    assert refused.exit_code == 2 and "apply to Markdown pages" in refused.output
    done = runner.invoke(app, ["render", str(post), "--math", "dollars", "--reader", "--no-cache", "-j", "1"])
    assert done.exit_code == 0 and r"at $\mu = 1$" in done.output and "line 15" not in done.output


def test_reader_evidence_names_in_latex_and_short_decimals():
    from derivcheck.render.expressions import layout_expression
    from derivcheck.render.latex import to_latex
    from derivcheck.render.views import reader_evidence

    mark = Mark("✗", "wrong", "wrong", False, point=(("x1", "0"), ("z[2]", "0.333333333333333"), ("mu", "-1.5")),
                values=("0.731058578630005", "1.58197670686933"))
    text = reader_evidence(mark, lambda source: f"${to_latex(layout_expression(source))}$")
    assert text == r"at $x_{1} = 0$, $z_{2} = 0.3333$, $\mu = -1.5$: the step before is 0.7311, this step 1.582"
    assert reader_evidence(Mark("✓", "proved", "proved", True), str) is None


def test_a_step_whose_text_is_not_found_is_marked_at_the_end_of_its_row():
    from derivcheck.render.expressions import layout_expression
    from derivcheck.render.latex_marks import mark_display
    from derivcheck.render.views import StepView

    text = (
        "<!-- derivcheck\ntitle: t\nsymbols: {x: real}\n-->\n"
        "$$\n\\begin{aligned}\na &= b \\\\\n&= c\n\\end{aligned}\n$$"
    )
    proved = Mark("✓", "proved", "proved", True)
    wrong = Mark("✗", "wrong", "wrong", False)
    steps = [
        StepView(layout_expression("a"), "a", 7, latex="a"),
        StepView(layout_expression("b"), "b", 7, mark=proved, latex="b (as the reader wrote it)"),
        StepView(layout_expression("c"), "c", 8, mark=wrong, latex="c"),
    ]
    marked, noted = mark_display(text, 1, steps, PageOptions())
    assert "a &= b\\quad \\color{green}{\\checkmark} \\\\\n" in marked  # the end of row 7, before its \\
    assert "&= c\\quad \\color{red}{\\text{✗}}^{\\text{[1]}}\n\\end{aligned}" in marked
    assert [number for number, _ in noted] == [1] and noted[0][1].mark is wrong
    assert mark_display(text, 1, steps, PageOptions(marks=False)) == (text, [])


def test_a_latex_document_keeps_the_authors_display_with_marks(post):
    text = render([post], to="latex")
    display = POST[POST.index("\\[") : POST.index("\\]") + 2]
    marks = [r"\quad \color{green}{\checkmark}", r"\quad \color{green}{\checkmark}",
             r"\quad \color{red}{\times}^{\text{[1]}}"]
    shown = text[text.index("\\[") : text.index("\\]") + 2]
    for mark in marks:
        assert mark in shown
        shown = shown.replace(mark, "", 1)
    assert shown == display and "\\usepackage{xcolor}" in text
    assert "\\item[1.] \\dcwrong{} \\textbf{wrong}, line 15" in text and "derivcheck" not in text.split("\\[")[1]


GITHUB_POST = """# Notes

GitHub math: $`\\alpha + 1`$ in prose.

```math
e^{i\\pi} = -1
```

```python
x = "$`not math`$"
```
"""


@pytest.mark.parametrize("style, inline, display", [
    ("dollars", "$\\alpha + 1$", "$$\ne^{i\\pi} = -1\n$$"),
    ("brackets", "\\(\\alpha + 1\\)", "\\[\ne^{i\\pi} = -1\n\\]"),
    ("github", "$`\\alpha + 1`$", "```math\ne^{i\\pi} = -1\n```"),
])
def test_githubs_own_math_in_the_prose_follows_the_style(tmp_path, style, inline, display):
    path = tmp_path / "notes.md"
    path.write_text(GITHUB_POST)
    text = render([path], PageOptions(math=style))
    assert f"GitHub math: {inline} in prose." in text
    assert display in text and 'x = "$`not math`$"' in text
    assert render([path], PageOptions(math=style, prose_math=False)) == GITHUB_POST
