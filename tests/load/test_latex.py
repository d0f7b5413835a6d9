"""LaTeX derivations in Markdown: the derivcheck comment, rows, relations, annotations, lines."""

from pathlib import Path

import pytest

from derivcheck.api import verify_loaded, verify_paths
from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile
from derivcheck.load.documents import documents_from_text
from derivcheck.load.markdown import documents_from_markdown
from derivcheck.model import Document, LoadError
from derivcheck.report.fields import result_fields

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)

HEAD = """\
# A post

Some prose with an inline `<!-- derivcheck` mention that is not a comment.

<!-- derivcheck
title: t
symbols:
  x: real
  y: real
functions:
  sigma(t): 1/(1 + exp(-t))
{extra}-->
"""


def post(math: str, extra: str = "") -> str:
    return HEAD.format(extra=extra) + math


def documents(text: str) -> list:
    return documents_from_markdown(text, "post.md")


def verify(text: str, path: str = "post.md"):
    loaded = LoadedFile(path, tuple(documents_from_markdown(text, path)), "markdown")
    return verify_loaded([loaded], FAST, files=[path])


def steps(doc: Document) -> list:
    return [(s.latex, s.expr.text, s.expr.line) for c in doc.chains for s in c.steps]


def test_rows_relations_and_lines_point_into_the_post():
    text = post("$$\n\\begin{split}\nx + x &= 2x \\\\\n&= x \\cdot 2\n\\end{split}\n$$\n")
    (doc,) = documents(text)
    assert doc.title == "t" and doc.line == 5
    assert steps(doc) == [("x + x", "x + x", 15), ("2x", "2*x", 15), ("x \\cdot 2", "x*2", 16)]


@pytest.mark.parametrize(
    "opening, closing",
    [
        ("$$", "$$"),
        ("\\[", "\\]"),
        ("\\begin{align*}", "\\end{align*}"),
        ("\\begin{equation}", "\\end{equation}"),
        ("$$\\begin{gather}", "\\end{gather}$$"),
        ("\\begin{multline}", "\\end{multline}"),
        ("$$\\begin{aligned}", "\\end{aligned}$$"),
    ],
)
def test_every_display_form_is_read(opening, closing):
    (doc,) = documents(post(f"{opening}\nx + x = 2x\n{closing}\n"))
    assert [s[1] for s in steps(doc)] == ["x + x", "2*x"]


def test_display_math_without_a_comment_is_not_checked():
    text = "# post\n\n$$\nx = x + 1\n$$\n"
    assert documents(text) == []


def test_labels_tags_comments_and_spacing_are_ignored_and_punctuation_dropped():
    math = (
        "$$\n\\begin{align}\nx + x &= 2x \\label{eq:a} \\tag{1} % a comment\n"
        "\\\\ &= 2\\,x. \\nonumber\n\\end{align}\n$$\n"
    )
    (doc,) = documents(post(math))
    assert [s[1] for s in steps(doc)] == ["x + x", "2*x", "2*x"]


def test_annotations_become_by():
    math = (
        "$$\n\\begin{aligned}\nx + x &= 2x \\quad \\text{collect} \\\\\n&= x \\cdot 2 \\qquad (\\text{commute}) \\\\\n"
        "&= 2 x && \\text{again}\n\\end{aligned}\n$$\n"
    )
    (doc,) = documents(post(math))
    assert [s.by for s in doc.chains[0].steps] == ["collect", "collect", "commute", "again"]


def test_single_line_chain_points_every_step_at_its_line():
    (doc,) = documents(post("$$ x + x = 2x = x \\cdot 2 $$\n"))
    assert [s[2] for s in steps(doc)] == [13, 13, 13]


def test_layout_variants_align_before_the_relation_and_a_bare_first_row():
    math = "$$\n\\begin{aligned}\n& x + x \\\\\n=& 2x \\\\\n=& x \\cdot 2\n\\end{aligned}\n$$\n"
    (doc,) = documents(post(math))
    assert [s[1] for s in steps(doc)] == ["x + x", "2*x", "x*2"]


def test_a_row_ending_with_a_relation_continues_on_the_next_row():
    (doc,) = documents(post("$$\nx + x = \\\\\n2x\n$$\n"))
    assert [s[1] for s in steps(doc)] == ["x + x", "2*x"]


def test_rows_without_a_leading_relation_start_new_chains():
    (doc,) = documents(post("$$\nx + x = 2x \\\\\ny + y = 2y\n$$\n"))
    assert [c.label for c in doc.chains] == ["row 1", "row 2"]


