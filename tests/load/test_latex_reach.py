"""LaTeX as authors write it: limits, named quantities in the comment, sums without one index, remarks after a comma."""

from __future__ import annotations

from pathlib import Path

import pytest

from derivcheck.api import verify_loaded, verify_paths
from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile
from derivcheck.load.markdown import documents_from_markdown
from derivcheck.model import LoadError

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)


def post(math: str, symbols: str = "  x: real\n", extra: str = "") -> str:
    return f"<!-- derivcheck\ntitle: t\nsymbols:\n{symbols}{extra}-->\n{math}"


def verify(text: str):
    loaded = LoadedFile("post.md", tuple(documents_from_markdown(text, "post.md")), "markdown")
    return verify_loaded([loaded], FAST, files=["post.md"])


def verdicts(text: str) -> list[str]:
    report = verify(text)
    errors = [r.message for r in report.results if r.is_error]
    assert not errors, errors
    return [r.verdict.value for r in report.results if r.kind == "step"]


def readings(text: str) -> list[str]:
    docs = documents_from_markdown(text, "post.md")
    assert not any(isinstance(d, LoadError) for d in docs), docs
    return [s.expr.text for d in docs for c in d.chains for s in c.steps]


FIRST_PRINCIPLES = r"""$$
\begin{aligned}
f'(x) &= \lim_{h \to 0} \frac{f(x+h) - f(x)}{h} \\
&= \lim\limits_{h \to 0} \frac{x^2 + 2xh + h^2 - x^2}{h} \\
&= \underset{h \to 0}{\lim} (2x + h) \\
&= 2x
\end{aligned}
$$
"""


def test_first_principles_with_every_limit_spelling_passes():
    text = post(FIRST_PRINCIPLES, extra="functions:\n  f(t): t^2\n")
    assert verdicts(text) == ["proved", "proved", "proved", "proved"]


def test_first_principles_of_an_undefined_function():
    math = r"$$ \lim_{h \to 0} \frac{g(x+h) - g(x)}{h} = g'(x) $$" + "\n"
    assert verdicts(post(math, extra="functions:\n  g(t): null\n")) == ["proved"]


def test_a_wrong_first_principles_result_is_refuted():
    math = FIRST_PRINCIPLES.replace("&= 2x", "&= x")
    assert verdicts(post(math, extra="functions:\n  f(t): t^2\n"))[-1] == "wrong"


@pytest.mark.parametrize(
    ("latex", "reading"),
    [
        (r"\lim_{h \to 0^+} h", "Limit(h, h, 0, '+')"),
        (r"\lim_{h \to 0^{-}} h", "Limit(h, h, 0, '-')"),
        (r"\lim_{n \to \infty} \frac{x}{n}", "Limit(x / n, n, oo)"),
        (r"\lim_{n \to -\infty} \frac{x}{n}", "Limit(x / n, n, -oo)"),
    ],
)
def test_limit_readings(latex: str, reading: str):
    (first, _) = readings(post(f"$$ {latex} = 0 $$\n"))
    assert first.replace(" ", "") == reading.replace(" ", "")


def test_infinity_outside_a_limit_says_where_it_is_allowed():
    (doc,) = documents_from_markdown(post("$$ x + \\infty = x $$\n"), "post.md")
    assert isinstance(doc, LoadError) and "only as the point of a limit" in doc.message


DEFINED = """  z, y: real vector
  C: positive integer
  i, c: index 1..C
"""
DEFINE = """define:
  p[k]: exp(z[k])/Sum(exp(z[d]), (d, 1, C))
  L: -Sum(y[c]*log(p[c]), (c, 1, C))
assume:
  - Sum(y[c], (c, 1, C)) == 1
"""


@pytest.mark.slow
def test_defined_quantities_in_the_comment_and_the_chain_rule():
    math = r"""$$
\frac{\partial L}{\partial z_i}
= \sum_{c=1}^{C} \frac{\partial L}{\partial p_c} \frac{\partial p_c}{\partial z_i} = p_i - y_i
$$
"""
    assert set(verdicts(post(math, DEFINED, DEFINE))) <= {"proved", "proved for sizes"}


def test_sum_without_one_index():
    math = r"$$ \sum_{c \neq i} y_c = \sum_{c=1}^{C} y_c - y_i $$" + "\n"
    assert verdicts(post(math, DEFINED)) == ["proved"]


def test_sum_without_one_index_needs_a_declared_index():
    (doc,) = documents_from_markdown(post(r"$$ \sum_{k \ne i} y_k = 0 $$" + "\n", DEFINED), "post.md")
    assert isinstance(doc, LoadError) and "declared index" in doc.message


def test_words_after_a_comma_are_a_remark():
    math = "$$ x + x = 2x, \\ 对于所有 x $$\n"
    report = verify(post(math))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "proved" and result.by == "对于所有 x"


def test_words_inside_math_are_still_an_error():
    (doc,) = documents_from_markdown(post("$$ x 对 = x $$\n"), "post.md")
    assert isinstance(doc, LoadError) and "no meaning in math" in doc.message