def test_non_equality_relations_are_reported_not_checked():
    report = verify(post("$$\nx + x = 2x \\approx 2.0001 x \\propto x\n$$\n"))
    notes = [r for r in report.results if r.kind == "note"]
    assert len(notes) == 2
    assert "'\\approx' (≈) is not an equality" in notes[0].message
    assert "'\\propto' (∝)" in notes[1].message
    assert [r.verdict.value for r in report.results if r.kind == "step"] == ["proved"]
    assert report.exit_code == 0


def test_inequalities_are_inequality_steps():
    (doc,) = documents(post("$$\nx^2 &\\le x^2 + 1 \\\\\n&= 1 + x^2 < x^2 + 2 \\geq x^2\n$$\n"))
    assert [[s.rel for s in c.steps] for c in doc.chains] == [["==", "<=", "==", "<"], ["==", ">="]]
    report = verify(post("$$\nx^2 \\le x^2 + 1 = 1 + x^2 < x^2 + 2\n$$\n"))
    steps = [r for r in report.results if r.kind == "step"]
    assert [(r.relation, r.verdict.value) for r in steps] == [("<=", "proved"), ("==", "proved"), ("<", "proved")]
    wrong = verify(post("$$\nx^2 + 1 \\le x^2\n$$\n"))
    assert [r.verdict.value for r in wrong.results if r.kind == "step"] == ["wrong"]


def test_ldots_rows_are_not_checked():
    report = verify(post("$$\nx + x = 2x \\\\\n= \\ldots \\\\\n= 3x\n$$\n"))
    assert any("\\ldots" in r.message for r in report.results if r.kind == "note")
    assert [r.kind for r in report.results].count("step") == 1


def test_wrong_map_marks_a_row_and_the_erratum_must_be_refuted():
    math = "$$\n\\begin{aligned}\nx + x &= 3x \\\\\n&= 2x\n\\end{aligned}\n$$\n"
    report = verify(post(math, extra="wrong:\n  1: three for two\n"))
    step_results = [r for r in report.results if r.kind == "step"]
    assert [r.verdict.value for r in step_results] == ["wrong", "proved"]
    assert step_results[0].erratum == "three for two" and step_results[0].passes
    assert report.exit_code == 0


def test_wrong_map_naming_no_row_is_an_error():
    (item,) = documents(post("$$\nx + x = 2x\n$$\n", extra="wrong:\n  4: nothing there\n"))
    assert isinstance(item, LoadError) and "names row 4" in item.message and item.line == 13


def test_a_wrong_step_shows_the_latex_and_json_carries_parsed():
    report = verify(post("$$\n\\sigma(x) = \\frac{1}{1 - e^{-x}}\n$$\n"))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong" and result.line == 14
    assert result.expr == "\\frac{1}{1 - e^{-x}}" and result.previous == "\\sigma(x)"
    data = result_fields(result)
    assert data["parsed"] == "1/(1 - exp(-x))" and data["expr"] == "\\frac{1}{1 - e^{-x}}"


def test_sum_past_plus_note_appears_when_the_step_fails():
    extra = "  z: real vector\n  C: positive integer\n  c: index 1..C\n"
    text = post("$$\n\\sum_{c=1}^{C} (z_c + 1) = \\sum_{c=1}^{C} z_c + 1\n$$\n").replace(
        "  y: real\n", "  y: real\n" + extra
    )
    report = verify(text)
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong"
    text2 = post("$$\n\\sum_{c=1}^{C} (z_c + 1) = \\sum_{c=1}^{C} z_c + z_c\n$$\n").replace(
        "  y: real\n", "  y: real\n" + extra
    )
    (result2,) = [r for r in verify(text2).results if r.kind == "step"]
    assert any("read as (Σ …) + …" in n for n in result2.notes)


def test_case_split_with_conditions():
    extra = "  z: real vector\n  C: positive integer\n  i, j, c: index 1..C\n"
    text = HEAD.format(extra="").replace("  y: real\n", "  y: real\n" + extra) + (
        "$$\nz_i z_j = \\left\\{\n\\begin{aligned}\n& z_i^2, & j = i, \\\\\n"
        "& z_j z_i, & j \\neq i.\n\\end{aligned}\n\\right.\n$$\n"
    )
    (doc,) = documents(text)
    assert [c.when[0].text for c in doc.chains] == ["j == i", "j != i"]
    assert [c.steps[1].expr.text for c in doc.chains] == ["z[i]**2", "z[j]*z[i]"]


def test_comment_keys_are_checked():
    (item,) = documents(post("$$ x = x $$\n", extra="stepz: 1\n"))
    assert isinstance(item, LoadError) and "unknown derivcheck comment key 'stepz'" in item.message


def test_comment_without_display_math_is_an_error():
    (item,) = documents(HEAD.format(extra="") + "\nno math here\n")
    assert isinstance(item, LoadError) and "no display math" in item.message and item.line == 5


def test_comment_inside_a_code_block_is_ignored():
    text = "```\n<!-- derivcheck\ntitle: t\n-->\n$$ x = 1 $$\n```\n"
    assert documents(text) == []


def test_log_base_from_the_comment_applies_to_log_only():
    (doc,) = documents(post("$$ \\log(x) = \\ln(x) $$\n", extra="log: 2\n"))
    assert [s[1] for s in steps(doc)] == ["log(x, 2)", "log(x)"]


def test_latex_documents_and_fenced_blocks_keep_file_order():
    fenced = "```derivation\ntitle: fenced\nsymbols: {x: real}\nsteps: [x, x]\n```\n"
    items = documents(fenced + "\n" + post("$$ x = x $$\n"))
    assert [i.title for i in items] == ["fenced", "t"]


def test_yaml_latex_steps():
    text = (
        "title: t\nsymbols: {x: real}\nfunctions:\n  sigma(t): 1/(1 + exp(-t))\nsteps:\n"
        "  - latex: '\\sigma(x)'\n  - latex: '\\frac{1}{1 + e^{-x}}'\n    by: definition\n  - expr: 1/(1 + exp(-x))\n"
    )
    (doc,) = documents_from_text(text, "f.yaml")
    assert [(s.latex, s.expr.text) for s in doc.chains[0].steps] == [
        ("\\sigma(x)", "sigma(x)"),
        ("\\frac{1}{1 + e^{-x}}", "1/(1 + exp(-x))"),
        (None, "1/(1 + exp(-x))"),
    ]


@pytest.mark.parametrize(
    "step, fragment",
    [
        ("  - latex: 'x = 1'\n", "is one expression"),
        ("  - latex: '\\foo'\n", "unknown macro"),
        ("  - {latex: 'x', expr: x}\n", "either 'expr' or 'latex'"),
    ],
)
def test_yaml_latex_step_errors(step, fragment):
    text = "title: t\nsymbols: {x: real}\nsteps:\n  - x\n" + step
    (item,) = documents_from_text(text, "f.yaml")
    assert isinstance(item, LoadError) and fragment in item.message and item.line == 5


def test_seed_examples_find_their_errata():
    root = Path(__file__).resolve().parents[2] / "examples" / "seeds"
    report = verify_paths([str(root / "001-bce-loss-notebook.md"), str(root / "003-softmax-losses.md")], FAST)
    errata = [r for r in report.results if r.erratum is not None]
    assert [(Path(r.file).name, r.expr) for r in errata] == [
        ("001-bce-loss-notebook.md", "-\\left(y_i(1-\\sigma(z_i) - (1-y_i)\\sigma(z_i)\\right)"),
        ("003-softmax-losses.md", "-p_j \\cdot p_j"),
    ]
    assert all(r.verdict.value == "wrong" and r.outcome.counterexample for r in errata)


def test_cases_environment_with_ampersand_conditions():
    text = post("$$\n|x| = \\begin{cases} x & x \\geq 0 \\\\ -x, & \\text{if } x < 0 \\end{cases}\n$$\n")
    (doc,) = documents(text)
    assert [c.when[0].text for c in doc.chains] == ["x >= 0", "x < 0"]
    report = verify(text)
    assert [r.verdict.value for r in report.results if r.kind == "step"] == ["proved", "proved"]


def test_a_step_that_fails_only_as_read_says_so():
    extra = "  z: real vector\n  C: positive integer\n  c: index 1..C\n"
    text = post("$$\n\\sum_{c=1}^{C} (z_c + c) = \\sum_{c=1}^{C} z_c + c\n$$\n").replace(
        "  y: real\n", "  y: real\n" + extra
    )
    (result,) = [r for r in verify(text).results if r.kind == "step"]
    assert result.verdict.value == "wrong"
    assert any("fails only as read" in note for note in result.notes)
    # a step that fails under both readings gets only the reading note
    text2 = post("$$\n\\sum_{c=1}^{C} (z_c + 2c) = \\sum_{c=1}^{C} z_c + c\n$$\n").replace(
        "  y: real\n", "  y: real\n" + extra
    )
    (result2,) = [r for r in verify(text2).results if r.kind == "step"]
    assert result2.verdict.value == "wrong"
    assert not any("fails only as read" in note for note in result2.notes)
    assert any("read as (Σ …) + …" in note for note in result2.notes)