@pytest.mark.slow
def test_seed_003_cross_entropy_gradient_passes_as_printed():
    root = Path(__file__).resolve().parents[2] / "examples" / "seeds" / "003-softmax-losses.md"
    report = verify_paths([str(root)], FAST)
    chain = [r for r in report.results if r.title.startswith("Cross-entropy gradient through the softmax")]
    assert len(chain) == 5 and all(r.passes and r.verdict.value == "proved" for r in chain)


def test_row_spacing_after_a_row_break_is_layout():
    math = "$$\n\\begin{aligned}\nx + x &= 2x \\\\[1em]\n&= x \\cdot 2\n\\end{aligned}\n$$\n"
    assert verdicts(post(math)) == ["proved", "proved"]


def test_sum_over_a_declared_index_with_only_its_upper_bound():
    math = r"$$ \sum_c^C y_c = \sum_{c=1}^{C} y_c = \sum_{c}^{ } y_c $$" + "\n"
    assert readings(post(math, DEFINED))[0].replace(" ", "") == "Sum(y[c],(c,1,C))"
    assert verdicts(post(math, DEFINED)) == ["proved", "proved"]


def test_a_condition_after_quad_on_a_one_row_chain_is_its_case():
    math = "$$\n\\frac{\\partial p_j}{\\partial z_i} = p_i (1-p_i), \\quad i = j \\\\\n"
    math += "\\frac{\\partial p_j}{\\partial z_i} = - p_i p_j, \\quad \\text{if } i \\ne j\n$$\n"
    symbols = "  z: real vector\n  C: positive integer\n  i, j, c: index 1..C\n"
    define = "define:\n  p[k]: exp(z[k])/Sum(exp(z[c]), (c, 1, C))\n"
    report = verify(post(math, symbols, define))
    steps = [r for r in report.results if r.kind == "step"]
    assert [r.verdict.value for r in steps] == ["proved", "proved"]
    assert [r.chain for r in steps] == ["row 1, when i == j", "row 2, when i != j"]


def test_words_after_quad_stay_a_remark():
    report = verify(post("$$ x + x = 2x \\quad \\text{by doubling} $$\n"))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.chain == "row 1" and result.by == "by doubling"


def test_a_lone_row_is_a_note_with_its_line():
    report = verify(post("$$\nx^2 + 1\n$$\n"))
    (note,) = [r for r in report.results if r.kind == "note"]
    assert "stands alone" in note.message and note.line == 7 and note.passes  # the line of x^2 + 1


def test_a_lone_row_after_a_chain_is_noted():
    report = verify(post("$$\nx + x = 2x \\\\\nx^2\n$$\n"))
    assert [r.verdict.value for r in report.results if r.kind == "step"] == ["proved"]
    assert any("row 2" in r.message for r in report.results if r.kind == "note")


@pytest.mark.parametrize(
    ("math", "message"),
    [
        ("\\mathbb{E}[x] = x", "\\mathbb{E} (an expectation) needs its distribution: \\mathbb{E}_{x \\sim D}[f]"),
        ("\\int_0 x dx = x", "\\int is read with both bounds"),
    ],
)
def test_constructs_not_read_say_so(math: str, message: str):
    (doc,) = documents_from_markdown(post(f"$$ {math} $$\n"), "post.md")
    assert isinstance(doc, LoadError) and message in doc.message and "did you mean" not in doc.message


def test_upright_subscripts_name_the_declared_symbol():
    text = post("$$ x_\\mathrm{A} + x_{\\mathrm{B}} = x_B + x_A $$\n", "  x_A, x_B: real\n")
    assert verdicts(text) == ["proved"]


DOTS_SYMBOLS = "  y, a, b: real vector\n  n: positive integer\n  i: index 1..n\n  x: real\n"


@pytest.mark.parametrize("dots", ["\\dots", "\\cdots", "\\ldots"])
def test_dots_between_terms_is_the_sum(dots: str):
    math = f"$$ y_1 + y_2 + {dots} + y_n = \\sum_{{i=1}}^{{n}} y_i $$\n"
    assert readings(post(math, DOTS_SYMBOLS))[0].replace(" ", "") == "Sum(y[k],(k,1,n))"
    assert verdicts(post(math, DOTS_SYMBOLS)) == ["proved"]


def test_dots_with_a_numeric_last_term_and_a_factor():
    math = "$$ x a_1 + x a_2 + \\cdots + x a_{10} = x \\sum_{k=1}^{10} a_k $$\n"
    assert verdicts(post(math, DOTS_SYMBOLS)) == ["proved"]


def test_dots_sum_can_be_refuted():
    math = "$$ y_1 + y_2 + \\dots + y_n = \\sum_{i=1}^{n} y_i + y_1 $$\n"
    assert verdicts(post(math, DOTS_SYMBOLS)) == ["wrong"]


def test_dots_without_a_pattern_say_what_was_expected():
    (doc,) = documents_from_markdown(post("$$ a_1 + b_2 + \\ldots + a_n = 0 $$\n", DOTS_SYMBOLS), "post.md")
    assert isinstance(doc, LoadError) and "a_1 + a_2 + \\dots + a_n" in doc.message


def test_a_definition_then_an_arrow_defines_and_checks_the_claim():
    math = (
        "$$\nf(x) = e^x \\hspace{1in} \\rightarrow \\hspace{1in} \\frac{df}{dx} = e^x \\\\\n"
        "g(x) = x^2 \\quad \\Rightarrow \\quad g'(x) = 2x \\\\\n"
        "h(x) = \\ln x \\qquad \\implies \\qquad h'(x) = x\n$$\n"
    )
    report = verify(post(math))
    steps = [r for r in report.results if r.kind == "step"]
    assert [r.verdict.value for r in steps] == ["proved", "proved", "wrong"]
    notes = [r.message for r in report.results if r.kind == "note"]
    assert len(notes) == 3 and all("defines" in n for n in notes)
    assert steps[1].previous == "g'(x)"


def test_partial_of_a_two_argument_function_at_its_arguments():
    text = post(
        "$$ \\frac{\\partial f}{\\partial x}(x, z) = 2 x z $$\n", "  x, z: real\n", "functions:\n  f(a, b): a^2*b\n"
    )
    assert verdicts(text) == ["proved"]
    wrong = post(
        "$$ \\frac{\\partial f}{\\partial x}(x, x) = 0 $$\n", "  x, z: real\n", "functions:\n  f(a, b): a^2*b\n"
    )
    (doc,) = documents_from_markdown(wrong, "post.md")
    assert isinstance(doc, LoadError) and "arguments written after it" in doc.message


def test_prime_at_an_intermediate_and_leibniz_through_a_definition():
    extra = "functions:\n  f(t): t^3\n  sigma(t): 1/(1 + exp(-t))\ndefine:\n  A: x^2 + 1\n  y: sigma(x)\n"
    math = "$$ \\frac{d}{dx} f(A) = f'(A) \\cdot 2x = 3 A^2 \\cdot 2x $$\n\n"
    assert verdicts(post(math, extra=extra)) == ["proved", "proved"]
    assert verdicts(post("$$ \\frac{dy}{dx} = y (1 - y) $$\n", extra=extra)) == ["proved"]


def test_prime_on_a_vector_element_follows_the_prime_variable():
    extra = "define:\n  e[k]: exp(k*x)\nprime: x\n"
    assert verdicts(post("$$ e_j' = j e_j $$\n", "  x: real\n  j: index 1..n\n", extra)) == ["proved"]
    report = verify(post("$$ e_j' = 0 $$\n", "  x: real\n  e: real vector\n  j: index 1..n\n", "prime: x\n"))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.passes and len(result.doubtful) == 1 and "x does not occur" in result.doubtful[0]


ITERATES = "$$ w^{(k)} - \\eta \\cdot 2 a w^{(k)} = (1 - 2 \\eta a) w^{(k)} $$\n"


def test_iterates_make_superscripts_elements():
    text = post(ITERATES, "  w: real vector\n  eta, a: real\n  k: integer\n", "iterates: [w]\n")
    assert readings(text)[0].replace(" ", "") == "w[k]-eta*2*a*w[k]"
    assert verdicts(text) == ["proved"]


def test_without_iterates_a_refuted_superscript_step_says_so():
    math = "$$ w^{(k)} - \\eta \\cdot 2 a w^{(k)} = (1 - 2 \\eta a) w^{k+1} $$\n"
    report = verify(post(math, "  w, eta, a: real\n  k: integer\n"))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong"
    assert any("iterates: [w]" in note for note in result.notes)


SOLVE = "$$\n\\frac{d}{dw} g(w) = \\frac{1}{50}(4w^3 + 2w + 6) = 0\n$$\n"
SOLVE_DECLS = "functions:\n  g(t): (t^4 + t^2 + 6*t)/50\nsolve: last\n"


@pytest.mark.parametrize(("solutions", "verdict"), [("{w: -1}", "proved"), ("[{w: 1}]", "wrong")])
def test_solve_last_sets_up_the_equation_and_checks_the_solutions(solutions: str, verdict: str):
    report = verify(post(SOLVE, "  w: real\n", SOLVE_DECLS + f"solutions: {solutions}\n"))
    assert [r.verdict.value for r in report.results if r.kind == "step"] == ["proved"]
    assert [r.verdict.value for r in report.results if r.kind == "number"] == [verdict]
    assert any("sets up an equation" in r.message for r in report.results if r.kind == "note")


def test_without_solve_the_trailing_zero_is_an_identity_step():
    report = verify(post(SOLVE, "  w: real\n", "functions:\n  g(t): (t^4 + t^2 + 6*t)/50\n"))
    assert [r.verdict.value for r in report.results if r.kind == "step"] == ["proved", "wrong"]
